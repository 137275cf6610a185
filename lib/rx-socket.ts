/**
 * McastRxSocket: receives multicast from several groups on several interfaces, and says for every
 * datagram which group it was sent to and which interface it arrived on.
 *
 * The public class over its parts: its options (rx/options.ts) and interfaces (rx/listen-ifaces.ts);
 * the membership table (rx/membership-table.ts), which decides every membership and whose steps this
 * class applies through the native filter table; the batch decoder (rx/batch-decoder.ts); the
 * receive queue (rx/receive-queue.ts), which hands datagrams to their consumers.
 * @module
 */
import { type Family, parseGroup, parseSource } from './addresses';
import { ErrorCodes, MulticastExpertError, callNative, fail } from './errors';
import { type IfaceInfo, type IfaceSpecifier, findInterfaces, unreachableVrfOf } from './interfaces';
import { native } from './native';
import { closeOnAbort } from './close-on-abort';
import { checkArray, checkOptions, checkSignal, checkSources, checkTimeout } from './options';
import { BatchDecoder } from './rx/batch-decoder';
import { defaultIfaces, resolveIfaces, vrfError, warnVrf } from './rx/listen-ifaces';
import { type MembershipEvent, type MembershipStep, MembershipTable } from './rx/membership-table';
import { applyStep } from './rx/native-steps';
import { parseRxOptions } from './rx/options';
import { ReceiveQueue } from './rx/receive-queue';
import { planReply, sendReply } from './rx/reply';
import type { McastMessage, McastRxSocketEvents, McastRxSocketOptions, McastRxStats, ReceiveOptions, ReplyOptions } from './rx/types';
import { toBytes } from './bytes';
import { RxCore, registry } from './rx/core';
import { ClosableEmitter } from './typed-emitter';
import { type IfaceChange, followInterfaces, reportListenerError } from './watch';

/**
 * A socket that receives multicast datagrams from one or more groups on one or more interfaces,
 * on one port. Each datagram says which group it was sent to and which interface it arrived on, and
 * nothing else reaches it: no unicast, no other group, no other interface, no disallowed source.
 *
 * Read datagrams with `receive()`, `for await`, the 'message' event (one McastMessage per call), or
 * the 'batch' event (McastMessage[]: every datagram read in one event-loop turn, the cheapest way to
 * take a flood; with only 'batch' listeners nothing is done per datagram). Events (see
 * {@link McastRxSocketEvents}): 'message', 'batch', 'error', 'close', and 'iface-lost' /
 * 'iface-joined' `(iface: IfaceInfo, why: IfaceChangeType)` when an interface goes away and when the
 * socket joins its groups on one (again); see the `rejoin` option.
 *
 * An error of the receive path goes to the 'error' listeners; without one, it rejects the oldest
 * pending receive() (ending a `for await` loop with it, which closes the socket); with neither, it
 * becomes a process warning. It never throws (unlike an EventEmitter's 'error' without a listener):
 * it happens in no call of yours, and the socket goes on receiving.
 *
 * A `for await` loop owns the socket, as with a Readable stream: breaking out of it (or a throw or
 * return in it, or an error that ends it) closes the socket. receive() never closes it.
 *
 * ```ts
 * const rx = new McastRxSocket({ groups: ['239.1.2.3', '239.1.2.4'], port: 12345 });
 * for await (const msg of rx) console.log(msg.group, msg.ifaceName, msg.data.toString());
 * ```
 */
export class McastRxSocket extends ClosableEmitter<McastRxSocketEvents> {
  /** The UDP port. */
  readonly port: number;
  /** The address family. */
  readonly family: Family;
  /** The TTL (IPv6: hop limit) of reply()'s datagrams unless a reply says otherwise. */
  readonly ttl: number;
  readonly #externalLoopback: boolean;
  readonly #core: RxCore;
  readonly #table: MembershipTable;
  #timeout: number | undefined;

  /** Opens the socket and joins its groups at once; throws on bad options, leaving nothing open. */
  constructor(options: McastRxSocketOptions) {
    super();
    const o = parseRxOptions(options);
    this.port = o.port;
    this.family = o.family;
    this.ttl = o.ttl;
    this.#externalLoopback = o.externalLoopback;
    this.#timeout = o.timeout;
    const ifaces = o.ifaceSpecs.length > 0 ? resolveIfaces(o.ifaceSpecs, o.family, 'ifaces') : defaultIfaces(o.family);
    const table = new MembershipTable({ family: o.family, rejoin: o.rejoin, allIfaces: o.ifaceSpecs.length === 0, defaultSources: o.sources }, ifaces);
    this.#table = table;
    const core = new RxCore(new BatchDecoder(o.family, o.port, table.groupsById, table.ifaceNames), new ReceiveQueue(this));
    this.#core = core;
    const settings = { family: o.family === 'ipv4' ? 4 : 6, port: o.port, maxMessageSize: o.maxMessageSize, receiveBufferSize: o.receiveBufferSize, timestamps: o.timestamps, externalLoopback: o.externalLoopback, keepAlive: false, coalesceMicros: o.coalesce.maxDelayMicros, coalesceDatagrams: o.coalesce.maxDatagrams } as const;
    // Bound methods, not arrow functions: a closure made here would hold this constructor's
    // context, and with it the socket, so that it could never be garbage-collected.
    core.handle = callNative('opening a multicast receiver', () => new (native().RxSocket)(settings, core.decoder.meta, core.onBatch.bind(core), core.onError.bind(core)));
    core.queue.reader = core.handle;
    if (o.signal?.aborted === true) {
      // As dgram.createSocket: a socket that is closed at once, here before it joins anything.
      this.close();
      return;
    }
    try {
      for (const g of o.groups) this.#applyAll(table.join(g.address, ifaces));
    } catch (err) {
      core.close();
      throw err;
    }
    registry.register(this, core, core);
    core.unfollow = followInterfaces(McastRxSocket.#interfaceFollower(core, table));
    if (o.signal !== undefined) core.stopAbort = closeOnAbort(o.signal, this);
  }

  /**
   * The interface-change subscriber of a socket. Made here, not in the constructor: a closure made
   * there would hold the constructor's context and with it the socket, which could then never be
   * garbage-collected. This one holds the core and the table only.
   */
  static #interfaceFollower(core: RxCore, table: MembershipTable): (changes: IfaceChange[], current: ReadonlyMap<number, IfaceInfo>) => void {
    return (changes, current) => {
      const owner = core.queue.owner();
      if (owner === undefined || core.closed) return;
      for (const step of table.followIfaces(changes, current, unreachableVrfOf)) {
        // A failed rejoin leaves the interface lost; the next change tries again.
        const err = applyStep(core.handle, step);
        if (err !== null) core.queue.fail(err);
        else for (const event of step.events) (owner as McastRxSocket).#tell(event);
        if (core.closed) return;
      }
    };
  }

  // ---- Properties ----------------------------------------------------------------------------------

  /** The groups this socket has joined (on at least one interface). */
  get groups(): string[] {
    return this.#table.groups;
  }

  /** The interfaces this socket listens on (with `rejoin`, not those that went away and wait to come back). */
  get ifaces(): IfaceInfo[] {
    return this.#table.ifaces;
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
    this.#checkOpen();
    const [received, kernelDrops, truncated, filtered] = this.#core.handle.stats();
    return { received, kernelDrops, truncated, filtered };
  }

  /** OS sockets behind this receiver (one per group on Linux and macOS, per interface on Windows). */
  get osSocketCount(): number {
    return this.#core.closed ? 0 : this.#core.handle.socketCount();
  }

  // ---- Memberships ---------------------------------------------------------------------------------

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
    const sources = o.sources === undefined ? undefined : checkSources(o.sources, this.family, 'sources');
    const ifaces = o.ifaces === undefined ? undefined : resolveIfaces(checkArray(o.ifaces, 'ifaces'), this.family, 'ifaces');
    this.#applyAll(this.#table.join(g.address, ifaces, sources));
  }

  /** Leaves `group` on all interfaces (or `options.ifaces`). Leaving a group not joined is a no-op. */
  leave(group: string, options?: { ifaces?: IfaceSpecifier[] }): void {
    this.#checkOpen();
    const o = checkOptions<{ ifaces?: IfaceSpecifier[] }>(options, ['ifaces'], 'leave options');
    const g = parseGroup(group, this.family);
    if (!this.#table.joined(g.address)) return;
    const indexes = o.ifaces === undefined ? undefined : findInterfaces(checkArray(o.ifaces, 'ifaces') as IfaceSpecifier[]).map((i) => i.index);
    this.#applyAll(this.#table.leave(g.address, indexes));
  }

  /** Stops receiving `source`'s datagrams to the any-source `group` (on every interface it is joined on). */
  blockSource(group: string, source: string): void {
    this.#checkOpen();
    this.#applyAll(this.#table.block(parseGroup(group, this.family).address, parseSource(source, this.family).address, true));
  }

  /** Undoes blockSource(). */
  unblockSource(group: string, source: string): void {
    this.#checkOpen();
    this.#applyAll(this.#table.block(parseGroup(group, this.family).address, parseSource(source, this.family).address, false));
  }

  /** Applies the steps of a call; the first that fails throws (those before it stay applied). */
  #applyAll(steps: Iterable<MembershipStep>): void {
    for (const step of steps) {
      const err = applyStep(this.#core.handle, step);
      if (err !== null) throw err;
    }
  }

  /** Tells what a step of following interfaces did; a listener that throws does not stop the socket from following the rest. */
  #tell(event: MembershipEvent): void {
    if (event.type === 'vrf-unreachable') this.#core.queue.fail(vrfError(event.iface, event.vrf));
    else if (event.type === 'vrf-passed-over') warnVrf(event.iface);
    else {
      try {
        this.emit(event.type, event.iface, event.why);
      } catch (err) {
        reportListenerError(err);
      }
    }
  }

  // ---- Receiving -----------------------------------------------------------------------------------

  /** Liveness follows the listeners (see ReceiveQueue.consumersChanged). */
  protected override listenersChanged(): void {
    // EventEmitter's constructor could add listeners before the core exists.
    if (#core in this) this.#core.queue.consumersChanged();
  }

  /**
   * The next datagram, or null when the timeout passes (options.timeout, else the socket's) or the
   * socket closes. Rejects with an AbortError when options.signal aborts.
   */
  receive(options?: ReceiveOptions): Promise<McastMessage | null> {
    try {
      const o = checkOptions<ReceiveOptions>(options, ['timeout', 'signal'], 'receive options');
      const timeout = o.timeout === undefined ? this.#timeout : checkTimeout(o.timeout, 'timeout');
      return this.#receive(timeout, checkSignal(o.signal, 'signal'));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #receive(timeout: number | undefined, signal: AbortSignal | undefined): Promise<McastMessage | null> {
    if (this.#core.closed) return Promise.reject(new MulticastExpertError(ErrorCodes.SOCKET_CLOSED, 'the McastRxSocket is closed'));
    return this.#core.queue.receive(timeout, signal);
  }

  /**
   * Datagrams until the socket closes (the socket's timeout does not end the iteration). The loop
   * owns the socket, as a Readable stream's and readline's iterators own theirs: when it ends early
   * (break, return, a throw in its body, or an error of the receive path that ends it), the socket
   * is closed. To take some datagrams and keep the socket, call receive().
   */
  async *[Symbol.asyncIterator](): AsyncIterator<McastMessage> {
    try {
      for (;;) {
        if (this.#core.closed) return;
        const msg = await this.#receive(undefined, undefined);
        if (msg === null) return;
        yield msg;
      }
    } finally {
      this.close();
    }
  }

  // ---- Replying ------------------------------------------------------------------------------------

  /**
   * Answers `msg` (a datagram this receiver delivered): sends `data` from the receiver's own port,
   * out of the interface `msg` arrived on and no other, from an address of that interface, to
   * `msg.group`:`msg.port` (or, with `to: 'source'`, unicast back to the sender), with the TTL of
   * `options.ttl` or the receiver's `ttl` option. It sends from the receiver's own OS sockets:
   * another program on the port (avahi-daemon on 5353) keeps all its datagrams, and the receiver
   * joins nothing. Resolves once the kernel has the datagram; rejects with a MulticastExpertError
   * (ENODEV, naming it, when the receiver no longer listens on that interface).
   */
  reply(msg: McastMessage, data: string | Uint8Array, options?: ReplyOptions): Promise<void> {
    try {
      this.#checkOpen();
      const plan = planReply(msg, options, this.family, this.ttl, this.#table.ifaces);
      const bytes = toBytes(data, -1);
      return sendReply(this.#core, plan, bytes, this.#externalLoopback, this.#table.ifaces.find((i) => i.index === plan.ifindex)?.loopback === true);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  // ---- Closing -------------------------------------------------------------------------------------

  /** Closes the socket (leaving its groups); idempotent. Pending receive() calls resolve to null. */
  close(): void {
    const core = this.#core;
    if (core.closed) return;
    registry.unregister(core);
    core.close();
    process.nextTick(() => this.emit('close'));
  }
}
