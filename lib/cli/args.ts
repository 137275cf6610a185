/**
 * Command-line arguments: each subcommand declares its options once (for parsing and for --help),
 * Node's own util.parseArgs reads them, and typed accessors turn values into numbers, groups and
 * flags, failing with a {@link UsageError} (exit code 2) that says what was wrong in one line.
 * @internal
 * @module
 */
import * as net from 'node:net';
import { parseArgs } from 'node:util';

import { type Family, MulticastExpertError, validateMcastIp } from '../index';
import { cliHint } from './hints';

/** The program's name, as users type it. */
export const PROGRAM = 'multicast-expert';

/** Bad usage: a wrong option, a missing argument, a value out of range. Exit code 2. */
export class UsageError extends Error {
  constructor(
    readonly command: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a subcommand. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The option may be given several times (values collected in order). */
  multiple?: boolean;
  /** Placeholder of the value in the help ('P', 'MS'); string options only. */
  value?: string;
  description: string;
}

/** What a subcommand takes, for parsing and for its --help. */
export interface CommandSpec {
  name: string;
  /** Arguments after the subcommand's name, e.g. '<group>... --port P [options]'. */
  usage: string;
  /** One line, for the list of subcommands. */
  summary: string;
  /** Paragraphs for --help. */
  description: string[];
  options: Record<string, OptionSpec>;
  positionals: { min: number; max: number };
  examples?: string[];
}

/** The option every subcommand has. */
export const HELP_OPTION: Record<string, OptionSpec> = { help: { type: 'boolean', short: 'h', description: 'show this help' } };

/** Options shared by several subcommands, so that they read the same everywhere. */
export const COMMON = {
  port: { type: 'string', short: 'p', value: 'P', description: 'UDP port, 1..65535' },
  json: { type: 'boolean', description: 'machine-readable output (JSON)' },
  ttl: { type: 'string', value: 'N', description: 'TTL (IPv6: hop limit) of sent datagrams, 0..255 (default 1; 0 stays on this host)' },
  loopback: { type: 'boolean', description: "deliver to this host's own receivers on non-loopback interfaces too (externalLoopback)" },
  count: { type: 'string', short: 'c', value: 'N', description: 'stop after N' },
  timeout: { type: 'string', short: 't', value: 'MS', description: 'stop after MS milliseconds' },
  interval: { type: 'string', value: 'MS', description: 'milliseconds between datagrams (default 1000)' },
} satisfies Record<string, OptionSpec>;

/** The help text of a subcommand. */
export function helpText(spec: CommandSpec): string {
  const lines = [`Usage: ${PROGRAM} ${spec.name} ${spec.usage}`, ''];
  for (const p of spec.description) lines.push(p, '');
  const options = { ...spec.options, ...HELP_OPTION };
  const labels = Object.entries(options).map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : '    ';
    const value = o.type === 'string' ? ` ${o.value ?? 'X'}` : '';
    return [`  ${short}--${name}${value}`, o.multiple ? `${o.description} (repeatable)` : o.description] as const;
  });
  const width = Math.max(...labels.map(([l]) => l.length)) + 2;
  lines.push('Options:');
  for (const [label, text] of labels) lines.push(`${label.padEnd(width)}${text}`);
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push('', 'Examples:');
    for (const e of spec.examples) lines.push(`  ${PROGRAM} ${spec.name} ${e}`);
  }
  return `${lines.join('\n')}\n`;
}

/** parseArgs explains itself in long sentences; the first one, lower-cased, fits our one line. */
function firstSentence(message: string): string {
  const end = message.search(/\.(\s|$)/);
  const s = end >= 0 ? message.slice(0, end) : message;
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/** Parsed arguments of one subcommand, with typed accessors that fail as usage errors. */
export class Args {
  constructor(
    readonly spec: CommandSpec,
    readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>,
    readonly positionals: string[],
  ) {}

  usage(message: string, hint?: string): UsageError {
    return new UsageError(this.spec.name, message, hint);
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  string(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : undefined;
  }

  strings(name: string): string[] {
    const v = this.values[name];
    if (Array.isArray(v)) return v.filter((s): s is string => typeof s === 'string');
    return typeof v === 'string' ? [v] : [];
  }

  /** An integer option within [min, max]; `fallback` when absent (undefined: optional). */
  int(name: string, min: number, max: number, fallback?: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return fallback;
    const n = Number(text);
    if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max) throw this.usage(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`);
    return n;
  }

  /** A required integer option. */
  requiredInt(name: string, min: number, max: number): number {
    const n = this.int(name, min, max);
    if (n === undefined) throw this.usage(`--${name} is required`);
    return n;
  }

  port(required: true): number;
  port(required: false): number | undefined;
  port(required: boolean): number | undefined {
    return required ? this.requiredInt('port', 1, 65535) : this.int('port', 1, 65535);
  }
}

/** Parses `argv` (the arguments after the subcommand) against `spec`; null when --help was asked (and printed). */
export function parseCommand(spec: CommandSpec, argv: string[], out: NodeJS.WritableStream): Args | null {
  const options = { ...spec.options, ...HELP_OPTION };
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(options)) {
    config[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options: config, allowPositionals: true, strict: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(spec.name, firstSentence(message));
  }
  const args = new Args(spec, parsed.values as Args['values'], parsed.positionals);
  if (args.flag('help')) {
    out.write(helpText(spec));
    return null;
  }
  const { min, max } = spec.positionals;
  const n = parsed.positionals.length;
  if (n < min) throw args.usage(`missing argument: ${spec.usage.split(' ')[0] ?? ''}`);
  if (n > max) throw args.usage(max === 0 ? `unexpected argument ${JSON.stringify(parsed.positionals[0])}` : `unexpected argument ${JSON.stringify(parsed.positionals[max])}`, 'quote a message that has spaces');
  return args;
}

/** Checks that `group` is a multicast address (of `family`, when given); a usage error, worded for the command line, if not. */
function checkGroup(args: Args, group: string, family?: Family): Family {
  try {
    validateMcastIp(group, family);
  } catch (err) {
    if (err instanceof MulticastExpertError) throw args.usage(err.message, cliHint(err, { ifaces: args.strings('iface') }));
    throw err;
  }
  return net.isIPv6(group) ? 'ipv6' : 'ipv4';
}

/** Checks that every group is a multicast address of one family, and returns that family. */
export function checkGroupArgs(args: Args, groups: string[], family?: Family): Family {
  let first: Family | undefined = family;
  // Each group's family is checked against the first one's (or the one asked for).
  for (const g of groups) first = checkGroup(args, g, first);
  return first ?? 'ipv4';
}

/** Checks that every group is a multicast address, and splits them by family (in the order given). */
export function groupsByFamily(args: Args, groups: string[]): Map<Family, string[]> {
  const out = new Map<Family, string[]>();
  for (const g of groups) {
    const family = checkGroup(args, g);
    out.set(family, [...(out.get(family) ?? []), g]);
  }
  return out;
}

/** A group as the library reports it (IPv6 in its canonical, compressed form). */
export function canonicalGroup(group: string): string {
  return net.isIPv6(group) ? new net.SocketAddress({ address: group, family: 'ipv6' }).address : group;
}
