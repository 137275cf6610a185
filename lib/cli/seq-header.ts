/**
 * The sequence header that `send --seq`, `ping` and `pong` put in front of their payload, and that
 * `listen` reads to count loss, reordering and duplicates. 24 bytes, big-endian:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 4 | magic: ASCII "MCEQ" |
 * | 4 | 1 | version: 1 |
 * | 5 | 1 | kind: 1 data (send --seq), 2 ping, 3 pong |
 * | 6 | 2 | header length in bytes (24; a reader skips what it does not know) |
 * | 8 | 4 | stream: a random number per sending run, so a restarted sender is a new stream |
 * | 12 | 4 | sequence number, from 1 |
 * | 16 | 8 | send time: microseconds since the Unix epoch (the sender's clock) |
 *
 * Whatever follows the header is the message. A pong echoes the ping's stream, sequence number and
 * send time, so the pinger matches replies to its own pings.
 * @internal
 * @module
 */
import { randomBytes } from 'node:crypto';

export const SEQ_MAGIC = Buffer.from('MCEQ', 'latin1');
export const SEQ_VERSION = 1;
export const SEQ_HEADER_LENGTH = 24;

export type SeqKind = 'data' | 'ping' | 'pong';
const kKindCodes: Record<SeqKind, number> = { data: 1, ping: 2, pong: 3 };
const kKindNames: (SeqKind | undefined)[] = [undefined, 'data', 'ping', 'pong'];

export interface SeqHeader {
  kind: SeqKind;
  stream: number;
  seq: number;
  /** Microseconds since the Unix epoch, on the sender's clock. */
  sentAtUs: bigint;
}

/** A fresh stream id for one sending run. */
export function newStreamId(): number {
  return randomBytes(4).readUInt32BE(0);
}

/** Microseconds since the Unix epoch, now. */
export function nowUs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000));
}

/** The header followed by `message`. */
export function encodeSeq(header: SeqHeader, message: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(SEQ_HEADER_LENGTH + message.length);
  SEQ_MAGIC.copy(out, 0);
  out.writeUInt8(SEQ_VERSION, 4);
  out.writeUInt8(kKindCodes[header.kind], 5);
  out.writeUInt16BE(SEQ_HEADER_LENGTH, 6);
  out.writeUInt32BE(header.stream >>> 0, 8);
  out.writeUInt32BE(header.seq >>> 0, 12);
  out.writeBigUInt64BE(header.sentAtUs, 16);
  out.set(message, SEQ_HEADER_LENGTH);
  return out;
}

/** The header and the message after it, or null when `data` carries no (known) header. */
export function decodeSeq(data: Uint8Array): { header: SeqHeader; message: Buffer } | null {
  if (data.length < SEQ_HEADER_LENGTH) return null;
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!buf.subarray(0, 4).equals(SEQ_MAGIC) || buf.readUInt8(4) !== SEQ_VERSION) return null;
  const kind = kKindNames[buf.readUInt8(5)];
  const length = buf.readUInt16BE(6);
  if (kind === undefined || length < SEQ_HEADER_LENGTH || length > buf.length) return null;
  return {
    header: { kind, stream: buf.readUInt32BE(8), seq: buf.readUInt32BE(12), sentAtUs: buf.readBigUInt64BE(16) },
    message: buf.subarray(length),
  };
}
