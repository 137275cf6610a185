/**
 * The interface a sender sends out of, followed as it changes (by name, or by address when it was
 * given as one), and the errors of sends that name its state.
 * @internal
 * @module
 */
import type { Family } from '../addresses';
import { explainNativeError, fromNativeError, MulticastExpertError } from '../errors';
import { type IfaceInfo, preferredAddress, scanInterfaces } from '../interfaces';
import type { NativeTxSocket } from '../native';
import { type IfaceChange, isIfaceUp } from '../watch';

/** OS error codes that can mean "the interface is gone, down, or lost its address". */
const kIfaceErrors = new Set(['ENODEV', 'ENXIO', 'ENETDOWN', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTUNREACH']);

/**
 * The interface a sender sends out of, followed as it changes: by name, since a removed interface
 * that comes back (a USB adapter plugged in again, a VPN reconnecting) does so under a new index. It
 * holds the native socket but never the McastTxSocket, so that an unused socket can still be
 * garbage-collected (and then closed).
 */
export class TxTarget {
  /** The interface as last seen. */
  iface: IfaceInfo;
  /** No interface of this name exists (or none that can be sent from): sends are refused. */
  gone = false;
  /** Counts re-targets, so that a send can tell that a rescan moved the socket. */
  generation = 0;
  unfollow: (() => void) | null = null;
  /** Takes the close-on-abort listener off the `signal` option's signal. */
  stopAbort: (() => void) | null = null;
  closed = false;
  /** The IPv4 address given with IP_MULTICAST_IF (Linux sends from it, and refuses once it is gone). */
  #targetAddress: string | null;
  /** A rescan on a send error at most once per loop turn. */
  #refreshedThisTurn = false;

  constructor(
    readonly handle: NativeTxSocket,
    iface: IfaceInfo,
    readonly family: Family,
    /** Set when the socket is bound to one address of the interface (iface given as an address). */
    readonly bindAddress: string | null,
    targetAddress: string | null,
  ) {
    this.iface = iface;
    this.#targetAddress = targetAddress;
  }

  /** The interface monitor's subscriber: follows each new scan. */
  followChanges(changes: readonly IfaceChange[], current: ReadonlyMap<number, IfaceInfo>): void {
    // A renamed interface (Linux keeps its index) is the same interface: go on with its new name.
    for (const change of changes) if (change.type === 'renamed' && change.iface.index === this.iface.index) this.iface = change.iface;
    this.follow(current);
  }

  /** Brings the socket in line with `current` (a scan by index). */
  follow(current: ReadonlyMap<number, IfaceInfo>): void {
    if (this.closed) return;
    if (this.bindAddress !== null) {
      this.#followAddress(current);
      return;
    }
    const name = this.iface.name;
    const now = current.get(this.iface.index);
    if (now !== undefined && now.name === name) {
      this.iface = now;
      this.gone = false;
      // Still there: only a new IPv4 address needs telling the OS.
      const address = this.#sourceAddress(now);
      if (this.family === 'ipv4' && address !== undefined && address !== this.#targetAddress) this.#retarget(now, address);
      return;
    }
    let back: IfaceInfo | undefined;
    for (const iface of current.values()) if (iface.name === name) back = iface;
    if (back === undefined) {
      this.gone = true;
      return;
    }
    const address = this.#sourceAddress(back);
    if (address === undefined) {
      // Back, but with nothing to send from yet: wait for its address.
      this.gone = true;
      return;
    }
    this.#retarget(back, address);
  }

  /**
   * A socket given an address sends from that address, out of whichever interface holds it: when
   * the address moves to another interface (a VIP that fails over, an address given to a new
   * interface), the socket moves with it; while no interface holds it, sends are refused.
   */
  #followAddress(current: ReadonlyMap<number, IfaceInfo>): void {
    const address = this.bindAddress as string;
    const own = current.get(this.iface.index);
    if (own !== undefined && this.#sourceAddress(own) !== undefined) {
      this.iface = own;
      this.gone = false;
      return;
    }
    for (const iface of current.values()) {
      if (this.#sourceAddress(iface) === undefined) continue;
      this.#retarget(iface, address);
      return;
    }
    this.gone = true;
  }

  /** The address to name with IP_MULTICAST_IF on `iface`, or undefined when it cannot be sent from. */
  #sourceAddress(iface: IfaceInfo): string | undefined {
    if (this.bindAddress !== null) {
      // Bound to one address: only that address on the interface will do. An IPv6 link-local
      // address ties the socket to its interface's index for good (its scope): it never moves.
      const list = this.family === 'ipv4' ? iface.ipv4 : iface.ipv6;
      const found = list.find((a) => a.address === this.bindAddress && (!a.scopeId || iface.index === this.iface.index));
      return found?.address;
    }
    return preferredAddress(iface, this.family)?.address;
  }

  #retarget(iface: IfaceInfo, address: string): void {
    try {
      this.handle.retarget(iface.index, this.family === 'ipv4' ? address : null, iface.loopback);
    } catch {
      // The interface went again under our feet, or the OS refused: stay as we are; the next
      // change tries again.
      this.gone = this.iface.index !== iface.index;
      return;
    }
    this.iface = iface;
    this.gone = false;
    this.#targetAddress = this.family === 'ipv4' ? address : null;
    this.generation++;
  }

  /** Rescans now (at most once per loop turn): for a send that failed or was refused before the monitor caught up. */
  refresh(): void {
    if (this.#refreshedThisTurn) return;
    this.#refreshedThisTurn = true;
    setImmediate(() => {
      this.#refreshedThisTurn = false;
    }).unref();
    try {
      this.follow(new Map(scanInterfaces().map((i) => [i.index, i])));
    } catch {
      // Without a scan we know no better than before.
    }
  }

  /** The error for a send that failed with `err` (or was refused, when `err` is null), naming the interface when it is the cause. */
  sendError(err: unknown, what: string): MulticastExpertError {
    if (err instanceof MulticastExpertError) return err;
    const native = err === null ? null : fromNativeError(err, what);
    if (native !== null && !kIfaceErrors.has(native.code)) return native;
    this.refresh();
    const iface = this.iface;
    const who = `interface ${iface.name} (index ${iface.index})`;
    let state: string;
    let hint: string;
    if (this.gone && this.bindAddress !== null) {
      state = `no longer holds ${this.bindAddress}, and no other interface does`;
      hint = `sending resumes by itself once an interface holds ${this.bindAddress} again; nothing is sent from another address meanwhile`;
    } else if (this.gone) {
      state = 'is gone';
      hint = `sending resumes by itself once an interface named ${iface.name} is back with an ${this.family} address; nothing is sent out of another interface meanwhile`;
    } else if (!isIfaceUp(iface)) {
      state = 'is down';
      hint = `sending resumes by itself once ${iface.name} is up again`;
    } else if (this.#sourceAddress(iface) === undefined) {
      state = `has no ${this.family} address`;
      hint = `sending resumes by itself once ${iface.name} has an ${this.family} address again`;
    } else {
      if (native !== null) return native;
      state = 'has changed';
      hint = 'send again';
    }
    if (native === null) {
      // Refused here, before the OS: the code the OS gives for a removed interface.
      return new MulticastExpertError('ENODEV', `${what}: ${who} ${state}`, { syscall: 'sendto', hint });
    }
    return explainNativeError(native, err, `${what}: ${who} ${state}`, hint);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unfollow?.();
    this.unfollow = null;
    this.stopAbort?.();
    this.stopAbort = null;
    this.handle.close();
  }
}
