/**
 * McastTxSocket: sends multicast out of one chosen interface, or out of the interface each datagram
 * names.
 * @module
 */
import { type Family, checkFamily, describe, parseGroup, parseIp } from './addresses';
import { ErrorCodes, MulticastExpertError, callNative, fail, fromNativeError } from './errors';
import { type IfaceInfo, getDefaultGatewayIface, preferredAddress, resolveOneIface } from './interfaces';
import { type NativeTxSocket, native } from './native';
import { closeOnAbort } from './close-on-abort';
import { checkBoolean, checkGroups, checkInteger, checkOptions, checkPort, checkSignal, familyOfSpecifier } from './options';
import { warnClosedByGc } from './gc-warning';
import { DestinationTable } from './tx/destinations';
import { TxRoutes } from './tx/routes';
import { TxTarget } from './tx/target';
import { ClosableEmitter } from './typed-emitter';
import { toBytes } from './bytes';
import type { McastBatchMessage, McastSendOptions, McastTxSocketEvents, McastTxSocketOptions } from './tx/types';
import { followInterfaces } from './watch';

const kTxOptions = ['groups', 'family', 'iface', 'ttl', 'externalLoopback', 'port', 'signal'] as const;

/** A send() or sendBatch() waiting for room in the socket buffer. It holds its destination ids until it is settled. */
interface SendJob {
  ids: Uint32Array;
  datas: Uint8Array[];
  /** The route id of each datagram (0: the socket's interface); undefined when none has one. */
  routes: Uint32Array | undefined;
  done: number;
  resolve: (sent: number) => void;
  reject: (err: Error) => void;
  what: string;
}

const registry = new FinalizationRegistry<TxTarget>((target) => {
  if (target.closed) return;
  target.close();
  warnClosedByGc('McastTxSocket');
});

/** The error for a sender that could not be opened on `iface` (`e`, from `err`), made more precise where we can. */
function senderOpenError(e: MulticastExpertError, err: unknown, what: string, iface: IfaceInfo, family: Family, bindAddress: string | null): MulticastExpertError {
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

/** Whether a datagram from `from` on leaves by the socket's own interface (has no route id). */
function usesOwnIface(routes: Uint32Array | undefined, from = 0): boolean {
  if (routes === undefined) return true;
  for (let i = from; i < routes.length; i++) if (routes[i] === 0) return true;
  return false;
}

/**
 * A socket that sends UDP datagrams to multicast groups out of one interface (or, datagram by
 * datagram, out of the interface a send names). Its errors are those of its calls (a throw, or a
 * rejected send); its one event is 'close' (see {@link McastTxSocketEvents}).
 *
 * ```ts
 * const tx = new McastTxSocket({ groups: ['239.1.2.3'], iface: 'eth0' });
 * await tx.send('hello', '239.1.2.3', 12345);
 * tx.close();
 * ```
 */
export class McastTxSocket extends ClosableEmitter<McastTxSocketEvents> {
  /** The address family of the socket. */
  readonly family: Family;
  readonly #target: TxTarget;
  /** The TTL (IPv6: hop limit) of every datagram. */
  readonly ttl: number;
  readonly #declared: Set<string> | null;
  readonly #table: DestinationTable;
  readonly #routes: TxRoutes;
  readonly #queue: SendJob[] = [];
  #waiting = false;
  #closed = false;

  /** Opens the socket at once; throws on bad options, leaving nothing open. */
  constructor(options: McastTxSocketOptions = {}) {
    super();
    const o = checkOptions<McastTxSocketOptions>(options, kTxOptions, 'McastTxSocket options');
    // Checked first, as a receiver does: the groups and the interface are read in its light.
    const givenFamily = o.family === undefined ? undefined : checkFamily(o.family);
    const groups = o.groups === undefined ? undefined : checkGroups(o.groups, 'groups', givenFamily);
    const family: Family = givenFamily ?? groups?.[0]?.family ?? familyOfSpecifier(o.iface) ?? 'ipv4';
    this.ttl = o.ttl === undefined ? 1 : checkInteger(o.ttl, 'ttl', 0, 255);
    const externalLoopback = checkBoolean(o.externalLoopback, 'externalLoopback', false);
    const port = o.port === undefined ? 0 : checkPort(o.port, 'port', true);
    const signal = checkSignal(o.signal, 'signal');

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
    const settings = {
      family: family === 'ipv4' ? 4 : 6,
      ifindex: iface.index,
      ifaceAddress: family === 'ipv4' ? address.address : null,
      bindAddress,
      port,
      ttl: this.ttl,
      externalLoopback,
      ifaceIsLoopback: iface.loopback,
    } as const;
    const what = `opening a multicast sender on ${iface.name}`;
    const handle = callNative(what, () => new (native().TxSocket)(settings), (e, err) => senderOpenError(e, err, what, iface, family, bindAddress));
    const target = new TxTarget(handle, iface, family, bindAddress, family === 'ipv4' ? address.address : null);
    this.#target = target;
    this.#table = new DestinationTable(handle.setDestination.bind(handle));
    this.#routes = new TxRoutes(handle, family, followInterfaces);
    if (signal?.aborted === true) {
      // As dgram.createSocket: a socket that is closed at once.
      this.close();
      return;
    }
    registry.register(this, target, this);
    // A bound method rather than a closure made here, which would hold this constructor's context.
    target.unfollow = followInterfaces(target.followChanges.bind(target));
    if (signal !== undefined) target.stopAbort = closeOnAbort(signal, this);
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

  /** The route id of `options.iface` (0 without one); throws on bad options and while that interface is gone. */
  #route(options: unknown, group: string, port: number): number {
    const o = checkOptions<McastSendOptions>(options, ['iface'], 'send options');
    if (o.iface === undefined) return 0;
    return this.#routes.idOf(o.iface, `sending to ${group}:${port}`);
  }

  /**
   * Sends one datagram to `group`:`port`, out of the socket's interface or `options.iface`. Resolves
   * once the kernel has it; rejects with a MulticastExpertError otherwise (ERR_MESSAGE_TOO_LARGE for
   * a datagram that is too big; ENODEV, naming it, while `options.iface` is gone).
   */
  send(data: string | Uint8Array, group: string, port: number, options?: McastSendOptions): Promise<void> {
    let id = -1;
    try {
      if (this.#closed) fail(ErrorCodes.SOCKET_CLOSED, 'the McastTxSocket is closed');
      id = this.#destination(group, port);
      const bytes = toBytes(data, -1);
      const route = options === undefined ? 0 : this.#route(options, group, port);
      if (route !== 0) return this.#sendRouted(id, bytes, route, group, port);
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
        this.#enqueue({ ids, datas: [bytes], routes: undefined, done: 0, resolve, reject, what: `sending to ${group}:${port}` });
      }).then(() => undefined);
    } catch (err) {
      if (id >= 0) this.#table.release(id);
      return Promise.reject(err);
    }
  }

  /** send() of a datagram with an interface of its own (route id `route`); holds destination `id` until settled. */
  #sendRouted(id: number, bytes: Uint8Array, route: number, group: string, port: number): Promise<void> {
    if (this.#queue.length === 0) {
      let sent: boolean;
      try {
        sent = this.#handle.send(id, bytes, route);
      } catch (err) {
        this.#table.release(id);
        return Promise.reject(this.#routes.error(route, err, `sending to ${group}:${port}`));
      }
      if (sent) {
        this.#table.release(id);
        return Promise.resolve();
      }
    }
    return new Promise<number>((resolve, reject) => {
      this.#enqueue({ ids: Uint32Array.of(id), datas: [bytes], routes: Uint32Array.of(route), done: 0, resolve, reject, what: `sending to ${group}:${port}` });
    }).then(() => undefined);
  }

  /**
   * Sends several datagrams, in order, with as few system calls as the OS allows (sendmmsg on
   * Linux), each out of the socket's interface or its own `iface`. Resolves to the number sent (all
   * of them); rejects at the first that fails.
   */
  sendBatch(messages: McastBatchMessage[]): Promise<number> {
    let ids: Uint32Array | null = null;
    let held = 0;
    try {
      if (this.#closed) fail(ErrorCodes.SOCKET_CLOSED, 'the McastTxSocket is closed');
      if (!Array.isArray(messages)) fail(ErrorCodes.INVALID_OPTION, `messages must be an array of { data, group, port }, got ${describe(messages)}`);
      ids = new Uint32Array(messages.length);
      const datas: Uint8Array[] = new Array<Uint8Array>(messages.length);
      let routes: Uint32Array | undefined;
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i] as unknown;
        if (typeof m !== 'object' || m === null) fail(ErrorCodes.INVALID_OPTION, `messages[${i}] must be an object { data, group, port }, got ${describe(m)}`);
        const { data, group, port, iface } = m as Partial<McastBatchMessage>;
        // Held from here on: however many destinations the rest of the batch adds, this id keeps its meaning.
        ids[i] = this.#destination(group, port);
        held = i + 1;
        datas[i] = toBytes(data, i);
        if (iface !== undefined) {
          routes ??= new Uint32Array(messages.length);
          routes[i] = this.#routes.idOf(iface, `sending a batch (datagram ${i + 1} of ${messages.length})`);
        }
      }
      if (messages.length === 0) return Promise.resolve(0);
      if (usesOwnIface(routes)) this.#refuseWhileGone('sending a batch');
      // From here on the job holds the ids.
      const jobIds = ids;
      const jobRoutes = routes;
      held = 0;
      return new Promise<number>((resolve, reject) => {
        this.#enqueue({ ids: jobIds, datas, routes: jobRoutes, done: 0, resolve, reject, what: 'sending a batch' });
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
        if (usesOwnIface(job.routes, job.done)) this.#refuseWhileGone(job.what);
        job.done += job.routes === undefined ? this.#handle.sendBatch(job.ids, job.datas, job.done) : this.#handle.sendBatch(job.ids, job.datas, job.done, job.routes);
      } catch (err) {
        this.#queue.shift();
        const sent = job.done + (typeof (err as { sent?: unknown }).sent === 'number' ? (err as { sent: number }).sent : 0);
        const what = job.ids.length > 1 ? `${job.what} (datagram ${sent + 1} of ${job.ids.length})` : job.what;
        // The error names the interface the failed datagram was to leave by.
        const route = job.routes?.[sent] ?? 0;
        this.#settle(job, route === 0 ? this.#target.sendError(err, what) : this.#routes.error(route, err, what));
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
    this.#routes.close();
    for (const job of this.#queue.splice(0)) this.#settle(job, new MulticastExpertError(ErrorCodes.SOCKET_CLOSED, `${job.what}: the McastTxSocket was closed`));
    process.nextTick(() => this.emit('close'));
  }
}
