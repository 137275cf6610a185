#!/usr/bin/env node
// The `multicast-expert` command (package.json "bin"). All of it is in ./main.
import { main } from './main';

// Output piped into a command that stops reading (`multicast-expert listen ... | head`) is no error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
