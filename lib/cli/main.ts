/**
 * The `multicast-expert` command: finds the subcommand, parses its arguments, runs it, and turns
 * what goes wrong into an exit code and one line: 2 and `multicast-expert <cmd>: <problem>` for bad
 * usage, 1 and `error: <message> (<hint>)` for a failure.
 * @internal
 * @module
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { type Args, PROGRAM, UsageError, parseCommand } from './args';
import type { Command } from './command';
import { benchCommand } from './commands/bench';
import { chatCommand } from './commands/chat';
import { doctorCommand } from './commands/doctor';
import { interfacesCommand } from './commands/interfaces';
import { listenCommand } from './commands/listen';
import { pingCommand, pongCommand } from './commands/ping';
import { sendCommand } from './commands/send';
import { CliError, explain } from './hints';
import { type Io, processIo } from './output';

export const COMMANDS: readonly Command[] = [interfacesCommand, listenCommand, sendCommand, chatCommand, pingCommand, pongCommand, doctorCommand, benchCommand];

function version(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'IP multicast from the terminal: which interface, is anything arriving, and why not.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    '',
    `Run '${PROGRAM} <command> --help' for the options of each. Exit codes: 0 success, 1 failure, 2 bad usage.`,
    'Colour only on a terminal; NO_COLOR turns it off.',
    '',
  ].join('\n');
}

/** The closest command name, for "did you mean". */
function closest(name: string): string | undefined {
  return COMMANDS.map((c) => c.spec.name).find((n) => n.startsWith(name.slice(0, 2)) || name.startsWith(n));
}

/** The interfaces the command line named, for hints that depend on whether one was given. */
function givenIfaces(args: Args | null): string[] {
  if (args === null) return [];
  return [...args.strings('iface'), ...args.strings('tx-iface')];
}

/** `error: <message> (<hint>)`, on one line. */
function failureLine(err: unknown, args: Args | null): string {
  const e = err instanceof CliError ? err : explain(err, { ifaces: givenIfaces(args) });
  const hint = e instanceof CliError && e.hint !== undefined ? ` (${e.hint})` : '';
  return `error: ${`${e.message}${hint}`.replace(/\s*\n\s*/g, ' ')}\n`;
}

function usageLine(err: UsageError): string {
  const where = err.command === '' ? PROGRAM : `${PROGRAM} ${err.command}`;
  const hint = err.hint === undefined ? '' : ` (${err.hint})`;
  return `${where}: ${err.message}${hint}; see '${where} --help'\n`;
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  let args: Args | null = null;
  try {
    if (name === undefined) throw new UsageError('', 'no command given');
    if (name === '--help' || name === '-h') {
      io.out.write(generalHelp());
      return 0;
    }
    if (name === '--version' || name === '-V') {
      io.out.write(`${version()}\n`);
      return 0;
    }
    const helpOf = name === 'help' ? rest[0] : undefined;
    if (name === 'help' && helpOf === undefined) {
      io.out.write(generalHelp());
      return 0;
    }
    const wanted = helpOf ?? name;
    const command = COMMANDS.find((c) => c.spec.name === wanted);
    if (command === undefined) {
      const guess = closest(wanted);
      throw new UsageError('', `unknown command ${JSON.stringify(wanted)}`, guess === undefined ? undefined : `did you mean '${guess}'?`);
    }
    args = parseCommand(command.spec, helpOf !== undefined ? ['--help'] : rest, io.out);
    if (args === null) return 0;
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err.write(usageLine(err));
      return 2;
    }
    io.err.write(failureLine(err, args));
    if (io.env.MULTICAST_EXPERT_DEBUG && err instanceof Error && err.stack) io.err.write(`${err.stack}\n`);
    return 1;
  }
}
