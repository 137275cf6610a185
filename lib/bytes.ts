/**
 * The bytes of a datagram's payload as callers may give it (a string, a Buffer, any typed array),
 * for the senders: McastTxSocket's sends and a receiver's reply().
 * @internal
 * @module
 */
import { describe } from './addresses';
import { ErrorCodes, fail } from './errors';

/** The bytes of `data`; `index` names the message of a batch in the error (-1: send()'s data). */
export function toBytes(data: unknown, index: number): Uint8Array {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  // The name is built here only: a template string per datagram showed in sendBatch's profile.
  const what = index < 0 ? 'data' : `messages[${index}].data`;
  return fail(ErrorCodes.INVALID_OPTION, `${what} must be a string, Buffer or Uint8Array, got ${describe(data)}`);
}
