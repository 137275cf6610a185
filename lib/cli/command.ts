/**
 * The shape of a subcommand: its spec (options, help) and what it does with parsed arguments.
 * @internal
 * @module
 */
import type { Args, CommandSpec } from './args';
import type { Io } from './output';

export interface Command {
  spec: CommandSpec;
  /** Runs the subcommand; resolves to the exit code (0 success, 1 failure). Throws UsageError for bad usage. */
  run(args: Args, io: Io): Promise<number>;
}
