// Every program in examples/ runs here, on lab hosts, the way the README tells a user to run it, so
// that the examples never rot. They load the package by name (the package's self-reference, which
// resolves to dist/) and take their interface, groups and port from the command line.
import * as path from 'node:path';
import { spawn } from 'node:child_process';

import { type Host, Lab, type LabProcess } from '../lab/lab';
import { describeLab, freshPort } from './helpers';

const EXAMPLES = path.resolve(__dirname, '..', 'examples');
const example = (name: string): string => path.join(EXAMPLES, name);

describeLab('examples', () => {
  let lab: Lab;
  let h1: Host;
  let h2: Host;
  let h3: Host;

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('ex');
    h1 = await lab.host('h1');
    h2 = await lab.host('h2');
    h3 = await lab.host('h3');
    await lab.connect(h1, lan, { ipv4: '10.62.0.1/24', ipv6: 'fd62::1/64' });
    await lab.connect(h2, lan, { ipv4: '10.62.0.2/24', ipv6: 'fd62::2/64' });
    await lab.connect(h3, lan, { ipv4: '10.62.0.3/24', ipv6: 'fd62::3/64' });
  });

  afterAll(async () => {
    await lab?.close();
  });

  async function finish(p: LabProcess, timeoutMs = 30000): Promise<{ code: number | null; lines: string[]; stderr: string }> {
    const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
    const r = await p.exited;
    clearTimeout(timer);
    return { code: r.code, lines: r.stdout.split('\n').filter((l) => l.length > 0), stderr: r.stderr };
  }

  test('sender.js and receiver.js: each datagram arrives with its group and interface', async () => {
    const port = String(freshPort());
    const rx = h2.spawnNode([example('receiver.js'), '--group', '239.62.0.1', '--group', '239.62.0.2', '--port', port, '--iface', 'eth0', '--count', '2']);
    await rx.waitFor('listening to 239.62.0.1, 239.62.0.2', 15000);
    // The sender takes its settings from the environment too.
    const tx = h1.spawnNode([example('sender.js'), '--count', '1', '--message', 'hi'], {
      env: { MCE_GROUP: '239.62.0.1,239.62.0.2', MCE_PORT: port, MCE_IFACE: 'eth0' },
    });
    const sent = await finish(tx);
    expect(sent.stderr).toBe('');
    expect(sent.code).toBe(0);
    expect(sent.lines[0]).toMatch(new RegExp(`^sending to 239.62.0.1, 239.62.0.2 port ${port} on eth0 \\(source port \\d+\\)$`));
    const got = await finish(rx);
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(got.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^239\.62\.0\.1 from 10\.62\.0\.1:\d+ on eth0: hi #1$/),
        expect.stringMatching(/^239\.62\.0\.2 from 10\.62\.0\.1:\d+ on eth0: hi #1$/),
      ]),
    );
    expect(got.lines[got.lines.length - 1]).toMatch(/^received 2, kernel drops 0, filtered \d+$/);
  });

  test('ssm-receiver.js gets its source only (IPv4 and IPv6)', async () => {
    for (const [group, wanted, other] of [
      ['232.62.0.1', '10.62.0.1', '10.62.0.3'],
      ['ff35::62:1', 'fd62::1', 'fd62::3'],
    ] as const) {
      const port = String(freshPort());
      const rx = h2.spawnNode([example('ssm-receiver.js'), '--group', group, '--source', wanted, '--port', port, '--iface', 'eth0', '--count', '1']);
      await rx.waitFor(`listening to ${group} from ${wanted}`, 15000);
      // The other sender first: were it let through, it would be the one datagram the receiver prints.
      const send = (h: Host, text: string): Promise<{ code: number | null; lines: string[]; stderr: string }> =>
        finish(h.spawnNode([example('sender.js'), '--group', group, '--port', port, '--iface', 'eth0', '--count', '1', '--message', text]));
      expect((await send(h3, 'from the other')).code).toBe(0);
      expect((await send(h1, 'from the source')).code).toBe(0);
      const got = await finish(rx);
      expect(got.stderr).toBe('');
      expect(got.code).toBe(0);
      expect(got.lines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^${group} from ${wanted}:\\d+ on eth0: from the source #1$`))]);
      expect(got.lines.join('\n')).not.toContain(other);
    }
  });

  test('communicator.js on three machines: everyone hears group 0, and its neighbour on its own group', async () => {
    const runs = [h1, h2, h3].map((h, i) => h.spawnNode([example('communicator.js'), '--machine', String(i + 1), '--count', '4', '--iface', 'eth0']));
    const results = await Promise.all(runs.map((r) => finish(r, 40000)));
    const groups = ['239.255.77.0', '239.255.77.1', '239.255.77.2', '239.255.77.3'];
    results.forEach((r, i) => {
      const n = i + 1;
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const got = (from: number, group: string): boolean =>
        r.lines.some((l) => l.startsWith(`machine ${n} got "machine ${from} `) && l.includes(`from 10.62.0.${from}, sent to ${group}, arrived on eth0`));
      // Start-up order varies, so a machine may miss the first round of another; four rounds leave
      // every pair at least one.
      for (const other of [1, 2, 3].filter((m) => m !== n)) expect(got(other, groups[0] as string)).toBe(true);
      const neighbour = (n % 3) + 1;
      expect(got(neighbour, groups[neighbour] as string)).toBe(true);
      // Its own group is not one it listens to; the third machine's group neither.
      const third = [1, 2, 3].find((m) => m !== n && m !== neighbour) as number;
      expect(r.lines.some((l) => l.includes(`sent to ${groups[third]}`))).toBe(false);
    });
  }, 60000);

  test('lab-demo.js (npm run demo) builds its own lab and runs the communicator in it', async () => {
    const child = spawn(process.execPath, [example('lab-demo.js')], { env: { ...process.env, DEMO_ROUNDS: '2' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(out).toContain('running the communicator on three lab hosts');
    for (const n of [1, 2, 3]) expect(out).toMatch(new RegExp(`machine ${n} got "machine \\d `));
  }, 60000);
});
