// The machine a fake addon runs on: its interfaces (which a test edits, and whose changes it
// announces the way the OS would: "something changed", on a later turn), its default routes, and
// the sockets opened on it, between which datagrams travel. No real socket, no namespace: it runs on
// any OS. See index.ts.
import type { IfaceAddress, IfaceInfo } from '../../lib';
import type { NativeIfaceEvents } from '../../lib/native';
import type { FakeRxSocket } from './rx';

/** A datagram as it reaches a host: to `group`:`port`, on interface `ifindex`, from `source`:`sourcePort`. */
export interface FakeDatagram {
  group: string;
  port: number;
  ifindex: number;
  source: string;
  sourcePort: number;
  data: Uint8Array;
  /** Flagged truncated (the fake hands over `data` as it is). */
  truncated?: boolean;
  /** A kernel receive timestamp, ns since the epoch. */
  timestamp?: bigint;
}

/** An interface of the fake machine: up, running and multicast-capable unless told otherwise. */
export function fakeIface(index: number, name: string, addresses: { ipv4?: string[]; ipv6?: string[] } = {}, flags: Partial<IfaceInfo> = {}): IfaceInfo {
  const list = (all: string[] | undefined, prefixLength: number): IfaceAddress[] => (all ?? []).map((address) => ({ address, prefixLength }));
  return {
    name,
    friendlyName: name,
    index,
    linkLayerAddress: null,
    ipv4: list(addresses.ipv4, 24),
    ipv6: list(addresses.ipv6, 64),
    up: true,
    running: true,
    loopback: false,
    multicast: true,
    pointToPoint: false,
    mtu: 1500,
    ...flags,
  };
}

export class FakeNetwork {
  #ifaces: IfaceInfo[] = [];
  readonly defaultRoute = { ipv4: 0, ipv6: 0 };
  /** When set, the next setMembership() of any receiver throws it (once), as the OS would. */
  failNextSet: Error | null = null;
  readonly receivers = new Set<FakeRxSocket>();
  readonly #events = new Set<FakeIfaceEvents>();

  /** The interfaces as a scan shows them. */
  get ifaces(): readonly IfaceInfo[] {
    return this.#ifaces;
  }

  /** Replaces the interfaces; every open source of interface events says so, on a later turn. */
  setIfaces(ifaces: IfaceInfo[]): void {
    this.#ifaces = ifaces.map((i) => structuredClone(i));
    for (const events of this.#events) events.announce();
  }

  /** Changes one interface (by index) and announces it. */
  editIface(index: number, edit: (iface: IfaceInfo) => IfaceInfo | null): void {
    const next: IfaceInfo[] = [];
    for (const iface of this.#ifaces) {
      const edited = iface.index === index ? edit(structuredClone(iface)) : iface;
      if (edited !== null) next.push(edited);
    }
    this.setIfaces(next);
  }

  /** Open sources of interface events (the monitor holds one while anyone subscribes). */
  get eventSources(): number {
    return this.#events.size;
  }

  /** Hands `d` to every open receiver on its port (each filters it as the native one does). */
  deliver(d: FakeDatagram): void {
    for (const rx of this.receivers) if (rx.port === d.port) rx.arrive(d);
  }

  openEvents(onChange: (err: Error | null) => void): FakeIfaceEvents {
    const events = new FakeIfaceEvents(onChange, () => this.#events.delete(events));
    this.#events.add(events);
    return events;
  }
}

/** The OS's "something changed", as the native IfaceEvents says it: a callback on a later turn. */
export class FakeIfaceEvents implements NativeIfaceEvents {
  #closed = false;

  constructor(
    readonly onChange: (err: Error | null) => void,
    readonly onClose: () => void,
  ) {}

  announce(): void {
    setImmediate(() => {
      if (!this.#closed) this.onChange(null);
    });
  }

  /** The OS source fails (it never has in practice): the monitor must open a new one. */
  fail(err: Error): void {
    setImmediate(() => {
      if (!this.#closed) this.onChange(err);
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose();
  }
}
