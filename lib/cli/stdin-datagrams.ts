/**
 * The datagrams of `send --stdin`, cut from the bytes of a stream:
 *
 * - lines: one datagram per line, its newline included, as socat and nc send what is typed, so
 *   that a receiver that writes payloads out (`listen --raw`, socat) gives back the same bytes;
 *   a last line without a newline is sent as it is;
 * - hex lines (--hex): each line is the hex digits of one datagram (blanks ignored, empty lines
 *   skipped);
 * - size (--size N): datagrams of N bytes, whatever they hold; the last one takes what is left.
 *
 * Nothing is held beyond one datagram: a line longer than a datagram can carry fails as soon as it
 * is that long, not at the end of the input.
 * @internal
 * @module
 */
import { CliError } from './hints';

export type StdinFraming = { kind: 'lines' } | { kind: 'hex-lines' } | { kind: 'size'; size: number };

const kNewline = 0x0a;

function tooLong(line: number, maxBytes: number): CliError {
  return new CliError(`line ${line} of stdin is longer than ${maxBytes} bytes, more than one datagram carries`, 'cut the input into datagrams with --size instead of lines');
}

function fromHexLine(text: Buffer, line: number): Buffer | null {
  const digits = text.toString('latin1').replace(/\s+/g, '');
  if (digits === '') return null;
  if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw new CliError(`line ${line} of stdin is not an even number of hex digits: ${JSON.stringify(digits.slice(0, 40))}`, 'with --hex every line is one datagram in hex, such as 00ff10');
  return Buffer.from(digits, 'hex');
}

/** The datagrams of `input` cut by `framing`, none longer than `maxBytes`. */
export async function* stdinDatagrams(input: AsyncIterable<Buffer | string>, framing: StdinFraming, maxBytes: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingLength = 0;
  let line = 1;
  const take = (tail: Buffer): Buffer => {
    const out = pending.length === 0 ? tail : Buffer.concat([...pending, tail]);
    pending = [];
    pendingLength = 0;
    return out;
  };

  for await (const chunk of input) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (framing.kind === 'size') {
      while (pendingLength + buf.length >= framing.size) {
        const need = framing.size - pendingLength;
        yield take(buf.subarray(0, need));
        buf = buf.subarray(need);
      }
      if (buf.length > 0) {
        pending.push(buf);
        pendingLength += buf.length;
      }
      continue;
    }
    for (let nl = buf.indexOf(kNewline); nl >= 0; nl = buf.indexOf(kNewline)) {
      const whole = take(buf.subarray(0, nl + 1));
      buf = buf.subarray(nl + 1);
      if (framing.kind === 'lines') {
        if (whole.length > maxBytes) throw tooLong(line, maxBytes);
        yield whole;
      } else {
        const bytes = fromHexLine(whole, line);
        if (bytes !== null && bytes.length > maxBytes) throw tooLong(line, maxBytes);
        if (bytes !== null) yield bytes;
      }
      line += 1;
    }
    if (buf.length > 0) {
      pending.push(buf);
      pendingLength += buf.length;
      // Hex digits are two per byte, plus blanks: allow for them before calling the line too long.
      if (pendingLength > (framing.kind === 'lines' ? maxBytes : 4 * maxBytes + 1024)) throw tooLong(line, maxBytes);
    }
  }
  if (pendingLength === 0) return;
  const rest = take(Buffer.alloc(0));
  if (framing.kind === 'hex-lines') {
    const bytes = fromHexLine(rest, line);
    if (bytes !== null && bytes.length > maxBytes) throw tooLong(line, maxBytes);
    if (bytes !== null) yield bytes;
  } else {
    yield rest;
  }
}
