/**
 * Human output of the command: colour (only on a terminal, never with NO_COLOR), aligned columns,
 * payloads shown as text when they are text and as hex otherwise, and times of day.
 * @internal
 * @module
 */

/** Colours for one output stream; every function returns its input unchanged when colour is off. */
export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
}

/**
 * Colour is on for a terminal, off for pipes and files; NO_COLOR (any non-empty value, see
 * no-color.org) always turns it off, and FORCE_COLOR (non-empty, not '0') turns it on elsewhere.
 */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

function sgr(on: boolean, code: string): (s: string) => string {
  return on ? (s) => `\u001b[${code}m${s}\u001b[0m` : (s) => s;
}

export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  const on = colourEnabled(stream, env);
  return { enabled: on, bold: sgr(on, '1'), dim: sgr(on, '2'), red: sgr(on, '31'), green: sgr(on, '32'), yellow: sgr(on, '33'), cyan: sgr(on, '36') };
}

const kAnsi = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** Length of a string as it shows on a terminal (without colour codes). */
export function visibleLength(s: string): number {
  return s.replace(kAnsi, '').length;
}

export function pad(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleLength(s)));
  return align === 'left' ? s + fill : fill + s;
}

/** Rows as aligned columns (two spaces apart, no trailing spaces). */
export function table(rows: string[][], align: ('left' | 'right')[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 && align[i] !== 'right' ? cell : pad(cell, widths[i] ?? 0, align[i] ?? 'left')))
      .join('  ')
      .trimEnd(),
  );
}

/**
 * Columns whose widths only grow, for lines printed one at a time (datagrams as they arrive): a
 * column widens to its widest value so far, so lines stay aligned without knowing the future.
 */
export class GrowingColumns {
  readonly #widths: number[] = [];
  line(cells: string[]): string {
    return cells
      .map((cell, i) => {
        const w = Math.max(this.#widths[i] ?? 0, visibleLength(cell));
        this.#widths[i] = w;
        return i === cells.length - 1 ? cell : pad(cell, w);
      })
      .join('  ')
      .trimEnd();
  }
}

const kDecoder = new TextDecoder('utf-8', { fatal: true });

/** The payload as text when it is printable UTF-8 (tabs and newlines allowed), else null. */
export function printableText(data: Uint8Array): string | null {
  let text: string;
  try {
    text = kDecoder.decode(data);
  } catch {
    return null;
  }
  // C0 controls other than tab, LF and CR, DEL and C1 controls make it binary.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f)) return null;
  }
  return text;
}

/** A payload for one line: "quoted text" (escaped) or 0xhex, cut after `max` characters. */
export function payloadForLine(data: Uint8Array, max = 80): string {
  const text = printableText(data);
  if (text !== null) {
    const quoted = JSON.stringify(text);
    return quoted.length <= max ? quoted : `${quoted.slice(0, max - 1)}…" (${data.length} bytes)`;
  }
  const hex = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
  return hex.length + 2 <= max ? `0x${hex}` : `0x${hex.slice(0, max - 2)}… (${data.length} bytes)`;
}

/** The payload for JSON output: its text when printable, and always its hex. */
export function payloadForJson(data: Uint8Array): { text: string | null; hex: string } {
  return { text: printableText(data), hex: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex') };
}

/** Local time of day with milliseconds: 14:03:07.123. */
export function timeOfDay(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** An address and port as one token: 10.0.0.1:5000, [fd00::1]:5000. */
export function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Milliseconds with a precision that suits their size: 0.052, 1.43, 12.1, 250. */
export function formatMs(ms: number): string {
  if (ms < 1) return ms.toFixed(3);
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** A percentage with one decimal: 0%, 12.5%, 100%. */
export function percent(part: number, whole: number): string {
  if (whole === 0) return '0%';
  const p = (part / whole) * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}

/** One JSON document on one line (NDJSON for streaming commands). */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`;
}

/** Where a command reads and writes: its three streams and their styles. Commands never touch process.stdin or stdout directly. */
export interface Io {
  /** What `send --stdin` reads. */
  in: NodeJS.ReadableStream;
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Style of `out`. */
  style: Style;
}

export function processIo(): Io {
  return { in: process.stdin, out: process.stdout, err: process.stderr, env: process.env, style: styleFor(process.stdout) };
}

/**
 * Writes `data` to `out`, and when the stream's buffer is full, waits until it drains (or until
 * `stopped` resolves): a reader that is slower than the datagrams makes the command stop reading,
 * so datagrams wait in the kernel (and are dropped there, counted) instead of in this process.
 */
export function writeAndDrain(out: NodeJS.WritableStream, data: string | Uint8Array, stopped: Promise<unknown>): Promise<void> | undefined {
  if (out.write(data)) return undefined;
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.once('drain', done);
    out.once('close', done);
    void stopped.then(done);
  });
}
