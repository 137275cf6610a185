// A fake native sender: the NativeTxSocket contract in TypeScript. It records every datagram sent
// and delivers it to the fake receivers on its port that joined the group on the sender's
// interface. A test can make the socket buffer full (send() returns false until it is drained) or
// make the next send fail as the OS would.
import type { NativeTxOptions, NativeTxSocket } from '../../lib/native';
import type { FakeDatagram, FakeNetwork } from './network';

let nextPort = 40000;

export class FakeTxSocket implements NativeTxSocket {
  /** Every datagram sent, in order. */
  readonly sent: FakeDatagram[] = [];
  readonly #destinations: Array<{ group: string; port: number }> = [];
  /** Route n is #routes[n - 1]: out of `ifindex` from `source`. */
  readonly #routes: Array<{ ifindex: number; source: string }> = [];
  readonly #waiting: Array<(err: Error | null) => void> = [];
  /** Datagrams that fit before the socket buffer is full (Infinity: never full). */
  room = Infinity;
  /** When set, the next send throws it (once). */
  failNextSend: Error | null = null;
  closed = false;
  ifindex: number;
  readonly #port: number;
  #address: string;

  constructor(
    readonly network: FakeNetwork,
    readonly options: NativeTxOptions,
  ) {
    this.ifindex = options.ifindex;
    this.#port = options.port === 0 ? nextPort++ : options.port;
    this.#address = options.bindAddress ?? options.ifaceAddress ?? this.#ifaceAddress(options.ifindex);
  }

  #ifaceAddress(ifindex: number): string {
    const iface = this.network.ifaces.find((i) => i.index === ifindex);
    const list = this.options.family === 4 ? iface?.ipv4 : iface?.ipv6;
    return list?.[0]?.address ?? (this.options.family === 4 ? '0.0.0.0' : '::');
  }

  setDestination(id: number, group: string, port: number): void {
    if (id > this.#destinations.length) throw new RangeError('destination id out of range');
    this.#destinations[id] = { group, port };
  }

  setRoute(id: number, ifindex: number, source: string): void {
    if (id < 1 || id > this.#routes.length + 1) throw new RangeError('route id out of range');
    if (!this.network.ifaces.some((i) => i.index === ifindex)) throw Object.assign(new Error('no such device'), { code: 'ENODEV', syscall: 'sendmsg' });
    this.#routes[id - 1] = { ifindex, source };
  }

  send(destination: number, data: Uint8Array, route = 0): boolean {
    if (this.closed) throw new Error('socket is closed');
    if (this.failNextSend !== null) {
      const err = this.failNextSend;
      this.failNextSend = null;
      throw err;
    }
    if (this.room <= 0) return false;
    this.room--;
    const to = this.#destinations[destination];
    if (to === undefined) throw new RangeError('no such destination');
    const via = route === 0 ? undefined : this.#routes[route - 1];
    if (route !== 0 && via === undefined) throw new RangeError('no such route');
    if (via !== undefined && !this.network.ifaces.some((i) => i.index === via.ifindex)) throw Object.assign(new Error('no such device'), { code: 'ENODEV', syscall: 'sendmsg' });
    const d: FakeDatagram = { group: to.group, port: to.port, ifindex: via?.ifindex ?? this.ifindex, source: via?.source ?? this.#address, sourcePort: this.#port, data: Uint8Array.from(data) };
    this.sent.push(d);
    this.network.deliver(d);
    return true;
  }

  sendBatch(destinations: Uint32Array, datas: Uint8Array[], start: number, routes?: Uint32Array): number {
    let sent = 0;
    for (let i = start; i < destinations.length; i++) {
      if (!this.send(destinations[i] as number, datas[i] as Uint8Array, routes?.[i] ?? 0)) break;
      sent++;
    }
    return sent;
  }

  /** Calls back once there is room again (a test makes room with drain()). */
  waitWritable(callback: (err: Error | null) => void): void {
    this.#waiting.push(callback);
  }

  /** Makes room for `count` more datagrams and wakes a sender that waits. */
  drain(count = Infinity): void {
    this.room = count;
    for (const callback of this.#waiting.splice(0)) setImmediate(() => callback(null));
  }

  retarget(ifindex: number, ifaceAddress: string | null): void {
    this.ifindex = ifindex;
    if (this.options.bindAddress === null) this.#address = ifaceAddress ?? this.#ifaceAddress(ifindex);
  }

  address(): [string, number] {
    return [this.#address, this.#port];
  }

  close(): void {
    this.closed = true;
  }
}
