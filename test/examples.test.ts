// Every program in examples/ runs here, on lab hosts, the way the README tells a user to run it, so
// that the examples never rot. They load the package by name (the package's self-reference, which
// resolves to dist/) and take their interface, groups and port from the command line; each answers
// --help. The CommonJS ones (.js) run as they are, the ES module (.mjs) is imported by node, and the
// TypeScript one (.ts) is compiled by tsc --strict in a user's project that has the package
// installed, against the package's own types, then run.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';

import { type Host, Lab, type LabProcess } from '../lab/lab';
import { describeLab, freshGroup, freshPort } from './helpers';
import { nodeHere } from './cli-helpers';

const ROOT = path.resolve(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'examples');
const example = (name: string): string => path.join(EXAMPLES, name);

/**
 * A user's project with multicast-expert installed (node_modules/multicast-expert is this package:
 * the package's exports and types are what resolve) and the TypeScript examples in it, compiled with
 * examples/tsconfig.json. Returns where the compiled .js files are, or tsc's output when it fails.
 */
function compileInUserProject(sources: Record<string, string>): { dir: string; ok: boolean; output: string } {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'mce-user-project-'));
  fs.mkdirSync(path.join(project, 'node_modules', '@types'), { recursive: true });
  // Junctions on Windows: they need no privilege there, where directory symlinks do.
  const type = process.platform === 'win32' ? 'junction' : 'dir';
  fs.symlinkSync(ROOT, path.join(project, 'node_modules', 'multicast-expert'), type);
  fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(project, 'node_modules', '@types', 'node'), type);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'user-project', private: true }));
  fs.copyFileSync(path.join(EXAMPLES, 'tsconfig.json'), path.join(project, 'tsconfig.json'));
  for (const [name, text] of Object.entries(sources)) fs.writeFileSync(path.join(project, name), text);
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { encoding: 'utf8' });
  return { dir: path.join(project, 'build'), ok: tsc.status === 0, output: `${tsc.stdout}${tsc.stderr}` };
}

// A copy of the project without examples/ (the Windows run under Wine stages only what it needs)
// skips these tests, visibly.
const HAVE_EXAMPLES = fs.existsSync(EXAMPLES);
if (!HAVE_EXAMPLES) console.log(`skipped example tests: ${EXAMPLES} is not in this copy of the project`);
const listed = HAVE_EXAMPLES ? fs.readdirSync(EXAMPLES) : [];
const TS_EXAMPLES = listed.filter((f) => f.endsWith('.ts'));
const JS_EXAMPLES = listed.filter((f) => /\.m?js$/.test(f));

/** The TypeScript examples compiled once, for this file's tests. */
let compiled: { dir: string; ok: boolean; output: string } | undefined;
function compiledExamples(): { dir: string; ok: boolean; output: string } {
  compiled ??= compileInUserProject(Object.fromEntries(TS_EXAMPLES.map((f) => [f, fs.readFileSync(example(f), 'utf8')])));
  return compiled;
}
afterAll(() => {
  if (compiled !== undefined) fs.rmSync(path.dirname(compiled.dir), { recursive: true, force: true });
});

(HAVE_EXAMPLES ? describe : describe.skip)('examples: --help, bad options, and the TypeScript one against the package types', () => {
  it('there are CommonJS, ES module and TypeScript examples', () => {
    expect(JS_EXAMPLES.filter((f) => f.endsWith('.js')).length).toBeGreaterThan(0);
    expect(JS_EXAMPLES.filter((f) => f.endsWith('.mjs')).length).toBeGreaterThan(0);
    expect(TS_EXAMPLES.length).toBeGreaterThan(0);
  });

  it('the TypeScript examples compile with tsc --strict in a user project, against the installed package\'s types', () => {
    const r = compiledExamples();
    if (!r.ok) throw new Error(`tsc failed:\n${r.output}`);
    for (const f of TS_EXAMPLES) expect(fs.existsSync(path.join(r.dir, f.replace(/\.ts$/, '.js')))).toBe(true);
  }, 90000); // tsc takes some 10 s, more on a loaded machine

  it('...and those types are the package\'s: a misspelt field of McastMessage does not compile', () => {
    const source = fs.readFileSync(example('group-counter.ts'), 'utf8');
    expect(source).toContain('msg.ifaceName');
    const r = compileInUserProject({ 'group-counter.ts': source.replace('msg.ifaceName', 'msg.ifaceNmae') });
    fs.rmSync(path.dirname(r.dir), { recursive: true, force: true });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/error TS2551: Property 'ifaceNmae' does not exist on type 'McastMessage'/);
  }, 90000);

  // Run where no socket can reach a network: a namespace of their own, where the OS allows one.
  const program = (name: string): string => (name.endsWith('.ts') ? path.join(compiledExamples().dir, name.replace(/\.ts$/, '.js')) : example(name));
  it.each([...JS_EXAMPLES, ...TS_EXAMPLES])('%s --help prints its usage and exits 0; an unknown option exits 2 with the usage', (name) => {
    const help = nodeHere([program(name), '--help']);
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^(Usage: |node examples\/communicator\.js takes the options of `multicast-expert chat`)/);
    expect(help.stdout).toMatch(/-h, --help/);
    const bad = nodeHere([program(name), '--no-such-option']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/--no-such-option/);
  });
});

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

  test('watch.mjs (ES module): interface changes, the receiver losing and rejoining, and datagrams after', async () => {
    const lan = await lab.lan('watch');
    const rxHost = await lab.host('watcher');
    await lab.connect(rxHost, lan, { ipv4: '10.62.9.2/24' });
    await lab.connect(h1, lan, { ipv4: '10.62.9.1/24' }); // h1's eth1
    const g = freshGroup();
    const port = String(freshPort());
    const watcher = rxHost.spawnNode([example('watch.mjs'), '--group', g, '--port', port, '--timeout', '30000']);
    await watcher.waitFor(`listening to ${g} port ${port} on eth0; watching the interfaces`, 15000);
    await rxHost.ip('link', 'set', 'eth0', 'down');
    await watcher.waitFor(/ interface eth0: down$/);
    await watcher.waitFor(/ receiver lost eth0 \(down\): its groups wait for it$/);
    await rxHost.ip('link', 'set', 'eth0', 'up');
    await watcher.waitFor(new RegExp(` receiver joined ${g.replace(/\./g, '\\.')} on eth0 \\(up\\)$`));
    // The first datagrams after a link comes up may be lost while Linux activates it: resend.
    for (let i = 0; i < 50 && !watcher.stdout.includes('after the flap'); i++) {
      await h1.eval(`const tx = new mce.McastTxSocket({ iface: 'eth1' }); tx.send('after the flap', '${g}', ${port}).finally(() => tx.close());`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await watcher.waitFor(new RegExp(` ${g.replace(/\./g, '\\.')} from 10\\.62\\.9\\.1 on eth0: after the flap$`));
    const r = await watcher.stop();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test('group-counter.ts, compiled: counts per group and arrival interface', async () => {
    const { dir, ok, output } = compiledExamples();
    if (!ok) throw new Error(`tsc failed:\n${output}`);
    const port = String(freshPort());
    const counter = h2.spawnNode([path.join(dir, 'group-counter.js'), '--group', '239.62.0.7', '--group', '239.62.0.8', '--port', port, '--iface', 'eth0', '--count', '5', '--seconds', '30']);
    await counter.waitFor('counting 239.62.0.7, 239.62.0.8', 15000);
    const send = (group: string, n: number, text: string): Promise<{ code: number | null; lines: string[]; stderr: string }> =>
      finish(h1.spawnNode([example('sender.js'), '--group', group, '--port', port, '--iface', 'eth0', '--count', String(n), '--interval', '10', '--message', text]));
    expect((await send('239.62.0.7', 3, 'seven')).code).toBe(0);
    expect((await send('239.62.0.8', 2, 'eight')).code).toBe(0);
    const got = await finish(counter);
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(got.lines.slice(1)).toEqual([
      expect.stringMatching(/^GROUP\s+INTERFACE\s+DATAGRAMS\s+BYTES\s+SENDERS$/),
      expect.stringMatching(/^239\.62\.0\.7\s+eth0\s+3\s+24\s+1$/),
      expect.stringMatching(/^239\.62\.0\.8\s+eth0\s+2\s+16\s+1$/),
    ]);
  });

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
