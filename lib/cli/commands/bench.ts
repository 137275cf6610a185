/**
 * `multicast-expert bench`: the benchmark lives in a clone of the repository (bench/run.js, run by
 * `npm run bench`); an installed package has none. Where it exists next to this package it is run,
 * inside the private network lab when the lab script is there too (the benchmark floods, and must
 * not do so on a real network); elsewhere the command says how to get it.
 * @internal
 * @module
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { Command } from '../command';

/** The package's root: dist/cli/commands (or lib/cli/commands) three levels up. */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The repository's address from package.json (its one owner), when it names one. */
function repositoryUrl(): string | null {
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { repository?: string | { url?: string } };
    const url = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
    return typeof url === 'string' && url.length > 0 ? url.replace(/^git\+/, '') : null;
  } catch {
    return null;
  }
}

export const benchCommand: Command = {
  spec: {
    name: 'bench',
    usage: '[-- benchmark options]',
    summary: 'run the benchmark (from a clone of the repository)',
    description: [
      'Runs the throughput and CPU benchmark (multicast-expert against dgram and a C recvmmsg receiver) inside a private network lab. It needs a clone of the repository: `git clone` it, then `npm ci && npm run bench`. Arguments after -- go to the benchmark.',
    ],
    options: {},
    positionals: { min: 0, max: Infinity },
  },

  async run(args, io) {
    const script = path.join(PACKAGE_ROOT, 'bench', 'run.js');
    if (!fs.existsSync(script)) {
      const url = repositoryUrl();
      // The clone's folder is the URL's last part (git's own rule), so the line works for a fork too.
      const folder = url === null ? 'multicast-expert' : path.posix.basename(url).replace(/\.git$/, '');
      io.out.write(
        'The benchmark runs from a clone of the repository, not from an installed package:\n' +
          `  git clone ${url ?? '<the multicast-expert repository>'} && cd ${folder} && npm ci && npm run bench\n`,
      );
      return 0;
    }
    const lab = path.join(PACKAGE_ROOT, 'lab', 'enter-lab.js');
    const inLab = process.env.MCE_LAB === '1' || !fs.existsSync(lab);
    const argv = inLab ? [script, ...args.positionals] : [lab, process.execPath, script, ...args.positionals];
    return new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, argv, { stdio: 'inherit', cwd: PACKAGE_ROOT });
      child.on('error', reject);
      child.on('close', (code, signal) => resolve(code ?? (signal === null ? 1 : 128 + 2)));
    });
  },
};
