// Shared test helpers: lab and tool gating, fresh groups and ports, and error assertions.
import { spawnSync } from 'node:child_process';

import { Lab } from '../lab/lab';
import { MulticastExpertError } from '../lib';

const labReason = Lab.unavailableReason();

/**
 * CI sets these so that what a developer's machine may skip, it may not: MCE_REQUIRE_LAB=1 turns
 * "the lab is unavailable" into a failure, MCE_REQUIRE_TOOLS=1 a missing peer tool (socat, tcpdump,
 * smcroute, nft, python3, and the real protocol peers: avahi-daemon, python3-zeroconf,
 * gssdp-discover, ffmpeg, ptp4l, iperf). Without them, both are visible skips.
 */
const requireLab = process.env.MCE_REQUIRE_LAB === '1';
const requireTools = process.env.MCE_REQUIRE_TOOLS === '1';

/** A describe() whose only test fails with `message`: how a requirement that CI demands shows up. */
function failingDescribe(message: string): jest.Describe {
  const fake = (name: string): void => {
    describe(name, () => {
      it('cannot run here', () => {
        throw new Error(message);
      });
    });
  };
  return Object.assign(fake, { each: () => fake, only: fake, skip: describe.skip }) as unknown as jest.Describe;
}

/**
 * `describe` for tests that need the private network lab; skipped, with the reason, where there is
 * none (and failing instead under MCE_REQUIRE_LAB=1).
 */
export const describeLab: jest.Describe =
  labReason === null
    ? describe
    : requireLab
      ? failingDescribe(`the network lab is unavailable (${labReason}), and MCE_REQUIRE_LAB=1 demands it`)
      : describe.skip;
if (labReason !== null) {
  // One line, once per file, saying why these tests are skipped (or fail).
  console.log(`${requireLab ? 'FAILING' : 'skipped'} lab tests: ${labReason}`);
}

const SBIN = ['/usr/sbin', '/sbin'];

/**
 * Whether `tool` is installed: on the PATH, or in an sbin directory (where smcrouted and nft live);
 * `python3:<module>` asks whether Debian's python3 (/usr/bin/python3) imports that module (a
 * Debian package such as python3-zeroconf installs it there, for that python3 only).
 */
export function hasTool(tool: string): boolean {
  const module = /^python3:(\w+)$/.exec(tool);
  if (module !== null) return spawnSync('/usr/bin/python3', ['-c', `import ${module[1]}`], { stdio: 'ignore' }).status === 0;
  const path = [process.env.PATH ?? '', ...SBIN].join(':');
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore', env: { ...process.env, PATH: path } }).status === 0;
}

/**
 * `it` for a test that needs peer programs (`tools`, with the Debian package that has each): where
 * one is missing the test is skipped, visibly, with its name saying what is missing, and a line
 * saying how to get it; under MCE_REQUIRE_TOOLS=1 (CI, which installs them all) it fails instead.
 */
export function itWithTools(tools: Record<string, string>): jest.It {
  const missing = Object.entries(tools).filter(([tool]) => !hasTool(tool));
  if (missing.length === 0) return it;
  const what = missing.map(([tool, pkg]) => `${tool} (Debian package ${pkg})`).join(', ');
  if (requireTools) {
    const fake = (name: string): void => {
      it(name, () => {
        throw new Error(`${what} is not installed, and MCE_REQUIRE_TOOLS=1 demands it`);
      });
    };
    return Object.assign(fake, { each: () => fake, only: fake, skip: it.skip, todo: it.todo, concurrent: fake, failing: fake }) as unknown as jest.It;
  }
  console.log(`skipped tests that need ${what}: not installed`);
  const label = (name: string): string => `${name} [skipped: needs ${missing.map(([t]) => t).join(', ')}]`;
  const skip = (name: string, fn?: jest.ProvidesCallback): void => it.skip(label(name), fn);
  const each = (table: readonly unknown[]) => (name: string, fn: (...args: never[]) => unknown) => it.skip.each(table as unknown[])(label(name), fn as never);
  return Object.assign(skip, { each, only: skip, skip: it.skip, todo: it.todo, concurrent: skip, failing: skip }) as unknown as jest.It;
}

let groupCounter = 0;
let portCounter = 0;

/** A group no other test uses: 239.<a>.<b>.<c> (or ff15::<n> for IPv6, site-local scope). */
export function freshGroup(family: 'ipv4' | 'ipv6' = 'ipv4', scope: 'site' | 'link' | 'iface' = 'site'): string {
  groupCounter += 1;
  const n = (process.pid % 200) * 1000 + groupCounter;
  if (family === 'ipv4') return `239.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  const prefix = scope === 'site' ? 'ff15' : scope === 'link' ? 'ff12' : 'ff11';
  return `${prefix}::${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}`.replace('::0:', '::');
}

/** A port no other test uses. */
export function freshPort(): number {
  portCounter += 1;
  return 20000 + ((process.pid * 37 + portCounter * 7) % 30000);
}

/** Runs `fn` and returns the MulticastExpertError it throws; fails the test otherwise. */
export function catchError(fn: () => unknown): MulticastExpertError {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof MulticastExpertError)) throw new Error(`expected a MulticastExpertError, got ${String(err)}`);
    return err;
  }
  throw new Error('expected a MulticastExpertError, nothing was thrown');
}

/** Awaits `p` and returns the MulticastExpertError it rejects with. */
export async function catchRejection(p: Promise<unknown>): Promise<MulticastExpertError> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof MulticastExpertError)) throw new Error(`expected a MulticastExpertError, got ${String(err)}`);
    return err;
  }
  throw new Error('expected a MulticastExpertError, the promise resolved');
}

export function expectCode(fn: () => unknown, code: string): MulticastExpertError {
  const err = catchError(fn);
  expect(err.code).toBe(code);
  return err;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `count()` has not changed for `quietChecks` checks 20 ms apart (datagrams stopped coming). */
export async function settle(count: () => number, quietChecks = 10): Promise<void> {
  for (let still = 0, last = -1; still < quietChecks; still = count() === last ? still + 1 : 0, last = count()) await sleep(20);
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return (require('node:fs') as typeof import('node:fs')).readdirSync('/proc/self/fd').length;
}

/** Collects a receiver's datagrams (through 'message') and waits for the ones a test expects. */
export class Inbox {
  readonly messages: import('../lib').McastMessage[] = [];
  readonly #listeners: Array<() => void> = [];

  constructor(readonly rx: import('../lib').McastRxSocket) {
    rx.on('message', (msg) => {
      this.messages.push(msg);
      for (const l of this.#listeners.splice(0)) l();
    });
  }

  /** The texts received so far. */
  get texts(): string[] {
    return this.messages.map((m) => m.data.toString());
  }

  /** Waits until a datagram matching `pred` (or with this text) has arrived; returns it. */
  async waitFor(pred: string | ((m: import('../lib').McastMessage) => boolean), timeoutMs = 5000): Promise<import('../lib').McastMessage> {
    const match = typeof pred === 'string' ? (m: import('../lib').McastMessage) => m.data.toString() === pred : pred;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a datagram; got: ${JSON.stringify(this.texts)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits until `count` datagrams have arrived. */
  async waitForCount(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.messages.length < count) {
      if (Date.now() > deadline) throw new Error(`timed out: ${this.messages.length} of ${count} datagrams; got: ${JSON.stringify(this.texts)}`);
      await sleep(10);
    }
  }
}

/** Agent code that sends `data` to group:port from a (cached) Tx socket with these options. */
export function sendCode(options: Record<string, unknown>, data: string, group: string, port: number, times = 1): string {
  const key = JSON.stringify(options);
  return `state.tx ??= {};
    const tx = (state.tx[${JSON.stringify(key)}] ??= new mce.McastTxSocket(${key}));
    for (let i = 0; i < ${times}; i++) await tx.send(${JSON.stringify(data)}, ${JSON.stringify(group)}, ${port});
    return tx.address();`;
}

/** Open sockets of this process (descriptors that are sockets: other descriptors come and go). */
export function openSockets(): number {
  const fs = require('node:fs') as typeof import('node:fs');
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false; // closed between the listing and the look
    }
  }).length;
}
