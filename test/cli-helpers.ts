// Running the `multicast-expert` command (the built dist/cli/bin.js) as a child process, on a lab
// host or here, with deterministic output: colour off unless a test turns it on.
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

import type { Host, LabProcess, RunResult } from '../lab/lab';

export const CLI = path.resolve(__dirname, '..', 'dist', 'cli', 'bin.js');

/** No colour, whatever the environment of the test runner says. */
export const PLAIN_ENV = { NO_COLOR: '', FORCE_COLOR: '' };

/** Runs the command on `host` to its end. */
export function cli(host: Host, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20000): Promise<RunResult> {
  return host.node([CLI, ...args], { env: { ...PLAIN_ENV, ...env }, timeoutMs });
}

/** Starts the command on `host` (a listener, a pong). */
export function spawnCli(host: Host, args: string[], env: NodeJS.ProcessEnv = {}): LabProcess {
  return host.spawnNode([CLI, ...args], { env: { ...PLAIN_ENV, ...env } });
}

/**
 * How to start a process in a network namespace of its own with nothing but a loopback interface
 * that is down: `unshare --net` (root), else with a user namespace; null where neither works
 * (not Linux, or namespaces not allowed).
 */
const ISOLATION: string[] | null = (() => {
  if (process.platform !== 'linux') return null;
  for (const flags of [['--net'], ['--user', '--map-root-user', '--net']]) {
    if (spawnSync('unshare', [...flags, 'true'], { stdio: 'ignore' }).status === 0) return ['unshare', ...flags, '--'];
  }
  return null;
})();

/**
 * Runs the command here, for what touches no network (usage, help, errors found before any socket
 * is opened). Where it can, it runs in an empty network namespace of its own: a test whose command
 * line is wrongly valid then fails there instead of opening a socket on this machine's interfaces.
 */
export function cliHere(args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  return nodeHere([CLI, ...args], env);
}

/** Runs node with `args` here, as cliHere runs the command: in an empty network namespace where it can. */
export function nodeHere(args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  const argv = [process.execPath, ...args];
  const [cmd, ...rest] = ISOLATION === null ? argv : [...ISOLATION, ...argv];
  const r = spawnSync(cmd as string, rest, { encoding: 'utf8', env: { ...process.env, ...PLAIN_ENV, ...env }, timeout: 20000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON objects of NDJSON output. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Fails with the command's output when it did not exit with `code`. */
export function expectExit(r: RunResult, code: number): void {
  if (r.code !== code) throw new Error(`expected exit ${code}, got ${r.code} (signal ${r.signal})\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}
