// Driving test/reliability/rx-probe.js (a receiver in a process of its own on a lab host) from a test.
import * as path from 'node:path';

import type { Host, LabProcess } from '../../lab/lab';

export const PROBE = path.join(__dirname, 'rx-probe.js');

export interface ProbeMessage {
  group: string;
  source: string;
  ifaceIndex: number;
  length: number;
  text: string;
}

export interface ProbeReport {
  messages: ProbeMessage[];
  stats: { received: number; kernelDrops: number; truncated: number; filtered: number } | null;
  groups: string[];
  ifaces: string[];
}

export class Probe {
  private constructor(readonly process: LabProcess) {}

  /** Starts a receiver with `options` on `host`; resolves once it is open (or failed to open). */
  static async start(host: Host, options: object, mode: 'listen' | 'queue' = 'listen'): Promise<{ probe: Probe; opened: string }> {
    const p = new Probe(host.spawnNode([PROBE, JSON.stringify(options), mode]));
    const opened = await p.next(/^(ready|open-error)/, 0, 20000);
    return { probe: p, opened };
  }

  /** Whole lines: an answer is parsed only once all of it has arrived. */
  get lines(): string[] {
    return this.process.wholeLines;
  }

  /** The first line from index `from` on that matches; rejects after `timeoutMs` or if the probe exits. */
  async next(pattern: RegExp, from = this.lines.length, timeoutMs = 10000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.slice(from).find((l) => pattern.test(l));
      if (found !== undefined) return found;
      if (this.process.child.exitCode !== null || this.process.child.signalCode !== null)
        throw new Error(`the probe exited (${this.process.child.exitCode ?? this.process.child.signalCode}) before printing ${pattern}:\n${this.process.stdout}`);
      if (Date.now() > deadline) throw new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${this.lines.slice(-20).join('\n')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a command and resolves with the answer line (matching `answer`). */
  async command(command: string, answer: RegExp, timeoutMs = 10000): Promise<string> {
    const from = this.lines.length;
    this.process.child.stdin?.write(`${command}\n`);
    return this.next(answer, from, timeoutMs);
  }

  async report(): Promise<ProbeReport> {
    const line = await this.command('report', /^report /);
    return JSON.parse(line.slice('report '.length)) as ProbeReport;
  }

  /** Closes the receiver; resolves with how the process ended (it must end by itself). */
  async close(): Promise<{ code: number | null; signal: string | null }> {
    await this.command('close', /^closed$/);
    this.process.child.stdin?.end();
    let timer: NodeJS.Timeout | undefined;
    const r = await Promise.race([this.process.exited, new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), 10000)))]);
    clearTimeout(timer);
    if (r === null) {
      await this.process.stop();
      return { code: null, signal: 'HUNG' };
    }
    return { code: r.code, signal: r.signal };
  }
}
