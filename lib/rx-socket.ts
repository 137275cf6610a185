/**
 * McastRxSocket: receives multicast from several groups on several interfaces, and says for every
 * datagram which group it was sent to and which interface it arrived on.
 * @module
 */
import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { markAsUntransferable } from 'node:worker_threads';

import { type Family, type ParsedIp, checkFamily, describe, parseGroup, parseSource } from './addresses';
import { ErrorCodes, MulticastExpertError, fail, fromNativeError } from './errors';
import { warnClosedByGc } from './gc-warning';
import { type IfaceInfo, type IfaceSpecifier, findInterfaces, preferredAddress, resolveOneIface, scanInterfaces, unreachableVrfOf } from './interfaces';
import { type NativeRxSocket, RxFlags, RxRecord, native } from './native';
import { checkArray, checkBoolean, checkGroups, checkInteger, checkOptions, checkPort, checkTimeout, familyOfSpecifier } from './options';
import { type IfaceChange, type IfaceChangeType, followInterfaces, isIfaceUp, reportListenerError } from './watch';

/** Options of {@link McastRxSocket}. */
export interface McastRxSocketOptions {
  /** Groups to join at once; may be empty (join() later). */
  groups: string[];
  /** The UDP port, 1..65535. */
  port: number;
  /** Default: the groups' family, else 'ipv4'. */
  family?: Family;
  /** One interface, or */
  iface?: IfaceSpecifier;
  /** several. Default: every interface that is up, multicast-capable, not loopback and has an address of the family. */
  ifaces?: IfaceSpecifier[];
  /** Source-specific multicast: only these senders (IPv4 and IPv6). */
  sources?: string[];
  /** Default false; see the README's Loopback section. */
  externalLoopback?: boolean;
  /** Default timeout of receive(), in ms; undefined waits forever, 0 does not wait. */
  timeout?: number;
  /** SO_RCVBUF in bytes. */
  receiveBufferSize?: number;
  /** Default 65535; a longer datagram is cut and flagged `truncated`. */
  maxMessageSize?: number;
  /** Kernel receive timestamps in McastMessage.timestamp. */
  timestamps?: boolean;
  /**
   * Default true: when an interface the socket listens on goes away (down, removed, or without an
   * address of the family) and comes back (up again, or a new interface of the same name), join the
   * groups there again; a socket on all interfaces also joins new ones. 'iface-lost' and
   * 'iface-joined' tell. False: keep the interfaces as opened, and only emit 'iface-lost'. A renamed
   * interface (Linux) is not lost: the socket follows it under its new name.
   */
  rejoin?: boolean;
}

/** One received datagram. */
export interface McastMessage {
  /**
   * The datagram's bytes: a view into a 64 KB block shared with the datagrams read around it (a
   * datagram over 32 KB has a buffer of its own), never overwritten, and kept alive as a whole while
   * any of its views is: a kept datagram keeps at most 64 KB alive. `Buffer.from(msg.data)` copies a
   * datagram out to keep it for long.
   */
  data: Buffer;
  /** The sender. */
  source: {
    /** The sender's address. */
    address: string;
    /** The sender's port. */
    port: number;
    /** The address family. */
    family: Family;
    /** IPv6 link-local senders: the scope (interface index). */
    scopeId?: number;
  };
  /** The multicast group the datagram was sent to. */
  group: string;
  /** Its destination port. */
  port: number;
  /** The interface it arrived on. */
  ifaceIndex: number;
  /** The name of the interface it arrived on. */
  ifaceName: string;
  /** The datagram was longer than maxMessageSize and was cut. */
  truncated: boolean;
  /** Nanoseconds since the Unix epoch, when the `timestamps` option is set. */
  timestamp?: bigint;
}

/** Counters of a receiver. */
export interface McastRxStats {
  /** Datagrams delivered to JavaScript. */
  received: number;
  /** Datagrams the kernel dropped because the socket's buffer was full. */
  kernelDrops: number;
  /** Datagrams cut to maxMessageSize. */
  truncated: number;
  /** Datagrams that reached the OS socket but were not for this receiver, dropped natively. */
  filtered: number;
}

/** Options of {@link McastRxSocket.receive}. */
export interface ReceiveOptions {
  /** In ms; overrides the socket's timeout. */
  timeout?: number;
  /** Aborts the wait: receive() then rejects with an AbortError. */
  signal?: AbortSignal;
}

const kRxOptions = ['groups', 'port', 'family', 'iface', 'ifaces', 'sources', 'externalLoopback', 'timeout', 'receiveBufferSize', 'maxMessageSize', 'timestamps', 'rejoin'] as const;
/** Records of metadata the native side can fill before handing a batch over. */
const kMetaRecords = 1024;
/** Datagrams kept for receive() before the socket stops reading and the kernel drops. */
const kQueueLimit = 4096;
const kQueueResume = 1024;

/**
 * Makes a Buffer that is a view of `length` bytes of an ArrayBuffer at `offset`: what
 * Buffer.from(arrayBuffer, offset, length) returns, without its argument checks (twice as fast, and
 * this runs once per datagram). Node's Buffer[Symbol.species] is the class of its Buffers; where it
 * is not what we expect, Buffer.from it is.
 */
const BufferView: new (buffer: ArrayBuffer, offset: number, length: number) => Buffer = (() => {
  const species: unknown = (Buffer as unknown as Record<symbol, unknown>)[Symbol.species];
  if (typeof species === 'function') {
    try {
      const View = species as new (buffer: ArrayBuffer, offset: number, length: number) => Buffer;
      const probe = new View(new ArrayBuffer(4), 1, 2);
      if (Buffer.isBuffer(probe) && probe.byteOffset === 1 && probe.length === 2 && typeof probe.readUInt16LE === 'function') return View;
    } catch {
      // fall through
    }
  }
  return function view(buffer: ArrayBuffer, offset: number, length: number): Buffer {
    return Buffer.from(buffer, offset, length);
  } as unknown as new (buffer: ArrayBuffer, offset: number, length: number) => Buffer;
})();

/** A listener, as EventEmitter types it. */
type Listener = Parameters<EventEmitter['on']>[1];

interface Waiter {
  resolve: (msg: McastMessage | null) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
  disposeAbort?: () => void;
}

interface Membership {
  /** Include list of a source-specific membership; null: any source. */
  sources: Set<string> | null;
  blocked: ReadonlySet<string>;
}

function abortError(signal: AbortSignal): Error {
  const err = new Error('The operation was aborted', { cause: signal.reason });
  err.name = 'AbortError';
  (err as Error & { code: string }).code = 'ABORT_ERR';
  return err;
}

/**
 * The part of a receiver that the native side calls back into. It holds the public socket strongly
 * only while someone waits for data (listeners, receive() calls, iterators), so that a receiver
 * nobody uses any more can be garbage-collected, and is then closed.
 */
class RxCore {
  handle!: NativeRxSocket;
  strongOwner: McastRxSocket | null = null;
  readonly weakOwner: WeakRef<McastRxSocket>;
  readonly meta = new ArrayBuffer(kMetaRecords * RxRecord.words * 4);
  readonly words = new Uint32Array(this.meta);
  readonly bytes = new Uint8Array(this.meta);
  readonly groupsById: string[] = [];
  readonly ifaceNames = new Map<number, string>();
  readonly sourceTexts = new Map<number | string, string>();
  readonly queue: McastMessage[] = [];
  readonly waiters: Waiter[] = [];
  /** Someone waits for data (a listener, a receive() call): the socket keeps the process running and the owner alive. */
  consuming = false;
  /** The queue is full: the native socket stopped reading (see McastRxSocket.deliver). */
  paused = false;
  /** A hand-over of the queue to a new listener is due (see McastRxSocket.#scheduleHandOver). */
  handOverScheduled = false;
  closed = false;
  /** Stops following interface changes. */
  unfollow: (() => void) | null = null;
  /** The buffer marked untransferable last (mostly the slab that the next batch goes on filling; see onBatch). */
  slab: ArrayBuffer | null = null;

  constructor(owner: McastRxSocket, readonly family: Family, readonly port: number) {
    this.weakOwner = new WeakRef(owner);
  }

  owner(): McastRxSocket | undefined {
    return this.strongOwner ?? this.weakOwner.deref();
  }

  // The last source seen (most floods come from one sender): its address words and its text.
  lastSource0 = -1;
  lastSource1 = 0;
  lastSource2 = 0;
  lastSource3 = 0;
  lastSourceText = '';

  sourceText(base: number): string {
    const w = this.words;
    const first = base + RxRecord.sourceAddr;
    const w0 = w[first] as number;
    if (w0 === this.lastSource0 && w[first + 1] === this.lastSource1 && w[first + 2] === this.lastSource2 && w[first + 3] === this.lastSource3) return this.lastSourceText;
    const text = this.lookUpSource(first);
    this.lastSource0 = w0;
    this.lastSource1 = w[first + 1] as number;
    this.lastSource2 = w[first + 2] as number;
    this.lastSource3 = w[first + 3] as number;
    this.lastSourceText = text;
    return text;
  }

  lookUpSource(first: number): string {
    const w = this.words;
    if (this.family === 'ipv4') {
      const key = w[first] as number;
      let text = this.sourceTexts.get(key);
      if (text === undefined) {
        const b = this.bytes;
        const o = first * 4;
        text = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
        this.remember(key, text);
      }
      return text;
    }
    const key = `${w[first]},${w[first + 1]},${w[first + 2]},${w[first + 3]}`;
    let text = this.sourceTexts.get(key);
    if (text === undefined) {
      const b = this.bytes;
      const o = first * 4;
      const parts: string[] = [];
      for (let i = 0; i < 16; i += 2) parts.push((((b[o + i] as number) << 8) | (b[o + i + 1] as number)).toString(16));
      text = new net.SocketAddress({ address: parts.join(':'), family: 'ipv6' }).address;
      this.remember(key, text);
    }
    return text;
  }

  remember(key: number | string, text: string): void {
    if (this.sourceTexts.size >= 4096) this.sourceTexts.clear();
    this.sourceTexts.set(key, text);
  }

  /**
   * Called by the native side with one batch: `count` records in meta, the data of each in one of
   * `buffers`: slabs of 64 KiB that the native side keeps filling past this batch (see
   * native/rx_socket.h), and buffers of their own for large datagrams. So every datagram's Buffer is
   * a view of its own bytes, which nothing overwrites, and keeps at most 64 KiB alive besides itself.
   */
  onBatch(count: number, ...buffers: ArrayBuffer[]): void {
    if (this.closed) return;
    const owner = this.owner();
    if (owner === undefined) return;
    for (const buffer of buffers) {
      if (buffer === this.slab) continue;
      this.slab = buffer;
      // Transferring it to a worker would take it from under the batches still to come.
      markAsUntransferable(buffer);
    }
    const w = this.words;
    const family = this.family;
    const port = this.port;
    const messages: McastMessage[] = new Array<McastMessage>(count);
    for (let i = 0; i < count; i++) {
      const record = i * RxRecord.words;
      const flags = w[record + RxRecord.flags] as number;
      const ifaceIndex = w[record + RxRecord.ifindex] as number;
      const scopeId = w[record + RxRecord.sourceScope] as number;
      const source =
        scopeId !== 0
          ? { address: this.sourceText(record), port: w[record + RxRecord.sourcePort] as number, family, scopeId }
          : { address: this.sourceText(record), port: w[record + RxRecord.sourcePort] as number, family };
      const data = new BufferView(buffers[w[record + RxRecord.buffer] as number] as ArrayBuffer, w[record + RxRecord.offset] as number, w[record + RxRecord.length] as number);
      const group = this.groupsById[w[record + RxRecord.groupId] as number] as string;
      const ifaceName = this.ifaceNames.get(ifaceIndex) ?? String(ifaceIndex);
      const truncated = (flags & RxFlags.truncated) !== 0;
      // One object literal per case, so that messages keep one of two stable shapes.
      messages[i] =
        (flags & RxFlags.timestamp) === 0
          ? { data, source, group, port, ifaceIndex, ifaceName, truncated }
          : { data, source, group, port, ifaceIndex, ifaceName, truncated, timestamp: this.timestamp(record) };
    }
    owner.deliver(messages);
  }

  timestamp(record: number): bigint {
    const w = this.words;
    const sec = (w[record + RxRecord.timeSecHigh] as number) * 4294967296 + (w[record + RxRecord.timeSecLow] as number);
    return BigInt(sec) * 1_000_000_000n + BigInt(w[record + RxRecord.timeNsec] as number);
  }

  onError(err: Error): void {
    const owner = this.owner();
    if (owner !== undefined && !this.closed) owner.fail(fromNativeError(err, 'receiving'));
  }
}

/**
 * The error for an interface in a VRF (Linux l3mdev) whose datagrams the receiver's sockets would
 * not get: Linux hands a VRF member's datagrams only to sockets bound to the VRF, unless
 * net.ipv4.udp_l3mdev_accept is 1. Joining there would otherwise succeed and receive nothing.
 */
function vrfError(iface: IfaceInfo, vrf: string): MulticastExpertError {
  return new MulticastExpertError(ErrorCodes.INVALID_OPTION, `interface ${iface.name} belongs to VRF ${vrf}: Linux gives its datagrams only to sockets bound to ${vrf}`, {
    hint: `set sysctl net.ipv4.udp_l3mdev_accept=1 (it covers IPv6 too), or run the program in the VRF (ip vrf exec ${vrf} ...)`,
  });
}

const warnedVrfIfaces = new Set<string>();

/** A receiver on all interfaces leaves out the members of a VRF it would get nothing from, and says so once per interface. */
function warnVrf(iface: IfaceInfo): void {
  const vrf = unreachableVrfOf(iface);
  if (vrf === undefined || warnedVrfIfaces.has(`${iface.name}%${vrf}`)) return;
  warnedVrfIfaces.add(`${iface.name}%${vrf}`);
  const e = vrfError(iface, vrf);
  process.emitWarning(`not listening on ${iface.name}: ${e.message}; ${e.hint ?? ''}`, { code: e.code, type: 'MulticastExpertWarning' });
}

const registry = new FinalizationRegistry<RxCore>((core) => {
  if (core.closed) return;
  core.closed = true;
  core.unfollow?.();
  core.handle.close();
  warnClosedByGc('McastRxSocket');
});

/**
 * A socket that receives multicast datagrams from one or more groups on one or more interfaces,
 * on one port. Each datagram says which group it was sent to and which interface it arrived on, and
 * nothing else reaches it: no unicast, no other group, no other interface, no disallowed source.
 *
 * Read datagrams with `receive()`, `for await`, the 'message' event (one McastMessage per call), or
 * the 'batch' event (McastMessage[]: every datagram read in one event-loop turn, the cheapest way to
 * take a flood; with only 'batch' listeners nothing is done per datagram). Events: 'message',
 * 'batch', 'error', 'close', and 'iface-lost' / 'iface-joined' `(iface: IfaceInfo, why:
 * IfaceChangeType)` when an interface goes away and when the socket joins its groups on one (again);
 * see the `rejoin` option.
 *
 * ```ts
 * const rx = new McastRxSocket({ groups: ['239.1.2.3', '239.1.2.4'], port: 12345 });
 * for await (const msg of rx) console.log(msg.group, msg.ifaceName, msg.data.toString());
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- McastRxSocketEvents types the listeners
export class McastRxSocket extends EventEmitter {
  /** The UDP port. */
  readonly port: number;
  /** The address family. */
  readonly family: Family;
  readonly #core: RxCore;
  readonly #ifaces = new Map<number, IfaceInfo>();
  readonly #groupIds = new Map<string, number>();
  readonly #memberships = new Map<string, Map<number, Membership>>();
  readonly #defaultSources: string[];
  /** Interfaces (by index, as last seen) that went away; with `rejoin`, their memberships were left and wait here. */
  readonly #lost = new Map<number, IfaceInfo>();
  readonly #rejoin: boolean;
  /** Opened without iface/ifaces: new interfaces are joined too. */
  readonly #allIfaces: boolean;
  /** Interfaces (by index) whose move into a VRF this socket has reported. */
  readonly #vrfReported = new Set<number>();
  #timeout: number | undefined;

  /** Opens the socket and joins its groups at once; throws on bad options, leaving nothing open. */
  constructor(options: McastRxSocketOptions) {
    super();
    const o = checkOptions<McastRxSocketOptions>(options, kRxOptions, 'McastRxSocket options');
    if (options === undefined) fail(ErrorCodes.INVALID_OPTION, 'McastRxSocket needs options: { groups, port }');
    if (o.groups === undefined) fail(ErrorCodes.INVALID_OPTION, 'McastRxSocket options need groups (an array, may be empty)');
    if (o.port === undefined) fail(ErrorCodes.INVALID_PORT, 'McastRxSocket options need a port (1..65535)');
    // Checked here, not only through the groups: with no groups it would go unchecked.
    const givenFamily = o.family === undefined ? undefined : checkFamily(o.family);
    const groups = checkGroups(o.groups, 'groups', givenFamily);
    this.port = checkPort(o.port, 'port');
    const ifaceSpecs: unknown[] = [];
    if (o.iface !== undefined) ifaceSpecs.push(o.iface);
    if (o.ifaces !== undefined) ifaceSpecs.push(...checkArray(o.ifaces, 'ifaces'));
    const family: Family = givenFamily ?? groups[0]?.family ?? ifaceSpecs.map((s) => familyOfSpecifier(s as IfaceSpecifier)).find((f) => f !== undefined) ?? 'ipv4';
    this.family = family;
    const sources = o.sources === undefined ? [] : this.#checkSources(o.sources, 'sources');
    this.#defaultSources = sources;
    const externalLoopback = checkBoolean(o.externalLoopback, 'externalLoopback', false);
    this.#timeout = checkTimeout(o.timeout, 'timeout');
    const receiveBufferSize = o.receiveBufferSize === undefined ? 0 : checkInteger(o.receiveBufferSize, 'receiveBufferSize', 1, 0x7fffffff);
    const maxMessageSize = o.maxMessageSize === undefined ? 65535 : checkInteger(o.maxMessageSize, 'maxMessageSize', 1, 65535);
    const timestamps = checkBoolean(o.timestamps, 'timestamps', false);
    this.#rejoin = checkBoolean(o.rejoin, 'rejoin', true);
    this.#allIfaces = ifaceSpecs.length === 0;

    const ifaces = ifaceSpecs.length > 0 ? this.#resolveIfaces(ifaceSpecs, 'ifaces') : this.#defaultIfaces();

    const core = new RxCore(this, family, this.port);
    this.#core = core;
    for (const iface of ifaces) this.#listenOn(iface);
    try {
      core.handle = new (native().RxSocket)(
        { family: family === 'ipv4' ? 4 : 6, port: this.port, maxMessageSize, receiveBufferSize, timestamps, externalLoopback, keepAlive: false },
        core.meta,
        // Bound methods, not arrow functions: a closure made here would hold this constructor's
        // context, and with it the socket, so that it could never be garbage-collected.
        core.onBatch.bind(core),
        core.onError.bind(core),
      );
    } catch (err) {
      throw fromNativeError(err, 'opening a multicast receiver');
    }
    try {
      for (const g of groups) this.#joinOn(g, ifaces, sources);
    } catch (err) {
      core.closed = true;
      core.handle.close();
      throw err;
    }
    registry.register(this, core, core);
    core.unfollow = followInterfaces(McastRxSocket.#interfaceFollower(core));
  }

  /**
   * The interface-change subscriber of a socket. Made here, not in the constructor: a closure made
   * there would hold the constructor's context and with it the socket, which could then never be
   * garbage-collected. This one holds the core only.
   */
  static #interfaceFollower(core: RxCore): (changes: IfaceChange[], current: ReadonlyMap<number, IfaceInfo>) => void {
    return (changes, current) => {
      const owner = core.owner();
      if (owner !== undefined && !core.closed) owner.#followIfaces(changes, current);
    };
  }

  // ---- Properties ----------------------------------------------------------------------------------

  /** The groups this socket has joined (on at least one interface). */
  get groups(): string[] {
    return [...this.#memberships.keys()];
  }

  /** The interfaces this socket listens on (with `rejoin`, not those that went away and wait to come back). */
  get ifaces(): IfaceInfo[] {
    return [...this.#ifaces.values()].filter((i) => !this.#isLeft(i.index));
  }

  /** Default timeout of receive(), in ms (undefined: wait forever; 0: do not wait). */
  get timeout(): number | undefined {
    return this.#timeout;
  }
  /** Sets the default timeout of receive(), in ms; throws ERR_INVALID_OPTION for a negative or non-numeric value. */
  set timeout(value: number | undefined) {
    this.#timeout = checkTimeout(value, 'timeout');
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#core.closed;
  }

  /** Counters since the socket opened. */
  stats(): McastRxStats {
    if (this.#core.closed) fail(ErrorCodes.SOCKET_CLOSED, 'the McastRxSocket is closed');
    const [received, kernelDrops, truncated, filtered] = this.#core.handle.stats();
    return { received, kernelDrops, truncated, filtered };
  }

  /** OS sockets behind this receiver (one per group on Linux and macOS, per interface on Windows). */
  get osSocketCount(): number {
    return this.#core.closed ? 0 : this.#core.handle.socketCount();
  }

  // ---- Memberships ---------------------------------------------------------------------------------

  #checkSources(value: unknown, what: string): string[] {
    const out = new Set<string>();
    for (const s of checkArray(value, what)) out.add(parseSource(s, this.family).address);
    return [...out];
  }

  #resolveIfaces(specs: unknown[], what: string): IfaceInfo[] {
    let scan: IfaceInfo[] | undefined;
    const out: IfaceInfo[] = [];
    for (const spec of specs) {
      const iface = resolveOneIface(spec, what, (scan ??= specs.every((s) => typeof s === 'object') ? undefined : scanInterfaces()));
      if (out.some((i) => i.index === iface.index)) continue;
      if (preferredAddress(iface, this.family) === undefined)
        fail(ErrorCodes.IFACE_NO_ADDRESS, `interface ${iface.name} has no ${this.family} address`, `listen on interfaces with an ${this.family} address, or configure one`);
      const vrf = unreachableVrfOf(iface);
      if (vrf !== undefined) throw vrfError(iface, vrf);
      out.push(iface);
    }
    return out;
  }

  #defaultIfaces(): IfaceInfo[] {
    const candidates = scanInterfaces().filter((i) => i.up && i.multicast && !i.loopback && preferredAddress(i, this.family) !== undefined);
    const inVrf = candidates.filter((i) => unreachableVrfOf(i) !== undefined);
    const found = candidates.filter((i) => !inVrf.includes(i));
    if (found.length === 0 && inVrf.length > 0) throw vrfError(inVrf[0] as IfaceInfo, unreachableVrfOf(inVrf[0] as IfaceInfo) as string);
    if (found.length === 0)
      fail(ErrorCodes.NO_IFACES, `no interface is up, multicast-capable, not loopback and with an ${this.family} address`, 'pass iface or ifaces explicitly (the loopback interface must be named to be used)');
    for (const iface of inVrf) warnVrf(iface);
    return found;
  }

  #groupId(group: string): number {
    let id = this.#groupIds.get(group);
    if (id === undefined) {
      id = this.#core.groupsById.length;
      this.#core.groupsById.push(group);
      this.#groupIds.set(group, id);
    }
    return id;
  }

  #joinOn(group: ParsedIp, ifaces: IfaceInfo[], sources: string[]): void {
    let perIface = this.#memberships.get(group.address);
    for (const iface of ifaces) {
      // On an interface that went away the membership is only recorded, to be joined when it is back.
      const left = this.#isLeft(iface.index);
      const existing = perIface?.get(iface.index);
      if (existing !== undefined) {
        if (sources.length === 0) continue;
        if (existing.sources === null)
          fail(ErrorCodes.SOURCE_NOT_ALLOWED, `${group.address} is joined for any source on ${iface.name}`, 'leave the group first to rejoin it source-specific');
        const included = existing.sources;
        const added = sources.filter((s) => !included.has(s));
        if (added.length === 0) continue;
        if (!left)
          this.#native(
            () => this.#core.handle.setMembership(this.#groupId(group.address), group.address, iface.index, null, [...included, ...added], []),
            `joining ${group.address} from ${added.join(', ')} on ${iface.name}`,
          );
        for (const s of added) existing.sources.add(s);
        continue;
      }
      const address = preferredAddress(iface, this.family);
      if (!left)
        this.#native(
          () => this.#core.handle.setMembership(this.#groupId(group.address), group.address, iface.index, address?.address ?? null, sources.length > 0 ? sources : null, []),
          `joining ${group.address} on ${iface.name}`,
        );
      if (perIface === undefined) {
        perIface = new Map();
        this.#memberships.set(group.address, perIface);
      }
      perIface.set(iface.index, { sources: sources.length > 0 ? new Set(sources) : null, blocked: new Set() });
      this.#listenOn(iface);
    }
  }

  #listenOn(iface: IfaceInfo): void {
    this.#ifaces.set(iface.index, iface);
    this.#core.ifaceNames.set(iface.index, iface.name);
  }

  #native<T>(call: () => T, what: string): T {
    try {
      return call();
    } catch (err) {
      throw fromNativeError(err, what);
    }
  }

  #checkOpen(): void {
    if (this.#core.closed) fail(ErrorCodes.SOCKET_CLOSED, 'the McastRxSocket is closed');
  }

  /**
   * Joins `group` on the socket's interfaces (or `options.ifaces`). With `sources` (or when the
   * socket was opened with sources) the membership is source-specific. Joining again is a no-op;
   * new sources widen a source-specific membership.
   */
  join(group: string, options?: { ifaces?: IfaceSpecifier[]; sources?: string[] }): void {
    this.#checkOpen();
    const o = checkOptions<{ ifaces?: IfaceSpecifier[]; sources?: string[] }>(options, ['ifaces', 'sources'], 'join options');
    const g = parseGroup(group, this.family);
    const sources = o.sources === undefined ? this.#defaultSources : this.#checkSources(o.sources, 'sources');
    // With rejoin, interfaces that went away get the group recorded, to join it when they are back;
    // without, they are passed over.
    const ifaces =
      o.ifaces === undefined ? [...this.#ifaces.values()].filter((i) => this.#rejoin || !this.#lost.has(i.index)) : this.#resolveIfaces(checkArray(o.ifaces, 'ifaces'), 'ifaces');
    if (ifaces.length === 0) fail(ErrorCodes.NO_IFACES, `no interface to join ${g.address} on`, 'pass options.ifaces');
    this.#joinOn(g, ifaces, sources);
  }

  /** Leaves `group` on all interfaces (or `options.ifaces`). Leaving a group not joined is a no-op. */
  leave(group: string, options?: { ifaces?: IfaceSpecifier[] }): void {
    this.#checkOpen();
    const o = checkOptions<{ ifaces?: IfaceSpecifier[] }>(options, ['ifaces'], 'leave options');
    const g = parseGroup(group, this.family);
    const perIface = this.#memberships.get(g.address);
    if (perIface === undefined) return;
    const indexes = o.ifaces === undefined ? [...perIface.keys()] : findInterfaces(checkArray(o.ifaces, 'ifaces') as IfaceSpecifier[]).map((i) => i.index);
    const id = this.#groupId(g.address);
    for (const index of indexes) {
      if (!perIface.has(index)) continue;
      if (!this.#isLeft(index)) this.#native(() => this.#core.handle.dropMembership(id, index), `leaving ${g.address}`);
      perIface.delete(index);
    }
    if (perIface.size === 0) this.#memberships.delete(g.address);
  }

  #anySourceMemberships(group: unknown, source: unknown, what: string): { id: number; group: string; source: string; members: [number, Membership][] } {
    this.#checkOpen();
    const g = parseGroup(group, this.family);
    const s = parseSource(source, this.family).address;
    const perIface = this.#memberships.get(g.address);
    if (perIface === undefined) fail(ErrorCodes.INVALID_OPTION, `cannot ${what} on ${g.address}: the group is not joined`, 'join the group first');
    const members = [...perIface.values()];
    if (members.some((m) => m.sources !== null))
      fail(ErrorCodes.SOURCE_NOT_ALLOWED, `cannot ${what} on ${g.address}: it is joined source-specific`, 'blocking applies to any-source groups; a source-specific group already admits only its sources');
    return { id: this.#groupId(g.address), group: g.address, source: s, members: [...perIface] };
  }

  /** Stops receiving `source`'s datagrams to the any-source `group` (on every interface it is joined on). */
  blockSource(group: string, source: string): void {
    const m = this.#anySourceMemberships(group, source, 'block a source');
    for (const [index, member] of m.members) {
      const blocked = new Set(member.blocked).add(m.source);
      if (!this.#isLeft(index)) this.#native(() => this.#core.handle.setMembership(m.id, m.group, index, null, null, [...blocked]), `blocking ${m.source}`);
      member.blocked = blocked;
    }
  }

  /** Undoes blockSource(). */
  unblockSource(group: string, source: string): void {
    const m = this.#anySourceMemberships(group, source, 'unblock a source');
    for (const [index, member] of m.members) {
      const blocked = new Set(member.blocked);
      blocked.delete(m.source);
      if (!this.#isLeft(index)) this.#native(() => this.#core.handle.setMembership(m.id, m.group, index, null, null, [...blocked]), `unblocking ${m.source}`);
      member.blocked = blocked;
    }
  }

  // ---- Interfaces that change ----------------------------------------------------------------------

  /** The socket's memberships on this interface were left because it went away (rejoin mode). */
  #isLeft(index: number): boolean {
    return this.#rejoin && this.#lost.has(index);
  }

  /** Can carry this socket's datagrams: up, with its link, and with an address of the family. */
  #usable(iface: IfaceInfo): boolean {
    return isIfaceUp(iface) && preferredAddress(iface, this.family) !== undefined;
  }

  /** Called by the interface monitor with each batch of changes and the scan they came from. */
  #followIfaces(changes: IfaceChange[], current: ReadonlyMap<number, IfaceInfo>): void {
    // A renamed interface is the same interface, with the same memberships (Linux keeps its index):
    // it goes on under its new name, also while it is lost (then it is back when it is usable again).
    for (const change of changes) {
      if (change.type !== 'renamed' || !this.#ifaces.has(change.iface.index)) continue;
      const index = change.iface.index;
      this.#ifaces.set(index, change.iface);
      if (this.#lost.has(index)) this.#lost.set(index, change.iface);
      this.#core.ifaceNames.set(index, change.iface.name);
    }
    // Interfaces that went away, judged against the state this socket last saw of each.
    for (const [index, seen] of [...this.#ifaces]) {
      if (this.#lost.has(index)) continue;
      const now = current.get(index);
      if (now === undefined || now.name !== seen.name) this.#loseIface(seen, 'removed');
      else if (this.#usable(seen) && !this.#usable(now)) this.#loseIface(now, isIfaceUp(now) ? 'address-removed' : 'down');
      else this.#ifaces.set(index, now);
      if (this.#core.closed) return;
      // Enslaved to a VRF under the socket: the memberships stay, but its datagrams no longer come.
      const vrf = now === undefined ? undefined : unreachableVrfOf(now);
      if (vrf === undefined) this.#vrfReported.delete(index);
      else if (!this.#vrfReported.has(index)) {
        this.#vrfReported.add(index);
        this.fail(vrfError(now as IfaceInfo, vrf));
      }
    }
    for (const [index, seen] of [...this.#lost]) {
      if (!this.#rejoin) {
        // Kept as opened: forget the loss once the same interface is usable again (the kernel kept
        // the memberships), so that the next loss is reported too.
        const now = current.get(index);
        if (now !== undefined && now.name === seen.name && this.#usable(now)) {
          this.#lost.delete(index);
          this.#ifaces.set(index, now);
        }
        continue;
      }
      const back = [...current.values()].find((i) => i.name === seen.name);
      if (back !== undefined && this.#usable(back)) this.#rejoinIface(index, back, changes);
      if (this.#core.closed) return;
    }
    if (!this.#rejoin || !this.#allIfaces) return;
    for (const iface of current.values()) {
      if (this.#ifaces.has(iface.index) || iface.loopback || !iface.multicast || !this.#usable(iface)) continue;
      if ([...this.#lost.values()].some((l) => l.name === iface.name)) continue;
      if (unreachableVrfOf(iface) !== undefined) {
        warnVrf(iface);
        continue;
      }
      this.#joinNewIface(iface, changes);
      if (this.#core.closed) return;
    }
  }

  #loseIface(iface: IfaceInfo, why: IfaceChangeType): void {
    if (this.#rejoin) {
      for (const [group, perIface] of this.#memberships) {
        if (!perIface.has(iface.index)) continue;
        try {
          this.#core.handle.dropMembership(this.#groupId(group), iface.index);
        } catch {
          // Whatever the OS says, the membership is of no use any more; the socket holds it until it closes.
        }
      }
    }
    // Still listed in #ifaces (so that join() records new groups for it), but no longer in `ifaces`.
    this.#lost.set(iface.index, iface);
    this.#announce('iface-lost', iface, why);
  }

  /** Emits an interface event; a listener that throws does not stop the socket from following the rest of the changes. */
  #announce(event: 'iface-lost' | 'iface-joined', iface: IfaceInfo, why: IfaceChangeType): void {
    try {
      this.emit(event, iface, why);
    } catch (err) {
      reportListenerError(err);
    }
  }

  /** Why an interface can be joined now: the change of this batch that concerns it. */
  static #joinReason(iface: IfaceInfo, changes: IfaceChange[]): IfaceChangeType {
    for (const type of ['added', 'up', 'address-added'] as const) if (changes.some((c) => c.type === type && c.iface.index === iface.index)) return type;
    return 'up';
  }

  /** Joins `plan` (group → membership) on `iface`, all or nothing; reports a failure and returns false. */
  #joinAll(iface: IfaceInfo, plan: [string, Membership][]): boolean {
    const address = preferredAddress(iface, this.family)?.address ?? null;
    const done: string[] = [];
    let step = '';
    try {
      for (const [group, m] of plan) {
        step = `joining ${group} on ${iface.name}`;
        this.#core.handle.setMembership(this.#groupId(group), group, iface.index, address, m.sources === null ? null : [...m.sources], [...m.blocked]);
        done.push(group);
      }
      return true;
    } catch (err) {
      for (const group of done) {
        try {
          this.#core.handle.dropMembership(this.#groupId(group), iface.index);
        } catch {
          // Closing the socket drops it at the latest.
        }
      }
      this.fail(fromNativeError(err, step));
      return false;
    }
  }

  #rejoinIface(oldIndex: number, iface: IfaceInfo, changes: IfaceChange[]): void {
    const plan: [string, Membership][] = [];
    for (const [group, perIface] of this.#memberships) {
      const m = perIface.get(oldIndex);
      if (m !== undefined) plan.push([group, m]);
    }
    // A failure leaves the interface lost; the next change tries again.
    if (!this.#joinAll(iface, plan)) return;
    for (const [group, m] of plan) {
      const perIface = this.#memberships.get(group) as Map<number, Membership>;
      perIface.delete(oldIndex);
      perIface.set(iface.index, m);
    }
    this.#lost.delete(oldIndex);
    this.#ifaces.delete(oldIndex);
    this.#ifaces.set(iface.index, iface);
    this.#core.ifaceNames.set(iface.index, iface.name);
    this.#announce('iface-joined', iface, McastRxSocket.#joinReason(iface, changes));
  }

  /** A socket on all interfaces joins every group on a new one, with the sources and blocks it has elsewhere. */
  #joinNewIface(iface: IfaceInfo, changes: IfaceChange[]): void {
    const plan: [string, Membership][] = [];
    for (const [group, perIface] of this.#memberships) {
      const model = perIface.values().next().value as Membership;
      plan.push([group, { sources: model.sources === null ? null : new Set(model.sources), blocked: new Set(model.blocked) }]);
    }
    if (!this.#joinAll(iface, plan)) return;
    for (const [group, m] of plan) (this.#memberships.get(group) as Map<number, Membership>).set(iface.index, m);
    this.#ifaces.set(iface.index, iface);
    this.#core.ifaceNames.set(iface.index, iface.name);
    this.#announce('iface-joined', iface, McastRxSocket.#joinReason(iface, changes));
  }

  // ---- Delivery ------------------------------------------------------------------------------------

  /**
   * Brings liveness in line with who waits for data now: 'message' and 'batch' listeners (as
   * listenerCount() says, so no sequence of EventEmitter calls can put it out of step) and pending
   * receive() calls. While someone waits, the socket keeps the process running and cannot be
   * garbage-collected. Called after every change of either.
   */
  #consumersChanged(): void {
    const core = this.#core;
    // EventEmitter's constructor may add listeners before the core exists.
    if (core === undefined || core.closed) return;
    const listening = this.#listening();
    const consuming = listening || core.waiters.length > 0;
    if (consuming !== core.consuming) {
      core.consuming = consuming;
      core.strongOwner = consuming ? this : null;
      core.handle.setKeepAlive(consuming);
    }
    if (listening && core.queue.length > 0) this.#scheduleHandOver();
  }

  // Every way EventEmitter adds or removes a listener goes through one of these (once() and
  // events.once() call on() and removeListener(); off is an alias the base class binds to its own
  // removeListener, so it is overridden too).

  /** EventEmitter.on. */
  override on(event: string | symbol, listener: Listener): this {
    super.on(event, listener);
    this.#consumersChanged();
    return this;
  }

  /** EventEmitter.addListener. */
  override addListener(event: string | symbol, listener: Listener): this {
    super.addListener(event, listener);
    this.#consumersChanged();
    return this;
  }

  /** EventEmitter.prependListener. */
  override prependListener(event: string | symbol, listener: Listener): this {
    super.prependListener(event, listener);
    this.#consumersChanged();
    return this;
  }

  /** EventEmitter.once. */
  override once(event: string | symbol, listener: Listener): this {
    super.once(event, listener);
    this.#consumersChanged();
    return this;
  }

  /** EventEmitter.prependOnceListener. */
  override prependOnceListener(event: string | symbol, listener: Listener): this {
    super.prependOnceListener(event, listener);
    this.#consumersChanged();
    return this;
  }

  /** EventEmitter.removeListener. */
  override removeListener(event: string | symbol, listener: Listener): this {
    super.removeListener(event, listener);
    this.#consumersChanged();
    return this;
  }

  /** EventEmitter.off. */
  override off(event: string | symbol, listener: Listener): this {
    super.off(event, listener);
    this.#consumersChanged();
    return this;
  }

  /** EventEmitter.removeAllListeners. */
  override removeAllListeners(...event: [event?: string | symbol]): this {
    // Passed on as given: the base class tells no argument (all events) from an undefined one.
    super.removeAllListeners(...event);
    this.#consumersChanged();
    return this;
  }

  /** @internal Called by the core with each batch. */
  deliver(messages: McastMessage[]): void {
    const core = this.#core;
    // Datagrams queued while nobody listened go first (a listener that came gets them handed over
    // before any new batch; this is for one that came while a batch of another socket was delivered).
    const batch = core.queue.length > 0 && this.#listening() ? core.queue.splice(0).concat(messages) : messages;
    this.#dispatch(batch);
    if (core.queue.length >= kQueueLimit && !core.paused && !core.closed) {
      // Memory stays bounded: the kernel holds (and then drops, counted) what we do not read.
      core.paused = true;
      core.handle.pause();
    }
  }

  /**
   * Gives `messages` to the consumers there are now: 'batch' and 'message' listeners and pending
   * receive() calls; with none, to the queue. A datagram a listener had is not queued as well; once
   * the last 'message' listener is gone (once()), the rest of the batch is queued.
   */
  #dispatch(messages: McastMessage[]): void {
    const core = this.#core;
    const batchListeners = this.listenerCount('batch') > 0;
    let messageListeners = this.listenerCount('message') > 0;
    if (batchListeners) {
      this.emit('batch', messages);
      // Only 'batch' listeners and no receive() waiting: nothing is done per datagram.
      if (!messageListeners && core.waiters.length === 0) return;
    }
    for (const msg of messages) {
      if (core.closed) return;
      let listened = batchListeners;
      if (messageListeners) {
        this.emit('message', msg);
        listened = true;
        messageListeners = this.listenerCount('message') > 0;
      }
      const waiter = core.waiters.shift();
      if (waiter !== undefined) this.#settle(waiter, msg);
      else if (!listened) core.queue.push(msg);
    }
  }

  /** Someone listens for datagrams ('message' or 'batch'). */
  #listening(): boolean {
    return this.listenerCount('message') > 0 || this.listenerCount('batch') > 0;
  }

  /** A listener came while datagrams wait in the queue: they go to it first, once the call that added it has returned. */
  #scheduleHandOver(): void {
    const core = this.#core;
    if (core.handOverScheduled) return;
    core.handOverScheduled = true;
    process.nextTick(() => {
      core.handOverScheduled = false;
      this.#handOver();
    });
  }

  /** Gives the queued datagrams, in order, to the listeners there are now, and reads again. */
  #handOver(): void {
    const core = this.#core;
    if (core.closed || core.queue.length === 0 || !this.#listening()) return;
    this.#dispatch(core.queue.splice(0));
    this.#resumeIfRoom();
  }

  /** Reads again once the queue has room (it paused when the queue was full). */
  #resumeIfRoom(): void {
    const core = this.#core;
    if (core.paused && core.queue.length <= kQueueResume && !core.closed) {
      core.paused = false;
      core.handle.resume();
    }
  }

  /** @internal Called by the core with an error of the receive path. */
  fail(err: MulticastExpertError): void {
    if (this.listenerCount('error') > 0) {
      this.emit('error', err);
      return;
    }
    const waiter = this.#core.waiters.shift();
    if (waiter !== undefined) {
      this.#unwait(waiter);
      waiter.reject(err);
      return;
    }
    process.emitWarning(err.message, { code: err.code, type: 'MulticastExpertWarning' });
  }

  #settle(waiter: Waiter, msg: McastMessage | null): void {
    this.#unwait(waiter);
    waiter.resolve(msg);
  }

  /** Cleans up after a waiter that was taken off core.waiters. */
  #unwait(waiter: Waiter): void {
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    waiter.disposeAbort?.();
    this.#consumersChanged();
  }

  #takeQueued(): McastMessage | undefined {
    const msg = this.#core.queue.shift();
    this.#resumeIfRoom();
    return msg;
  }

  /**
   * The next datagram, or null when the timeout passes (options.timeout, else the socket's) or the
   * socket closes. Rejects with an AbortError when options.signal aborts.
   */
  receive(options?: ReceiveOptions): Promise<McastMessage | null> {
    try {
      const o = checkOptions<ReceiveOptions>(options, ['timeout', 'signal'], 'receive options');
      const timeout = o.timeout === undefined ? this.#timeout : checkTimeout(o.timeout, 'timeout');
      if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) fail(ErrorCodes.INVALID_OPTION, `signal must be an AbortSignal, got ${describe(o.signal)}`);
      return this.#receive(timeout, o.signal);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #receive(timeout: number | undefined, signal: AbortSignal | undefined): Promise<McastMessage | null> {
    if (this.#core.closed) return Promise.reject(new MulticastExpertError(ErrorCodes.SOCKET_CLOSED, 'the McastRxSocket is closed'));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const queued = this.#takeQueued();
    if (queued !== undefined) return Promise.resolve(queued);
    if (timeout === 0) return Promise.resolve(null);
    return new Promise<McastMessage | null>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      const core = this.#core;
      if (timeout !== undefined) {
        waiter.timer = setTimeout(() => {
          const at = core.waiters.indexOf(waiter);
          if (at >= 0) core.waiters.splice(at, 1);
          this.#settle(waiter, null);
        }, timeout);
      }
      if (signal !== undefined) {
        const onAbort = (): void => {
          const at = core.waiters.indexOf(waiter);
          if (at < 0) return;
          core.waiters.splice(at, 1);
          this.#unwait(waiter);
          reject(abortError(signal));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.disposeAbort = () => signal.removeEventListener('abort', onAbort);
      }
      core.waiters.push(waiter);
      this.#consumersChanged();
    });
  }

  /** Datagrams until the socket closes (the socket's timeout does not end the iteration). */
  async *[Symbol.asyncIterator](): AsyncIterator<McastMessage> {
    for (;;) {
      if (this.#core.closed) return;
      const msg = await this.#receive(undefined, undefined);
      if (msg === null) return;
      yield msg;
    }
  }

  // ---- Closing -------------------------------------------------------------------------------------

  /** Closes the socket (leaving its groups); idempotent. Pending receive() calls resolve to null. */
  close(): void {
    const core = this.#core;
    if (core.closed) return;
    core.closed = true;
    registry.unregister(core);
    core.unfollow?.();
    core.unfollow = null;
    core.handle.close();
    core.queue.length = 0;
    for (const waiter of core.waiters.splice(0)) this.#settle(waiter, null);
    core.strongOwner = null;
    process.nextTick(() => this.emit('close'));
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }

  /** close(), as a promise. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }
}

/** The events of a {@link McastRxSocket}, each with the arguments its listeners get. */
export interface McastRxSocketEvents {
  /** One datagram. */
  message: [msg: McastMessage];
  /** Every datagram that arrived in one event-loop turn, in order: the fastest way to read. */
  batch: [msgs: McastMessage[]];
  /** An error of the receive path. Without a listener it rejects a pending receive(), else it is emitted as a process warning. */
  error: [err: MulticastExpertError];
  /** The socket was closed. */
  close: [];
}

// Listener types for the events above, merged into the class's type (no code). The last overload
// of each keeps EventEmitter's own signature, for other event names.
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-declaration-merging */
export interface McastRxSocket {
  /** Calls `listener` for every `event` (see {@link McastRxSocketEvents}). */
  on<K extends keyof McastRxSocketEvents>(event: K, listener: (...args: McastRxSocketEvents[K]) => void): this;
  /** EventEmitter.on, for other events. */
  on(event: string | symbol, listener: (...args: any[]) => void): this;
  /** Calls `listener` for the next `event` only. */
  once<K extends keyof McastRxSocketEvents>(event: K, listener: (...args: McastRxSocketEvents[K]) => void): this;
  /** EventEmitter.once, for other events. */
  once(event: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes a listener (as removeListener). */
  off<K extends keyof McastRxSocketEvents>(event: K, listener: (...args: McastRxSocketEvents[K]) => void): this;
  /** EventEmitter.off, for other events. */
  off(event: string | symbol, listener: (...args: any[]) => void): this;
  /** Same as on(). */
  addListener<K extends keyof McastRxSocketEvents>(event: K, listener: (...args: McastRxSocketEvents[K]) => void): this;
  /** EventEmitter.addListener, for other events. */
  addListener(event: string | symbol, listener: (...args: any[]) => void): this;
  /** Removes a listener added with on(), once() or addListener(). */
  removeListener<K extends keyof McastRxSocketEvents>(event: K, listener: (...args: McastRxSocketEvents[K]) => void): this;
  /** EventEmitter.removeListener, for other events. */
  removeListener(event: string | symbol, listener: (...args: any[]) => void): this;
  /** Like on(), but the listener runs before those already added. */
  prependListener<K extends keyof McastRxSocketEvents>(event: K, listener: (...args: McastRxSocketEvents[K]) => void): this;
  /** EventEmitter.prependListener, for other events. */
  prependListener(event: string | symbol, listener: (...args: any[]) => void): this;
  /** Like once(), but the listener runs before those already added. */
  prependOnceListener<K extends keyof McastRxSocketEvents>(event: K, listener: (...args: McastRxSocketEvents[K]) => void): this;
  /** EventEmitter.prependOnceListener, for other events. */
  prependOnceListener(event: string | symbol, listener: (...args: any[]) => void): this;
}
/* eslint-enable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-declaration-merging */
