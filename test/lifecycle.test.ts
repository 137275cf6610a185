// Lifecycle and resources: thousands of open/close cycles leave descriptors, libuv handles and RSS
// flat; a receiver dropped without close() is closed by garbage collection; closing from inside a
// 'message' handler, with receive() pending, or twice is clean; a process with open sockets exits
// promptly; worker threads each load the addon and use sockets at once, and may end with sockets open.
// Whatever could crash the process runs in a child process, so that a crash fails a test rather than
// jest.
import * as path from 'node:path';

import { describeLab, freshGroup, freshPort } from './helpers';
import { DIST, Lab, type RunResult } from './lab/lab';

const CYCLES = Number(process.env.MCE_LIFECYCLE_CYCLES ?? 10000);

interface Sample {
  done: number;
  fds: number;
  handles: number;
  rss: number;
}

/** Runs `code` with node in the lab's root namespace, `mce` bound to dist/; the run must not hang. */
function runNode(lab: Lab, code: string, flags: string[] = [], timeoutMs = 60000): Promise<RunResult> {
  return lab.self.node([...flags, '-e', `const mce = require(${JSON.stringify(DIST)});\n${code}`], { timeoutMs });
}

/** A run that ended by itself (not killed by the timeout, not by a signal) with `code`. */
function expectExit(r: RunResult, code = 0): void {
  if (r.signal !== null || r.code !== code) throw new Error(`expected exit ${code}, got code ${r.code} signal ${r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
}

describeLab('lifecycle and resources', () => {
  let lab: Lab;
  let iface: string;

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('life');
    iface = await lab.connect(lab.self, lan, { ipv4: '10.61.0.1/24', ipv6: 'fd61::1/64' });
  });
  afterAll(() => lab?.close());

  it(`${CYCLES} open/close cycles of Rx and of Tx keep descriptors, libuv handles and RSS flat`, async () => {
    const every = Math.max(1, Math.floor(CYCLES / 10));
    const r = await lab.self.node(['--expose-gc', path.join(__dirname, 'reliability', 'cycles.js'), iface, String(CYCLES), String(every)], { timeoutMs: 300000 });
    expectExit(r);
    const { rx, tx } = JSON.parse(r.stdout) as { rx: Sample[]; tx: Sample[] };
    const report = (s: Sample[]): string => s.map((x) => `${x.done}: ${x.fds} fds, ${x.handles} handles, ${(x.rss / 1048576).toFixed(1)} MiB`).join('; ');
    console.log(`Rx cycles: ${report(rx)}\nTx cycles: ${report(tx)}`);
    for (const samples of [rx, tx]) {
      const first = samples[0] as Sample;
      for (const s of samples) {
        expect(s.fds).toBe(first.fds);
        expect(s.handles).toBe(first.handles);
      }
      // The heap finds its size in the first cycles; from the second checkpoint on, RSS stays flat
      // (a leak of one 64 KiB metadata array per receiver grew it by 600 MiB over 10,000 cycles).
      const settled = samples[Math.min(2, samples.length - 1)] as Sample;
      const last = samples[samples.length - 1] as Sample;
      expect(last.rss - settled.rss).toBeLessThan(24 * 1048576);
    }
  }, 320000);

  it('a receiver dropped without close() is closed by garbage collection, with a warning', async () => {
    const group = freshGroup();
    const port = freshPort();
    const r = await runNode(
      lab,
      `
      const fs = require('fs');
      const sockets = () => fs.readdirSync('/proc/self/fd').filter((f) => { try { return fs.readlinkSync('/proc/self/fd/' + f).startsWith('socket:'); } catch { return false; } }).length;
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.code));
      (async () => {
        const before = sockets();
        (() => {
          const rx = new mce.McastRxSocket({ groups: ['${group}'], port: ${port}, iface: '${iface}' });
          rx.join('${freshGroup()}');
          new mce.McastTxSocket({ iface: '${iface}' });
        })();
        const opened = sockets();
        for (let i = 0; i < 100 && sockets() > before; i++) {
          gc();
          await new Promise((r) => setTimeout(r, 20));
        }
        console.log(JSON.stringify({ before, opened, after: sockets(), warnings }));
      })();
      `,
      ['--expose-gc'],
    );
    expectExit(r);
    const out = JSON.parse(r.stdout) as { before: number; opened: number; after: number; warnings: string[] };
    expect(out.opened).toBe(out.before + 3); // two groups: two OS sockets; one for the sender
    expect(out.after).toBe(out.before);
    expect(out.warnings).toContain('MULTICAST_EXPERT_SOCKET_GC');
  });
});
