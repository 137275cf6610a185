// The command in shell pipes between lab hosts, as socat is used: `send --stdin` sends what it
// reads (a datagram per line, or per --size bytes), `listen --raw` writes the payloads alone, byte
// for byte; and each end against socat itself on the other.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { type Host, Lab, type LabProcess } from '../lab/lab';
import { describeLab, freshGroup, freshPort, itWithTools, sleep } from './helpers';
import { CLI, PLAIN_ENV, expectExit } from './cli-helpers';

const withSocat = itWithTools({ socat: 'socat' });
const NODE = process.execPath;

/** Waits until the process has written `text` to stderr (listen --raw says it is listening there). */
async function waitForStderr(p: LabProcess, text: string, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!p.output.stderr.includes(text)) {
    if (p.child.exitCode !== null || Date.now() > deadline) throw new Error(`no "${text}" on stderr: ${p.output.stderr} (stdout: ${p.output.stdout})`);
    await sleep(20);
  }
}

/** The /proc/net/igmp spelling of an IPv4 group (socat has joined once the kernel lists it). */
function igmpHex(group: string): string {
  const octets = group.split('.').map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase());
  return (os.endianness() === 'LE' ? octets.reverse() : octets).join('');
}

describeLab('multicast-expert in pipes, and against socat', () => {
  let lab: Lab;
  let h1: Host;
  let h2: Host;
  let dir: string;

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('pipes');
    h1 = await lab.host('h1');
    h2 = await lab.host('h2');
    await lab.connect(h1, lan, { ipv4: '10.63.0.1/24', ipv6: 'fd63::1/64' });
    await lab.connect(h2, lan, { ipv4: '10.63.0.2/24', ipv6: 'fd63::2/64' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mce-pipes-'));
  });
  afterAll(async () => {
    await lab?.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** `listen --raw` on h2 with its stdout piped into base64 (a pipe on this end too); resolves with the bytes. */
  function rawListener(group: string, port: number, count: number): { proc: LabProcess; bytes: () => Promise<{ data: Buffer; stderr: string; code: number | null }> } {
    const proc = h2.spawn('sh', ['-c', `${NODE} ${CLI} listen ${group} -p ${port} --raw --count ${count} --timeout 20000 | base64`], { env: PLAIN_ENV });
    return {
      proc,
      bytes: async () => {
        const r = await proc.exited;
        return { data: Buffer.from(r.stdout, 'base64'), stderr: r.stderr, code: r.code };
      },
    };
  }

  it('lines piped into send --stdin on one host come out of listen --raw on another, byte for byte', async () => {
    const g = freshGroup();
    const port = freshPort();
    const input = 'one\ntwo\n\nlast, with no newline';
    const listener = rawListener(g, port, 4);
    await waitForStderr(listener.proc, 'listening to');
    const sent = await h1.run('sh', ['-c', `printf '%s' '${input}' | ${NODE} ${CLI} send ${g} -p ${port} -i eth0 --stdin`], { env: PLAIN_ENV });
    expectExit(sent, 0);
    expect(sent.stdout.split('\n').slice(0, 4)).toEqual(['sent "one\\n" (4 bytes)', 'sent "two\\n" (4 bytes)', 'sent "\\n" (1 byte)', 'sent "last, with no newline" (21 bytes)']);
    expect(sent.stdout).toMatch(/^sent 4 datagrams \(30 bytes\) to .* on eth0 /m);
    const got = await listener.bytes();
    expect(got.code).toBe(0);
    expect(got.data.toString()).toBe(input);
    // Everything that is not a payload went to stderr: the listening line and the summary.
    expect(got.stderr).toContain(`listening to ${g} port ${port} on eth0`);
    expect(got.stderr).toMatch(/^--- 4 datagrams in \d+\.\d s ---$/m);
  });

  it('binary: --size cuts stdin into datagrams; with --seq, listen --raw counts them and writes the payloads without the header', async () => {
    const g = freshGroup('ipv6');
    const port = freshPort();
    const file = path.join(dir, 'random.bin');
    const data = crypto.randomBytes(40 * 1000 + 123);
    fs.writeFileSync(file, data);
    const listener = rawListener(g, port, 41);
    await waitForStderr(listener.proc, 'listening to');
    const sent = await h1.run('sh', ['-c', `${NODE} ${CLI} send ${g} -p ${port} -i eth0 --stdin --size 1000 --seq --json < ${file}`], { env: PLAIN_ENV });
    expectExit(sent, 0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ type: 'sent', count: 41, bytes: data.length + 41 * 24, seq: true });
    const got = await listener.bytes();
    expect(got.code).toBe(0);
    expect(got.data.equals(data)).toBe(true);
    // The header was read (numbered datagrams: loss is counted) and left out of the payloads.
    expect(got.stderr).toMatch(new RegExp(`^${g}\\s+41\\s+${data.length + 41 * 24}\\s+1\\s+0\\s+0%\\s+0\\s+0$`, 'm'));
  });

  it('--hex: each line of stdin is one datagram in hex', async () => {
    const g = freshGroup();
    const port = freshPort();
    const listener = rawListener(g, port, 2);
    await waitForStderr(listener.proc, 'listening to');
    const sent = await h1.run('sh', ['-c', `printf '00 ff\\n\\nc0ffee\\n' | ${NODE} ${CLI} send ${g} -p ${port} -i eth0 --stdin --hex -q`], { env: PLAIN_ENV });
    expectExit(sent, 0);
    expect(sent.stdout).toMatch(/^sent 2 datagrams \(5 bytes\)/);
    const got = await listener.bytes();
    expect(got.data.toString('hex')).toBe('00ffc0ffee');
  });

  it('a line longer than a datagram fails at once, with what to do', async () => {
    const r = await h1.run('sh', ['-c', `head -c 70000 /dev/zero | tr '\\0' a | ${NODE} ${CLI} send ${freshGroup()} -p ${freshPort()} -i eth0 --stdin`], { env: PLAIN_ENV });
    expectExit(r, 1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: line 1 of stdin is longer than 65507 bytes, more than one datagram carries (cut the input into datagrams with --size instead of lines)\n');
  });

  withSocat('socat on the other end receives what send --stdin sends, line for line', async () => {
    const g = freshGroup();
    const port = freshPort();
    const socat = h2.spawn('socat', ['-u', `UDP4-RECV:${port},ip-add-membership=${g}:eth0,reuseaddr`, 'STDOUT']);
    for (let i = 0; i < 100 && !(await h2.sh('cat /proc/net/igmp')).includes(igmpHex(g)); i++) await sleep(30);
    const sent = await h1.run('sh', ['-c', `printf 'alpha\\nbeta\\ngamma\\n' | ${NODE} ${CLI} send ${g} -p ${port} -i eth0 --stdin -q`], { env: PLAIN_ENV });
    expectExit(sent, 0);
    await socat.waitFor('gamma', 5000);
    const r = await socat.stop();
    expect(r.stdout).toBe('alpha\nbeta\ngamma\n');
  });

  withSocat('listen --raw writes what socat sends from a file, byte for byte', async () => {
    const g = freshGroup();
    const port = freshPort();
    const file = path.join(dir, 'from-socat.bin');
    const data = crypto.randomBytes(5000);
    fs.writeFileSync(file, data);
    const listener = rawListener(g, port, 5);
    await waitForStderr(listener.proc, 'listening to');
    // socat reads the file 1000 bytes at a time (-b) and sends each read as one datagram.
    const r = await h1.run('socat', ['-u', '-b', '1000', `OPEN:${file},rdonly`, `UDP4-DATAGRAM:${g}:${port},ip-multicast-if=10.63.0.1`]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const got = await listener.bytes();
    expect(got.code).toBe(0);
    expect(got.data.equals(data)).toBe(true);
  });

  it('a reader slower than the datagrams: listen stops reading (the kernel drops, counted) instead of holding them in memory', async () => {
    const g = freshGroup();
    const port = freshPort();
    const file = path.join(dir, 'many.bin');
    const datagrams = 8000;
    fs.writeFileSync(file, crypto.randomBytes(datagrams * 200));
    const listener = h2.spawnNode([CLI, 'listen', g, '-p', String(port), '--raw', '--timeout', '6000'], { env: PLAIN_ENV });
    // Nobody reads its stdout: the pipe fills, and then writes wait.
    listener.child.stdout?.pause();
    await waitForStderr(listener, 'listening to');
    expectExit(await h1.run('sh', ['-c', `${NODE} ${CLI} send ${g} -p ${port} -i eth0 --stdin --size 200 -q < ${file}`]), 0);
    // The timeout ends it while stdout is still blocked: the summary still comes, on stderr.
    await waitForStderr(listener, 'datagrams in', 20000);
    listener.child.stdout?.resume();
    const r = await listener.exited;
    expectExit(r, 0);
    const row = new RegExp(`^${g.replace(/\./g, '\\.')}\\s+(\\d+)\\s`, 'm').exec(r.stderr);
    const drops = /the kernel dropped (\d+) datagrams/.exec(r.stderr);
    const received = Number(row?.[1]);
    // Only what the pipe and the stream's buffer hold (about 460 datagrams of 200 bytes) was taken
    // in; the rest waited in the receiver's bounded queue or was dropped by the kernel, which it
    // says. Taken in without waiting for stdout, the datagrams (over 5000 here) pile up in memory.
    expect(received).toBeLessThan(2000);
    expect(Number(drops?.[1])).toBeGreaterThan(0);
  });

  it('send --stdin stops reading on Ctrl-C and still reports what it sent', async () => {
    const g = freshGroup();
    // stdin stays open (the test never ends it): only the signal ends the command.
    const p = h1.spawnNode([CLI, 'send', g, '-p', String(freshPort()), '-i', 'eth0', '--stdin'], { env: PLAIN_ENV });
    p.child.stdin?.write('first\n');
    await p.waitFor('sent "first\\n"');
    const r = await p.stop();
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^sent 1 datagram \(6 bytes\) to /m);
  });
});
