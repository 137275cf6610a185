/**
 * Interfaces that change: watchInterfaces(), and the one interface monitor per environment behind it,
 * which receivers (to rejoin) and senders (to re-target) follow too.
 *
 * The OS only says "something changed" (rtnetlink on Linux, a PF_ROUTE socket on macOS, IP Helper
 * notifications on Windows, see native/os/iface_events.h). The monitor then scans the interfaces again
 * (0.1 ms with a few interfaces, about 6 ms with 500) and compares with its previous scan, so every
 * subscriber gets typed changes, computed once. A burst of OS messages leads to one scan per
 * event-loop turn; nothing is polled on a timer.
 * @module
 */
import { type Family, describe } from './addresses';
import { ErrorCodes, MulticastExpertError, callNative, fail, fromNativeError, messageWithHint } from './errors';
import { type IfaceAddress, type IfaceInfo, scanInterfaces } from './interfaces';
import { type NativeIfaceEvents, native } from './native';
import { checkOptions } from './options';

/** What changed about an interface. */
export type IfaceChangeType = 'added' | 'removed' | 'renamed' | 'up' | 'down' | 'address-added' | 'address-removed';

/** One change of one interface, as {@link watchInterfaces} reports it. */
export interface IfaceChange {
  /** What happened: 'added', 'removed', 'renamed', 'up', 'down', 'address-added' or 'address-removed'. */
  type: IfaceChangeType;
  /** The interface after the change; for 'removed', as it was last seen. */
  iface: IfaceInfo;
  /** The interface before the change: on 'renamed', 'up', 'down', 'address-added' and 'address-removed'. */
  previous?: IfaceInfo;
  /** On 'address-added' and 'address-removed': the address. */
  address?: IfaceAddress;
  /** On 'address-added' and 'address-removed': the address's family. */
  family?: Family;
}

/** Options of {@link watchInterfaces}. */
export interface WatchInterfacesOptions {
  /** Closes the watcher when it aborts. */
  signal?: AbortSignal;
}

/** What {@link watchInterfaces} returns. */
export interface IfaceWatcher {
  /** True once close() was called (or the signal aborted). */
  readonly closed: boolean;
  /** Stops the listener; idempotent. */
  close(): void;
  /** Same as close(). */
  [Symbol.dispose](): void;
}

/**
 * An interface counts as up when it is administratively up and has its link (IFF_UP and IFF_RUNNING
 * on Linux and macOS; operationally up on Windows): only then can it carry datagrams.
 * @internal
 */
export function isIfaceUp(iface: IfaceInfo): boolean {
  return iface.up && iface.running;
}

function addressKey(a: IfaceAddress): string {
  return `${a.address}/${a.prefixLength}%${a.scopeId ?? 0}`;
}

function sameAddressList(a: readonly IfaceAddress[], b: readonly IfaceAddress[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as IfaceAddress;
    const y = b[i] as IfaceAddress;
    if (x.address !== y.address || x.prefixLength !== y.prefixLength || x.scopeId !== y.scopeId) return false;
  }
  return true;
}

function addressChanges(type: 'address-added' | 'address-removed', from: IfaceInfo, to: IfaceInfo, out: IfaceChange[]): void {
  // 'address-removed': what `from` had and `to` has not; 'address-added': the reverse.
  const [had, has] = type === 'address-removed' ? [from, to] : [to, from];
  for (const family of ['ipv4', 'ipv6'] as const) {
    // Most interfaces of a scan are as they were: compared in order first, without building keys
    // (at 500 interfaces, building them for all made up most of a rescan's JavaScript time).
    if (sameAddressList(had[family], has[family])) continue;
    const keep = new Set(has[family].map(addressKey));
    for (const a of had[family]) if (!keep.has(addressKey(a))) out.push({ type, iface: to, previous: from, address: a, family });
  }
}

/**
 * Linux keeps an interface's index through a rename (`ip link set dev eth0 name lan0`): the same
 * index under another name in two scans in a row is one interface, renamed. Elsewhere it is one
 * interface gone and another come: macOS and BSD give a removed interface's index to the next one,
 * and Windows' interface names (adapter GUIDs) never change.
 */
const kRenameKeepsIndex = process.platform === 'linux';

/**
 * The changes between two scans, by interface index: first every 'removed', then per remaining
 * interface 'renamed', 'down', 'address-removed', 'address-added', 'up', then every 'added'. Where a
 * rename keeps the index (Linux), an index that now carries another name is 'renamed'; elsewhere it
 * is a removal and an addition. An added interface comes with its state and addresses in `iface`,
 * without further events.
 * @internal
 */
export function diffInterfaces(before: ReadonlyMap<number, IfaceInfo>, after: ReadonlyMap<number, IfaceInfo>): IfaceChange[] {
  const out: IfaceChange[] = [];
  const added: IfaceChange[] = [];
  for (const [index, old] of before) {
    const now = after.get(index);
    if (now === undefined || (now.name !== old.name && !kRenameKeepsIndex)) out.push({ type: 'removed', iface: old });
  }
  for (const [index, now] of after) {
    const old = before.get(index);
    if (old === undefined || (old.name !== now.name && !kRenameKeepsIndex)) {
      added.push({ type: 'added', iface: now });
      continue;
    }
    if (old.name !== now.name) out.push({ type: 'renamed', iface: now, previous: old });
    const wasUp = isIfaceUp(old);
    const isUp = isIfaceUp(now);
    if (wasUp && !isUp) out.push({ type: 'down', iface: now, previous: old });
    addressChanges('address-removed', old, now, out);
    addressChanges('address-added', old, now, out);
    if (!wasUp && isUp) out.push({ type: 'up', iface: now, previous: old });
  }
  return out.concat(added);
}

function deepFreeze(iface: IfaceInfo): IfaceInfo {
  for (const a of iface.ipv4) Object.freeze(a);
  for (const a of iface.ipv6) Object.freeze(a);
  Object.freeze(iface.ipv4);
  Object.freeze(iface.ipv6);
  return Object.freeze(iface);
}

/** A scan, by index; the objects are frozen, since every subscriber shares them. */
function scanByIndex(): Map<number, IfaceInfo> {
  const out = new Map<number, IfaceInfo>();
  for (const iface of scanInterfaces()) out.set(iface.index, deepFreeze(iface));
  return out;
}

/**
 * An exception from a listener belongs to the application: it is reported as uncaught (as from any
 * callback), after the other listeners have had their turn.
 * @internal
 */
export function reportListenerError(err: unknown): void {
  process.nextTick(() => {
    throw err;
  });
}

/** Receives every batch of changes with the scan they were computed from. @internal */
export type IfaceSubscriber = (changes: IfaceChange[], current: ReadonlyMap<number, IfaceInfo>) => void;

let warnedUnwatchable = false;

/**
 * The one interface monitor of this environment (the main thread and each worker have their own):
 * one native source of interface events while anyone subscribes, one scan per change, shared by
 * every subscriber (receivers, senders, and the public watchers of watchInterfaces()).
 */
class InterfaceMonitor {
  #handle: NativeIfaceEvents | null = null;
  #snapshot = new Map<number, IfaceInfo>();
  readonly #subscribers = new Set<IfaceSubscriber>();
  #rescanScheduled = false;
  #closing: NodeJS.Immediate | null = null;

  /** Starts delivering changes to `subscriber`; returns the function that stops it. Throws when the OS cannot watch. */
  subscribe(subscriber: IfaceSubscriber): () => void {
    if (this.#closing !== null) {
      clearImmediate(this.#closing);
      this.#closing = null;
    }
    if (this.#handle === null) this.#open();
    this.#subscribers.add(subscriber);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      this.#subscribers.delete(subscriber);
      if (this.#subscribers.size === 0) this.#scheduleClose();
    };
  }

  #open(): void {
    let handle: NativeIfaceEvents | null = null;
    handle = callNative('watching interfaces', () => new (native().IfaceEvents)((err) => this.#onNative(handle, err)));
    // The baseline is scanned after the OS source is open, so that no change can fall in between.
    try {
      this.#snapshot = scanByIndex();
    } catch (err) {
      handle.close();
      throw err;
    }
    this.#handle = handle;
  }

  /**
   * The last subscriber left: close at the end of this loop turn, unless someone subscribes again
   * first, so that opening and closing many sockets in a row keeps one OS watcher.
   */
  #scheduleClose(): void {
    if (this.#closing !== null) return;
    this.#closing = setImmediate(() => {
      this.#closing = null;
      if (this.#subscribers.size > 0) return;
      this.#handle?.close();
      this.#handle = null;
    });
    this.#closing.unref();
  }

  #onNative(handle: NativeIfaceEvents | null, err: Error | null): void {
    if (handle === null || handle !== this.#handle) return;
    if (err !== null) {
      // The OS source failed (it never has in practice). Start over with a new one, which also
      // rescans; if that fails too, say so once and stop following changes.
      handle.close();
      this.#handle = null;
      const before = this.#snapshot;
      try {
        this.#open();
      } catch (reopenErr) {
        warnUnwatchable(reopenErr);
        return;
      }
      this.#deliver(diffInterfaces(before, this.#snapshot));
      return;
    }
    if (this.#rescanScheduled) return;
    this.#rescanScheduled = true;
    // One scan per loop turn, however many messages the OS sent; not worth keeping a process alive for.
    setImmediate(() => {
      this.#rescanScheduled = false;
      this.#rescan();
    }).unref();
  }

  #rescan(): void {
    // Also without subscribers (the handle lingers for a loop turn after the last one left): someone
    // who subscribes again then starts from the present.
    if (this.#handle === null) return;
    let next: Map<number, IfaceInfo>;
    try {
      next = scanByIndex();
    } catch (err) {
      // A failed scan (no file descriptors left, say) is retried with the next change.
      warnUnwatchable(err);
      return;
    }
    const changes = diffInterfaces(this.#snapshot, next);
    this.#snapshot = next;
    // Also without a change of the kinds reported (an MTU or a flag that changed): sockets keep
    // their IfaceInfo current from every scan.
    this.#deliver(changes);
  }

  #deliver(changes: IfaceChange[]): void {
    const current = this.#snapshot;
    for (const subscriber of [...this.#subscribers]) {
      if (!this.#subscribers.has(subscriber)) continue;
      try {
        subscriber(changes, current);
      } catch (err) {
        reportListenerError(err);
      }
    }
  }
}

function warnUnwatchable(err: unknown): void {
  if (warnedUnwatchable) return;
  warnedUnwatchable = true;
  const e = err instanceof MulticastExpertError ? err : fromNativeError(err, 'watching interfaces');
  process.emitWarning(`interface changes cannot be followed: ${messageWithHint(e)}; receivers do not rejoin and senders do not re-target until a new socket or watcher is opened`, {
    code: e.code,
    type: 'MulticastExpertWarning',
  });
}

const monitor = new InterfaceMonitor();

/**
 * Subscribes a socket to interface changes. Never throws: where changes cannot be watched, it warns
 * once and returns a no-op.
 * @internal
 */
export function followInterfaces(subscriber: IfaceSubscriber): () => void {
  try {
    return monitor.subscribe(subscriber);
  } catch (err) {
    warnUnwatchable(err);
    return () => undefined;
  }
}

/** What watchInterfaces() returns: one listener's subscription to the monitor. */
class ChangeSubscription implements IfaceWatcher {
  #unsubscribe: (() => void) | null = null;
  #disposeAbort: (() => void) | null = null;

  constructor(listener: (change: IfaceChange) => void, signal: AbortSignal | undefined) {
    if (signal?.aborted) return;
    this.#unsubscribe = monitor.subscribe((changes) => {
      for (const change of changes) {
        // A listener may close its watcher halfway through a batch.
        if (this.#unsubscribe === null) return;
        try {
          listener(change);
        } catch (err) {
          reportListenerError(err);
        }
      }
    });
    if (signal !== undefined) {
      const onAbort = (): void => this.close();
      signal.addEventListener('abort', onAbort, { once: true });
      this.#disposeAbort = () => signal.removeEventListener('abort', onAbort);
    }
  }

  get closed(): boolean {
    return this.#unsubscribe === null;
  }

  close(): void {
    const unsubscribe = this.#unsubscribe;
    if (unsubscribe === null) return;
    this.#unsubscribe = null;
    unsubscribe();
    this.#disposeAbort?.();
    this.#disposeAbort = null;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Calls `listener` with every change of the machine's interfaces, as it happens: an interface
 * 'added' or 'removed', 'renamed' (Linux, where a rename keeps the interface and its index;
 * `previous` has the old name), going 'up' or 'down' (up means administratively up with its link),
 * or an 'address-added' / 'address-removed' (one call per address). Event-driven: rtnetlink on Linux, a
 * routing socket on macOS, IP Helper notifications on Windows; nothing is polled. Changes are
 * gathered per event-loop turn, so a burst of OS messages costs one scan.
 *
 * The watcher does not keep the process running (like a timer with unref()). An exception thrown by
 * the listener is reported as uncaught, as from any callback; the watcher goes on. Close it with
 * `close()`, `using`, or `options.signal`.
 *
 * ```ts
 * const watcher = watchInterfaces((change) => console.log(change.type, change.iface.name));
 * // ...
 * watcher.close();
 * ```
 */
export function watchInterfaces(listener: (change: IfaceChange) => void, options?: WatchInterfacesOptions): IfaceWatcher {
  if (typeof listener !== 'function') fail(ErrorCodes.INVALID_OPTION, `listener must be a function, got ${describe(listener)}`);
  const o = checkOptions<WatchInterfacesOptions>(options, ['signal'], 'watchInterfaces options');
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) fail(ErrorCodes.INVALID_OPTION, `signal must be an AbortSignal, got ${describe(o.signal)}`);
  return new ChangeSubscription(listener, o.signal);
}
