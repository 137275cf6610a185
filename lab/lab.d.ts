// Types of the lab (lab.js), for the tests.
import type { ChildProcess } from 'node:child_process';

export const DIST: string;
export function unavailableReason(): string | null;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class LabProcess {
  readonly child: ChildProcess;
  readonly stdout: string;
  readonly output: { stdout: string; stderr: string };
  readonly lines: string[];
  /** Whole lines only (each with its newline, or the last once the process has ended). */
  readonly wholeLines: string[];
  readonly exited: Promise<RunResult>;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  stop(): Promise<RunResult>;
}

export class Agent {
  /** Runs `code` as an async function body with `mce` (dist/) and `state` (kept between calls). */
  run<T = unknown>(code: string): Promise<T>;
  stop(): Promise<RunResult>;
}

export class Host {
  readonly lab: Lab;
  readonly name: string;
  readonly pid: number;
  spawn(cmd: string, args?: string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }): LabProcess;
  run(cmd: string, args?: string[], options?: RunOptions): Promise<RunResult>;
  sh(script: string): Promise<string>;
  ip(...args: string[]): Promise<string>;
  ipBatch(lines: string[]): Promise<void>;
  sysctl(key: string, value: string | number): Promise<void>;
  readSysctl(key: string): Promise<string>;
  node(args: string[], options?: RunOptions): Promise<RunResult>;
  spawnNode(args: string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }): LabProcess;
  /** Runs JavaScript with `mce` bound to the built package (dist/). */
  eval(code: string, options?: RunOptions): Promise<RunResult>;
  spawnEval(code: string, options?: { env?: NodeJS.ProcessEnv; cwd?: string }): LabProcess;
  agent(): Promise<Agent>;
  links(): Promise<Array<{ ifname: string; ifindex: number; flags: string[]; mtu: number; address?: string; operstate: string }>>;
}

export class Lan {
  readonly name: string;
  readonly host: Host;
  snooping(on: boolean): Promise<void>;
}

export interface ConnectOptions {
  ifname?: string;
  ipv4?: string | string[];
  ipv6?: string | string[];
  up?: boolean;
}

export class Lab {
  static unavailableReason(): string | null;
  static create(): Promise<Lab>;
  readonly id: string;
  readonly self: Host;
  host(name: string): Promise<Host>;
  lan(name: string, options?: { snooping?: boolean }): Promise<Lan>;
  selfIfname(hint?: string): string;
  connect(host: Host, lan: Lan, options?: ConnectOptions): Promise<string>;
  close(): Promise<void>;
}
