// A fake native receiver: the NativeRxSocket contract in TypeScript. It keeps the filter of each
// (group id, interface) as setMembership() sets it (refusing what the native one refuses), filters
// each datagram a test injects (or a fake sender sends) as the native one does, and hands them over
// in batches on a later turn, written into the metadata array and 64 KiB slabs in the real layout.
// While paused it holds datagrams in a bounded "kernel" queue and counts what overflows as drops.
import { isIP } from 'node:net';

import type { NativeRxOptions, NativeRxSocket } from '../../lib/native';
import { RxFlags, RxRecord } from '../../lib/native';
import type { FakeDatagram, FakeNetwork } from './network';

/** Datagrams the fake kernel holds for a paused receiver before it drops. */
export const kFakeKernelQueue = 256;
const kSlabBytes = 64 * 1024;

export interface FakeMembership {
  group: string;
  ifindex: number;
  ifaceAddress: string | null;
  /** null: any source. */
  sources: string[] | null;
  blocked: string[];
}

export class FakeRxSocket implements NativeRxSocket {
  readonly port: number;
  /** The memberships, by `${groupId}/${ifindex}`, as setMembership() left them. */
  readonly memberships = new Map<string, FakeMembership>();
  /** Every setMembership() and dropMembership() call, in order (also those refused, and on a closed socket). */
  readonly calls: string[] = [];
  paused = false;
  keepAlive: boolean;
  closed = false;
  readonly #family: 4 | 6;
  readonly #kernel: FakeDatagram[] = [];
  readonly #pending: FakeDatagram[] = [];
  #flushScheduled = false;
  #slab = new ArrayBuffer(kSlabBytes);
  #slabUsed = 0;
  #received = 0;
  #drops = 0;
  #filtered = 0;

  constructor(
    readonly network: FakeNetwork,
    options: NativeRxOptions,
    readonly meta: ArrayBuffer,
    readonly onBatch: (count: number, ...buffers: ArrayBuffer[]) => void,
    readonly onError: (err: Error) => void,
  ) {
    this.#family = options.family;
    this.port = options.port;
    this.keepAlive = options.keepAlive;
    network.receivers.add(this);
  }

  setMembership(groupId: number, group: string, ifindex: number, ifaceAddress: string | null, sources: string[] | null, blocked: string[]): void {
    this.calls.push(`set ${group} on ${ifindex} ${sources === null ? 'any' : sources.join(',')}${blocked.length > 0 ? ` blocked ${blocked.join(',')}` : ''}`);
    if (this.closed) throw new Error('socket is closed');
    for (const a of [group, ...(sources ?? []), ...blocked]) if (isIP(a) !== this.#family) throw new TypeError('family mismatch');
    if (sources !== null && sources.length === 0) throw new Error('a source-specific membership needs at least one source');
    if (sources !== null && blocked.length > 0) throw new Error('sources can be blocked only on an any-source membership');
    const key = `${groupId}/${ifindex}`;
    const existing = this.memberships.get(key);
    if (existing !== undefined && (existing.sources === null) !== (sources === null)) throw new Error('a membership cannot change between any-source and source-specific');
    const failure = this.network.failNextSet;
    if (failure !== null) {
      this.network.failNextSet = null;
      throw failure;
    }
    this.memberships.set(key, { group, ifindex, ifaceAddress: existing?.ifaceAddress ?? ifaceAddress, sources: sources === null ? null : [...new Set(sources)], blocked: [...new Set(blocked)] });
  }

  dropMembership(groupId: number, ifindex: number): boolean {
    this.calls.push(`drop ${groupId} on ${ifindex}`);
    if (this.closed) return false;
    return this.memberships.delete(`${groupId}/${ifindex}`);
  }

  /** Every reply sent, in order. */
  readonly replies: Array<{ group: string; ifindex: number; source: string; destination: string; port: number; data: Uint8Array; ttl: number }> = [];

  reply(group: string, ifindex: number, source: string, destination: string, port: number, data: Uint8Array, ttl: number): 0 | 1 | 2 {
    if (this.closed) throw new Error('socket is closed');
    if (![...this.memberships.values()].some((m) => m.ifindex === ifindex)) return 2;
    this.replies.push({ group, ifindex, source, destination, port, data: Uint8Array.from(data), ttl });
    this.network.deliver({ group: destination, port, ifindex, source, sourcePort: this.port, data: Uint8Array.from(data) });
    return 0;
  }

  /**
   * A datagram reaches this socket if it joined the group on some interface (its OS sockets are
   * bound to their groups), then passes the native filter (counted as filtered if not) and waits for
   * a batch.
   */
  arrive(d: FakeDatagram): void {
    if (this.closed || ![...this.memberships.values()].some((m) => m.group === d.group)) return;
    const groupId = this.#accept(d);
    if (groupId === undefined) {
      this.#filtered++;
      return;
    }
    if (this.paused) {
      if (this.#kernel.length >= kFakeKernelQueue) this.#drops++;
      else this.#kernel.push(d);
      return;
    }
    this.#pending.push(d);
    this.#scheduleFlush();
  }

  #accept(d: FakeDatagram): number | undefined {
    for (const [key, m] of this.memberships) {
      if (m.ifindex !== d.ifindex || m.group !== d.group) continue;
      if (m.sources !== null && !m.sources.includes(d.source)) return undefined;
      if (m.blocked.includes(d.source)) return undefined;
      return Number(key.slice(0, key.indexOf('/')));
    }
    return undefined;
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#flush();
    });
  }

  /** Hands the pending datagrams over as one batch (as many as meta holds), in the layout of native/rx_socket.h. */
  #flush(): void {
    if (this.closed || this.paused || this.#pending.length === 0) return;
    const batch = this.#pending.splice(0, this.meta.byteLength / (RxRecord.words * 4));
    if (this.#pending.length > 0) this.#scheduleFlush();
    const words = new Uint32Array(this.meta);
    const bytes = new Uint8Array(this.meta);
    const buffers: ArrayBuffer[] = [];
    for (let i = 0; i < batch.length; i++) {
      const d = batch[i] as FakeDatagram;
      const r = i * RxRecord.words;
      words.fill(0, r, r + RxRecord.words);
      if (this.#slabUsed + d.data.length > kSlabBytes) {
        this.#slab = new ArrayBuffer(kSlabBytes);
        this.#slabUsed = 0;
      }
      if (buffers[buffers.length - 1] !== this.#slab) buffers.push(this.#slab);
      new Uint8Array(this.#slab, this.#slabUsed, d.data.length).set(d.data);
      words[r + RxRecord.offset] = this.#slabUsed;
      words[r + RxRecord.length] = d.data.length;
      words[r + RxRecord.buffer] = buffers.length - 1;
      words[r + RxRecord.groupId] = this.#accept(d) ?? 0;
      words[r + RxRecord.ifindex] = d.ifindex;
      words[r + RxRecord.sourcePort] = d.sourcePort;
      words[r + RxRecord.flags] = (d.truncated === true ? RxFlags.truncated : 0) | (d.timestamp !== undefined ? RxFlags.timestamp : 0);
      if (d.timestamp !== undefined) {
        const sec = d.timestamp / 1_000_000_000n;
        words[r + RxRecord.timeSecLow] = Number(sec & 0xffffffffn);
        words[r + RxRecord.timeSecHigh] = Number(sec >> 32n);
        words[r + RxRecord.timeNsec] = Number(d.timestamp % 1_000_000_000n);
      }
      writeAddress(bytes, (r + RxRecord.sourceAddr) * 4, d.source);
      this.#slabUsed = (this.#slabUsed + d.data.length + 7) & ~7;
    }
    this.#received += batch.length;
    this.onBatch(batch.length, ...buffers);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    // What the kernel held is read first.
    this.#pending.push(...this.#kernel.splice(0));
    if (this.#pending.length > 0) this.#scheduleFlush();
  }

  setKeepAlive(keepAlive: boolean): void {
    this.keepAlive = keepAlive;
  }

  stats(): [number, number, number, number] {
    return [this.#received, this.#drops, 0, this.#filtered];
  }

  /** One OS socket per group (as on Linux and macOS). */
  socketCount(): number {
    return new Set([...this.memberships.values()].map((m) => m.group)).size;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.memberships.clear();
    this.network.receivers.delete(this);
  }
}

/** Writes an IPv4 or IPv6 address's bytes at `offset`. */
function writeAddress(bytes: Uint8Array, offset: number, address: string): void {
  if (isIP(address) === 4) {
    address.split('.').forEach((part, i) => (bytes[offset + i] = Number(part)));
    return;
  }
  const [head = '', tail = ''] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[offset + i * 2] = n >> 8;
    bytes[offset + i * 2 + 1] = n & 255;
  });
}
