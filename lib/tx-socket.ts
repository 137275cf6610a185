/**
 * McastTxSocket: sends multicast out of one chosen interface.
 * @module
 */
import { type Family, describe, parseGroup, parseIp } from './addresses';
import { ErrorCodes, MulticastExpertError, fail, fromNativeError } from './errors';
import { type IfaceInfo, type IfaceSpecifier, getDefaultGatewayIface, preferredAddress, resolveOneIface, scanInterfaces } from './interfaces';
import { type NativeTxSocket, native } from './native';
import { checkBoolean, checkGroups, checkInteger, checkOptions, checkPort, familyOfSpecifier } from './options';
import { warnClosedByGc } from './gc-warning';
import { DestinationTable } from './tx-destinations';
import { type IfaceChange, followInterfaces, isIfaceUp } from './watch';

/** Options of {@link McastTxSocket}. */
export interface McastTxSocketOptions {
  /** If given, send() to any other group throws ERR_GROUP_NOT_DECLARED. */
  groups?: string[];
  /** Default: the groups' family, else the iface address's, else 'ipv4'. */
  family?: Family;
  /** Default: the default-gateway interface of the family. */
  iface?: IfaceSpecifier;
  /** 0..255, default 1 (hop limit for IPv6). 0 keeps datagrams on this host. */
  ttl?: number;
  /** Default false: this host's own receivers on other interfaces than loopback do not get our datagrams. */
  externalLoopback?: boolean;
  /** Local source port; default: any free port. */
  port?: number;
}

/** One datagram of {@link McastTxSocket.sendBatch}. */
export interface McastBatchMessage {
  /** The payload (a string is sent as UTF-8). */
  data: string | Uint8Array;
  /** The destination group. */
  group: string;
  /** The destination port. */
  port: number;
}

const kTxOptions = ['groups', 'family', 'iface', 'ttl', 'externalLoopback', 'port'] as const;

/** A send() or sendBatch() waiting for room in the socket buffer. It holds its destination ids until it is settled. */
interface SendJob {
  ids: Uint32Array;
  datas: Uint8Array[];
  done: number;
  resolve: (sent: number) => void;
  reject: (err: Error) => void;
  what: string;
}

/** OS error codes that can mean "the interface is gone, down, or lost its address". */
const kIfaceErrors = new Set(['ENODEV', 'ENXIO', 'ENETDOWN', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTUNREACH']);

/**
 * The interface a sender sends out of, followed as it changes: by name, since a removed interface
 * that comes back (a USB adapter plugged in again, a VPN reconnecting) does so under a new index. It
 * holds the native socket but never the McastTxSocket, so that an unused socket can still be
 * garbage-collected (and then closed).
 */
class TxTarget {
  /** The interface as last seen. */
  iface: IfaceInfo;
  /** No interface of this name exists (or none that can be sent from): sends are refused. */
  gone = false;
  /** Counts re-targets, so that a send can tell that a rescan moved the socket. */
  generation = 0;
  unfollow: (() => void) | null = null;
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
    const detail = native.syscall !== undefined ? ` (${native.syscall} ${native.code})` : ` (${native.code})`;
    return new MulticastExpertError(native.code, `${what}: ${who} ${state}${detail}`, {
      ...(native.errno !== undefined ? { errno: native.errno } : {}),
      ...(native.syscall !== undefined ? { syscall: native.syscall } : {}),
      hint,
      cause: err,
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unfollow?.();
    this.unfollow = null;
    this.handle.close();
  }
}

const registry = new FinalizationRegistry<TxTarget>((target) => {
  if (target.closed) return;
  target.close();
  warnClosedByGc('McastTxSocket');
});

/** The error for a sender that could not be opened on `iface`. */
function senderOpenError(err: unknown, iface: IfaceInfo, family: Family, bindAddress: string | null): MulticastExpertError {
  const what = `opening a multicast sender on ${iface.name}`;
  const e = fromNativeError(err, what);
  // An IPv6 address is listed from the moment it is added, but can be bound only once duplicate
  // address detection has passed: for an address the scan has just shown on the interface, that is
  // what EADDRNOTAVAIL means.
  if (bindAddress === null || family !== 'ipv6' || e.code !== 'EADDRNOTAVAIL') return e;
  return new MulticastExpertError(e.code, `${what}: ${bindAddress} cannot be used yet: IPv6 duplicate address detection has not passed (${e.syscall ?? 'bind'} EADDRNOTAVAIL)`, {
    ...(e.errno !== undefined ? { errno: e.errno } : {}),
    ...(e.syscall !== undefined ? { syscall: e.syscall } : {}),
    hint: `an address just added is "tentative" for a second or two (ip -6 addr show dev ${iface.name}): open the sender again then; "dadfailed" means another host on the link has the address`,
    cause: err,
  });
}

/** The bytes of `data`; `index` names the message of a batch in the error (-1: send()'s data). */
function toBytes(data: unknown, index: number): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // The name is built here only: a template string per datagram showed in sendBatch's profile.
  const what = index < 0 ? 'data' : `messages[${index}].data`;
  return fail(ErrorCodes.INVALID_OPTION, `${what} must be a string, Buffer or Uint8Array, got ${describe(data)}`);
}

/**
 * A socket that sends UDP datagrams to multicast groups out of one interface.
 *
 * ```ts
 * const tx = new McastTxSocket({ groups: ['239.1.2.3'], iface: 'eth0' });
 * await tx.send('hello', '239.1.2.3', 12345);
 * tx.close();
 * ```
 */
export class McastTxSocket {
  /** The address family of the socket. */
  readonly family: Family;
  readonly #target: TxTarget;
  /** The TTL (IPv6: hop limit) of every datagram. */
  readonly ttl: number;
  readonly #declared: Set<string> | null;
  readonly #table: DestinationTable;
  readonly #queue: SendJob[] = [];
  #waiting = false;
  #closed = false;

  /** Opens the socket at once; throws on bad options, leaving nothing open. */
  constructor(options: McastTxSocketOptions = {}) {
    const o = checkOptions<McastTxSocketOptions>(options, kTxOptions, 'McastTxSocket options');
    const groups = o.groups === undefined ? undefined : checkGroups(o.groups, 'groups', o.family);
    const family: Family = o.family ?? groups?.[0]?.family ?? familyOfSpecifier(o.iface) ?? 'ipv4';
    if (o.family !== undefined && o.family !== 'ipv4' && o.family !== 'ipv6')
      fail(ErrorCodes.INVALID_OPTION, `family must be 'ipv4' or 'ipv6', got ${describe(o.family)}`);
    this.ttl = o.ttl === undefined ? 1 : checkInteger(o.ttl, 'ttl', 0, 255);
    const externalLoopback = checkBoolean(o.externalLoopback, 'externalLoopback', false);
    const port = o.port === undefined ? 0 : checkPort(o.port, 'port', true);

    let iface: IfaceInfo;
    let bindAddress: string | null = null;
    if (o.iface === undefined) {
      const gateway = getDefaultGatewayIface(family);
      if (gateway === null)
        fail(ErrorCodes.NO_DEFAULT_IFACE, `no iface was given and this machine has no ${family} default route`, 'pass the iface option (a name such as "eth0", an index or an address)');
      iface = gateway;
    } else {
      iface = resolveOneIface(o.iface, 'iface');
      const asAddress = typeof o.iface === 'string' ? parseIp(o.iface) : null;
      if (asAddress !== null && iface.name !== o.iface) {
        if (asAddress.family !== family) fail(ErrorCodes.FAMILY_MISMATCH, `iface ${o.iface} is ${asAddress.family}, the socket ${family}`);
        // Given as an address, the interface's datagrams leave from exactly that address.
        bindAddress = asAddress.address;
      }
    }
    const address = preferredAddress(iface, family);
    if (address === undefined)
      fail(ErrorCodes.IFACE_NO_ADDRESS, `interface ${iface.name} has no ${family} address`, `give an interface with an ${family} address, or bring this one up and configure one`);

    this.family = family;
    this.#declared = groups === undefined ? null : new Set(groups.map((g) => g.address));
    let handle: NativeTxSocket;
    try {
      handle = new (native().TxSocket)({
        family: family === 'ipv4' ? 4 : 6,
        ifindex: iface.index,
        ifaceAddress: family === 'ipv4' ? address.address : null,
        bindAddress,
        port,
        ttl: this.ttl,
        externalLoopback,
        ifaceIsLoopback: iface.loopback,
      });
    } catch (err) {
      throw senderOpenError(err, iface, family, bindAddress);
    }
    const target = new TxTarget(handle, iface, family, bindAddress, family === 'ipv4' ? address.address : null);
    this.#target = target;
    this.#table = new DestinationTable(handle.setDestination.bind(handle));
    registry.register(this, target, this);
    // A bound method rather than a closure made here, which would hold this constructor's context.
    target.unfollow = followInterfaces(target.followChanges.bind(target));
  }

  /**
   * The interface the datagrams leave from. When it is removed and an interface of the same name
   * appears (or it gets a new address), the socket moves there by itself; this then names the new one.
   */
  get iface(): IfaceInfo {
    return this.#target.iface;
  }

  get #handle(): NativeTxSocket {
    return this.#target.handle;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The local address and port the datagrams are sent from. */
  address(): {
    /** The source address. */
    address: string;
    /** The source port. */
    port: number;
    /** The address family. */
    family: Family;
  } {
    if (this.#closed) fail(ErrorCodes.SOCKET_CLOSED, 'the McastTxSocket is closed');
    const [address, port] = this.#handle.address();
    return { address, port, family: this.family };
  }

  /** The destination id of `group`:`port`, held for the caller (see DestinationTable); throws on a bad group or port. */
  #destination(group: unknown, port: unknown): number {
    if (typeof group === 'string' && typeof port === 'number') {
      const id = this.#table.holdKnown(group, port);
      if (id !== undefined) return id;
    }
    const g = parseGroup(group, this.family);
    checkPort(port, 'port');
    if (this.#declared !== null && !this.#declared.has(g.address))
      fail(ErrorCodes.GROUP_NOT_DECLARED, `group ${g.address} was not declared in this socket's groups`, 'add it to the groups option, or leave groups out to send to any group');
    return this.#table.holdNew(group as string, g.address, port as number);
  }

  /**
   * Sends one datagram to `group`:`port`. Resolves once the kernel has it; rejects with a
   * MulticastExpertError otherwise (ERR_MESSAGE_TOO_LARGE for a datagram that is too big).
   */
  send(data: string | Uint8Array, group: string, port: number): Promise<void> {
    let id = -1;
    try {
      if (this.#closed) fail(ErrorCodes.SOCKET_CLOSED, 'the McastTxSocket is closed');
      id = this.#destination(group, port);
      const bytes = toBytes(data, -1);
      // The text is built only when needed: a template string per send() costs in a flood.
      if (this.#target.gone) this.#refuseWhileGone(`sending to ${group}:${port}`);
      if (this.#queue.length === 0) {
        let sent: boolean;
        const generation = this.#target.generation;
        try {
          sent = this.#handle.send(id, bytes);
        } catch (err) {
          const e = this.#target.sendError(err, `sending to ${group}:${port}`);
          // The interface came back before the monitor told us: the rescan moved the socket, try once more.
          if (this.#target.generation === generation || this.#target.gone) throw e;
          try {
            sent = this.#handle.send(id, bytes);
          } catch (again) {
            throw this.#target.sendError(again, `sending to ${group}:${port}`);
          }
        }
        if (sent) {
          this.#table.release(id);
          return Promise.resolve();
        }
      }
      // From here on the job holds the id.
      const ids = Uint32Array.of(id);
      id = -1;
      return new Promise<number>((resolve, reject) => {
        this.#enqueue({ ids, datas: [bytes], done: 0, resolve, reject, what: `sending to ${group}:${port}` });
      }).then(() => undefined);
    } catch (err) {
      if (id >= 0) this.#table.release(id);
      return Promise.reject(err);
    }
  }

  /**
   * Sends several datagrams, in order, with as few system calls as the OS allows (sendmmsg on
   * Linux). Resolves to the number sent (all of them); rejects at the first that fails.
   */
  sendBatch(messages: McastBatchMessage[]): Promise<number> {
    let ids: Uint32Array | null = null;
    let held = 0;
    try {
      if (this.#closed) fail(ErrorCodes.SOCKET_CLOSED, 'the McastTxSocket is closed');
      if (!Array.isArray(messages)) fail(ErrorCodes.INVALID_OPTION, `messages must be an array of { data, group, port }, got ${describe(messages)}`);
      ids = new Uint32Array(messages.length);
      const datas: Uint8Array[] = new Array<Uint8Array>(messages.length);
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i] as unknown;
        if (typeof m !== 'object' || m === null) fail(ErrorCodes.INVALID_OPTION, `messages[${i}] must be an object { data, group, port }, got ${describe(m)}`);
        const { data, group, port } = m as Partial<McastBatchMessage>;
        // Held from here on: however many destinations the rest of the batch adds, this id keeps its meaning.
        ids[i] = this.#destination(group, port);
        held = i + 1;
        datas[i] = toBytes(data, i);
      }
      if (messages.length === 0) return Promise.resolve(0);
      this.#refuseWhileGone('sending a batch');
      // From here on the job holds the ids.
      const jobIds = ids;
      held = 0;
      return new Promise<number>((resolve, reject) => {
        this.#enqueue({ ids: jobIds, datas, done: 0, resolve, reject, what: 'sending a batch' });
      });
    } catch (err) {
      if (ids !== null) this.#table.releaseAll(ids, held);
      return Promise.reject(err);
    }
  }

  /**
   * While no interface of the socket's name exists, nothing goes to the OS: it must not pick another
   * interface (Linux refuses by itself, but an index can be reused by another interface).
   */
  #refuseWhileGone(what: string): void {
    const target = this.#target;
    if (!target.gone) return;
    target.refresh();
    if (target.gone) throw target.sendError(null, what);
  }

  #enqueue(job: SendJob): void {
    this.#queue.push(job);
    if (this.#queue.length === 1) this.#drain();
  }

  /** Sends queued jobs in order until the queue is empty or the socket buffer is full. */
  #drain(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const job = this.#queue[0] as SendJob;
      try {
        this.#refuseWhileGone(job.what);
        job.done += this.#handle.sendBatch(job.ids, job.datas, job.done);
      } catch (err) {
        this.#queue.shift();
        const sent = job.done + (typeof (err as { sent?: unknown }).sent === 'number' ? (err as { sent: number }).sent : 0);
        const e = this.#target.sendError(err, job.ids.length > 1 ? `${job.what} (datagram ${sent + 1} of ${job.ids.length})` : job.what);
        this.#settle(job, e);
        continue;
      }
      if (job.done < job.ids.length) {
        this.#waitWritable();
        return;
      }
      this.#queue.shift();
      this.#settle(job, null);
    }
  }

  /** Resolves (err null) or rejects a job taken off the queue, and lets go of its destinations. */
  #settle(job: SendJob, err: Error | null): void {
    this.#table.releaseAll(job.ids);
    if (err === null) job.resolve(job.done);
    else job.reject(err);
  }

  #waitWritable(): void {
    if (this.#waiting) return;
    this.#waiting = true;
    this.#handle.waitWritable((err) => {
      this.#waiting = false;
      if (err !== null) {
        const job = this.#queue.shift();
        if (job !== undefined) this.#settle(job, fromNativeError(err, job.what));
      }
      this.#drain();
    });
  }

  /** Closes the socket; idempotent. Pending sends reject with ERR_SOCKET_CLOSED. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    registry.unregister(this);
    this.#target.close();
    for (const job of this.#queue.splice(0)) this.#settle(job, new MulticastExpertError(ErrorCodes.SOCKET_CLOSED, `${job.what}: the McastTxSocket was closed`));
  }

  /** Same as close(). */
  [Symbol.dispose](): void {
    this.close();
  }
}
