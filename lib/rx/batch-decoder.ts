/**
 * Reads a batch from the native receiver (metadata records and the buffers that hold the data): each
 * datagram's facts by index (what a McastBatchView shows), or the whole batch as McastMessage
 * objects, as cheaply as a datagram allows: the data is a view, not a copy, and the sender's address
 * text is computed once per sender.
 * @internal
 * @module
 */
import * as net from 'node:net';
import { markAsUntransferable } from 'node:worker_threads';

import type { Family } from '../addresses';
import { RxFlags, RxRecord } from '../native';
import type { McastMessage } from './types';

/** Records of metadata the native side can fill before handing a batch over. */
const kMetaRecords = 1024;
/** Sender address texts remembered before the cache starts over. */
const kSourceTexts = 4096;

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

export class BatchDecoder {
  /** The metadata array the native side writes each batch's records into (layout: RxRecord). */
  readonly meta = new ArrayBuffer(kMetaRecords * RxRecord.words * 4);
  readonly #words = new Uint32Array(this.meta);
  readonly #bytes = new Uint8Array(this.meta);
  readonly #sourceTexts = new Map<number | string, string>();
  /** The buffer marked untransferable last (mostly the slab that the next batch goes on filling; see decode). */
  #slab: ArrayBuffer | null = null;
  // The last source seen (most floods come from one sender): its address words and its text.
  #lastSource0 = -1;
  #lastSource1 = 0;
  #lastSource2 = 0;
  #lastSource3 = 0;
  #lastSourceText = '';

  /**
   * `groupsById` and `ifaceNames` are read, never written: the membership table owns them (a group's
   * id is what the native side writes in each record).
   */
  constructor(
    readonly family: Family,
    readonly port: number,
    readonly groupsById: readonly string[],
    readonly ifaceNames: ReadonlyMap<number, string>,
  ) {}

  /** The batch being handed over: its record count and the buffers its records name (see begin()). */
  #count = 0;
  #buffers: ArrayBuffer[] = [];

  /** Datagrams in the batch being handed over. */
  get count(): number {
    return this.#count;
  }

  /**
   * Takes the next batch: `count` records in meta, the data of each in one of `buffers`: slabs of
   * 64 KiB that the native side keeps filling past this batch (see native/rx_batch.h), and buffers
   * of their own for large datagrams. So every datagram's Buffer is a view of its own bytes, which
   * nothing overwrites, and keeps at most 64 KiB alive besides itself. The records stay in meta
   * until the next batch: read them (decode(), the per-index readers) before this call returns to
   * the native side.
   */
  begin(count: number, buffers: ArrayBuffer[]): void {
    for (const buffer of buffers) {
      if (buffer === this.#slab) continue;
      this.#slab = buffer;
      // Transferring it to a worker would take it from under the batches still to come.
      markAsUntransferable(buffer);
    }
    this.#count = count;
    this.#buffers = buffers;
  }

  /** The batch as McastMessage objects. */
  decode(): McastMessage[] {
    const count = this.#count;
    const messages: McastMessage[] = new Array<McastMessage>(count);
    for (let i = 0; i < count; i++) messages[i] = this.message(i);
    return messages;
  }

  // ---- One datagram of the batch, by index (the caller checks the index) ------------------------

  message(i: number): McastMessage {
    const w = this.#words;
    const record = i * RxRecord.words;
    const flags = w[record + RxRecord.flags] as number;
    const ifaceIndex = w[record + RxRecord.ifindex] as number;
    const scopeId = w[record + RxRecord.sourceScope] as number;
    const family = this.family;
    const source =
      scopeId !== 0
        ? { address: this.#sourceText(record), port: w[record + RxRecord.sourcePort] as number, family, scopeId }
        : { address: this.#sourceText(record), port: w[record + RxRecord.sourcePort] as number, family };
    const data = this.data(i);
    const group = this.groupsById[w[record + RxRecord.groupId] as number] as string;
    const ifaceName = this.ifaceNames.get(ifaceIndex) ?? String(ifaceIndex);
    const truncated = (flags & RxFlags.truncated) !== 0;
    const port = this.port;
    // One object literal per case, so that messages keep one of two stable shapes.
    return (flags & RxFlags.timestamp) === 0
      ? { data, source, group, port, ifaceIndex, ifaceName, truncated }
      : { data, source, group, port, ifaceIndex, ifaceName, truncated, timestamp: this.#timestamp(record) };
  }

  data(i: number): Buffer {
    const w = this.#words;
    const record = i * RxRecord.words;
    return new BufferView(this.#buffers[w[record + RxRecord.buffer] as number] as ArrayBuffer, w[record + RxRecord.offset] as number, w[record + RxRecord.length] as number);
  }

  buffer(i: number): ArrayBuffer {
    return this.#buffers[this.#words[i * RxRecord.words + RxRecord.buffer] as number] as ArrayBuffer;
  }

  byteOffset(i: number): number {
    return this.#words[i * RxRecord.words + RxRecord.offset] as number;
  }

  byteLength(i: number): number {
    return this.#words[i * RxRecord.words + RxRecord.length] as number;
  }

  groupId(i: number): number {
    return this.#words[i * RxRecord.words + RxRecord.groupId] as number;
  }

  group(i: number): string {
    return this.groupsById[this.groupId(i)] as string;
  }

  ifaceIndex(i: number): number {
    return this.#words[i * RxRecord.words + RxRecord.ifindex] as number;
  }

  ifaceName(i: number): string {
    const index = this.ifaceIndex(i);
    return this.ifaceNames.get(index) ?? String(index);
  }

  sourceAddress(i: number): string {
    return this.#sourceText(i * RxRecord.words);
  }

  sourcePort(i: number): number {
    return this.#words[i * RxRecord.words + RxRecord.sourcePort] as number;
  }

  sourceScopeId(i: number): number {
    return this.#words[i * RxRecord.words + RxRecord.sourceScope] as number;
  }

  truncated(i: number): boolean {
    return ((this.#words[i * RxRecord.words + RxRecord.flags] as number) & RxFlags.truncated) !== 0;
  }

  timestamp(i: number): bigint | undefined {
    const record = i * RxRecord.words;
    return ((this.#words[record + RxRecord.flags] as number) & RxFlags.timestamp) === 0 ? undefined : this.#timestamp(record);
  }

  #sourceText(base: number): string {
    const w = this.#words;
    const first = base + RxRecord.sourceAddr;
    const w0 = w[first] as number;
    if (w0 === this.#lastSource0 && w[first + 1] === this.#lastSource1 && w[first + 2] === this.#lastSource2 && w[first + 3] === this.#lastSource3) return this.#lastSourceText;
    const text = this.#lookUpSource(first);
    this.#lastSource0 = w0;
    this.#lastSource1 = w[first + 1] as number;
    this.#lastSource2 = w[first + 2] as number;
    this.#lastSource3 = w[first + 3] as number;
    this.#lastSourceText = text;
    return text;
  }

  #lookUpSource(first: number): string {
    const w = this.#words;
    if (this.family === 'ipv4') {
      const key = w[first] as number;
      let text = this.#sourceTexts.get(key);
      if (text === undefined) {
        const b = this.#bytes;
        const o = first * 4;
        text = `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
        this.#remember(key, text);
      }
      return text;
    }
    const key = `${w[first]},${w[first + 1]},${w[first + 2]},${w[first + 3]}`;
    let text = this.#sourceTexts.get(key);
    if (text === undefined) {
      const b = this.#bytes;
      const o = first * 4;
      const parts: string[] = [];
      for (let i = 0; i < 16; i += 2) parts.push((((b[o + i] as number) << 8) | (b[o + i + 1] as number)).toString(16));
      text = new net.SocketAddress({ address: parts.join(':'), family: 'ipv6' }).address;
      this.#remember(key, text);
    }
    return text;
  }

  #remember(key: number | string, text: string): void {
    if (this.#sourceTexts.size >= kSourceTexts) this.#sourceTexts.clear();
    this.#sourceTexts.set(key, text);
  }

  #timestamp(record: number): bigint {
    const w = this.#words;
    const sec = (w[record + RxRecord.timeSecHigh] as number) * 4294967296 + (w[record + RxRecord.timeSecLow] as number);
    return BigInt(sec) * 1_000_000_000n + BigInt(w[record + RxRecord.timeNsec] as number);
  }
}
