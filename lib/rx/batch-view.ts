/**
 * The 'batch-view' event's argument: a batch read by index, with no object per datagram unless one
 * is asked for. Two kinds: over the native receiver's records (the fast path: one view per
 * receiver, reused batch after batch), and over McastMessage objects (datagrams that waited in the
 * queue before the listener came, or a batch that other consumers needed as objects anyway).
 * Either is usable only during the listener call that got it: afterwards its length is 0 and every
 * accessor throws, so that a view kept by mistake fails loudly instead of showing another batch.
 * @internal
 * @module
 */
import { describe } from '../addresses';
import { ErrorCodes, fail } from '../errors';
import type { BatchDecoder } from './batch-decoder';
import type { McastBatchView, McastMessage } from './types';

/** What an index may be: an integer from 0 to length - 1. */
function checkIndex(i: number, length: number): void {
  // One comparison for the usual case; NaN, fractions, negatives and out-of-range all fail it.
  if (i >= 0 && i < length && (i | 0) === i) return;
  if (length === 0)
    fail(ErrorCodes.INVALID_OPTION, "a McastBatchView is valid only during the 'batch-view' listener call that got it (it is reused for the next batch): read it there, or keep view.toArray() or view.data(i)");
  fail(ErrorCodes.INVALID_OPTION, `a datagram's index must be an integer from 0 to ${length - 1} (view.length - 1), got ${describe(i)}`);
}

/** The view over the native receiver's records: one per receiver, reused for every batch. */
export class RecordBatchView implements McastBatchView {
  #length = 0;

  constructor(readonly decoder: BatchDecoder) {}

  get length(): number {
    return this.#length;
  }

  /** Shows the decoder's current batch, until close(). */
  open(): void {
    this.#length = this.decoder.count;
  }

  close(): void {
    this.#length = 0;
  }

  data(i: number): Buffer {
    checkIndex(i, this.#length);
    return this.decoder.data(i);
  }
  buffer(i: number): ArrayBuffer {
    checkIndex(i, this.#length);
    return this.decoder.buffer(i);
  }
  byteOffset(i: number): number {
    checkIndex(i, this.#length);
    return this.decoder.byteOffset(i);
  }
  byteLength(i: number): number {
    checkIndex(i, this.#length);
    return this.decoder.byteLength(i);
  }
  group(i: number): string {
    checkIndex(i, this.#length);
    return this.decoder.group(i);
  }
  ifaceIndex(i: number): number {
    checkIndex(i, this.#length);
    return this.decoder.ifaceIndex(i);
  }
  ifaceName(i: number): string {
    checkIndex(i, this.#length);
    return this.decoder.ifaceName(i);
  }
  sourceAddress(i: number): string {
    checkIndex(i, this.#length);
    return this.decoder.sourceAddress(i);
  }
  sourcePort(i: number): number {
    checkIndex(i, this.#length);
    return this.decoder.sourcePort(i);
  }
  sourceScopeId(i: number): number {
    checkIndex(i, this.#length);
    return this.decoder.sourceScopeId(i);
  }
  truncated(i: number): boolean {
    checkIndex(i, this.#length);
    return this.decoder.truncated(i);
  }
  timestamp(i: number): bigint | undefined {
    checkIndex(i, this.#length);
    return this.decoder.timestamp(i);
  }
  message(i: number): McastMessage {
    checkIndex(i, this.#length);
    return this.decoder.message(i);
  }
  toArray(): McastMessage[] {
    if (this.#length === 0) return [];
    return this.decoder.decode();
  }
}

/** A view over McastMessage objects (the queue's, or a batch already decoded). */
export class MessagesBatchView implements McastBatchView {
  #messages: readonly McastMessage[];

  constructor(messages: readonly McastMessage[]) {
    this.#messages = messages;
  }

  get length(): number {
    return this.#messages.length;
  }

  close(): void {
    this.#messages = [];
  }

  #at(i: number): McastMessage {
    checkIndex(i, this.#messages.length);
    return this.#messages[i] as McastMessage;
  }

  data(i: number): Buffer {
    return this.#at(i).data;
  }
  buffer(i: number): ArrayBuffer {
    return this.#at(i).data.buffer as ArrayBuffer;
  }
  byteOffset(i: number): number {
    return this.#at(i).data.byteOffset;
  }
  byteLength(i: number): number {
    return this.#at(i).data.byteLength;
  }
  group(i: number): string {
    return this.#at(i).group;
  }
  ifaceIndex(i: number): number {
    return this.#at(i).ifaceIndex;
  }
  ifaceName(i: number): string {
    return this.#at(i).ifaceName;
  }
  sourceAddress(i: number): string {
    return this.#at(i).source.address;
  }
  sourcePort(i: number): number {
    return this.#at(i).source.port;
  }
  sourceScopeId(i: number): number {
    return this.#at(i).source.scopeId ?? 0;
  }
  truncated(i: number): boolean {
    return this.#at(i).truncated;
  }
  timestamp(i: number): bigint | undefined {
    return this.#at(i).timestamp;
  }
  message(i: number): McastMessage {
    return this.#at(i);
  }
  toArray(): McastMessage[] {
    return this.#messages.slice();
  }
}
