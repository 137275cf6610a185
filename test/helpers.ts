// Shared test helpers: lab gating, fresh groups and ports, and error assertions.
import { Lab } from './lab/lab';
import { MulticastExpertError } from '../lib';

const labReason = Lab.unavailableReason();

/** `describe` for tests that need the private network lab; skipped, with the reason, where there is none. */
export const describeLab: jest.Describe = labReason === null ? describe : describe.skip;
if (labReason !== null) {
  // One line, once per file, saying why these tests are skipped.
  console.log(`skipped lab tests: ${labReason}`);
}

let groupCounter = 0;
let portCounter = 0;

/** A group no other test uses: 239.<a>.<b>.<c> (or ff15::<n> for IPv6, site-local scope). */
export function freshGroup(family: 'ipv4' | 'ipv6' = 'ipv4', scope: 'site' | 'link' | 'iface' = 'site'): string {
  groupCounter += 1;
  const n = (process.pid % 200) * 1000 + groupCounter;
  if (family === 'ipv4') return `239.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  const prefix = scope === 'site' ? 'ff15' : scope === 'link' ? 'ff12' : 'ff11';
  return `${prefix}::${(n >> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
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

/** Open file descriptors of this process. */
export function openFds(): number {
  return (require('node:fs') as typeof import('node:fs')).readdirSync('/proc/self/fd').length;
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
