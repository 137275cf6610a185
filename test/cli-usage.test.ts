// The command line's conventions, checked on the built command run as a child process: --help on
// every subcommand, exit 2 and one line for bad usage, and the pure parts of the CLI (the sequence
// header, loss counting, /proc parsers, output helpers). Nothing here touches a network.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { Readable, Writable } from 'node:stream';

import { COMMANDS, main } from '../lib/cli/main';
import { GroupStats, SequenceTracker } from '../lib/cli/group-stats';
import { colourEnabled, payloadForLine, printableText, styleFor } from '../lib/cli/output';
import { SEQ_HEADER_LENGTH, decodeSeq, encodeSeq } from '../lib/cli/seq-header';
import { inPrefix, lookupRoute, pairedCounter, parseIgmp, parseIpv4Routes, parseIpv6Routes } from '../lib/cli/doctor/proc';
import { readIptablesRules, readNftRules } from '../lib/cli/doctor/firewall';
import { rttSummary } from '../lib/cli/commands/ping';
import { type StdinFraming, stdinDatagrams } from '../lib/cli/stdin-datagrams';
import { CLI, cliHere, expectExit } from './cli-helpers';

/** A writable stream that keeps what is written. */
function captureStream(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      stream.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

describe('multicast-expert: usage', () => {
  it('has a shebang and is the package\'s bin, so npm can link it', () => {
    expect(fs.readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { bin: Record<string, string>; version: string };
    expect(path.resolve(__dirname, '..', pkg.bin['multicast-expert'] as string)).toBe(CLI);
    const r = cliHere(['--version']);
    expectExit(r, 0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  // Windows has no executable bit (npm writes a .cmd shim for the bin there).
  (process.platform === 'win32' ? it.skip : it)('is executable (POSIX)', () => {
    expect(fs.statSync(CLI).mode & 0o111).not.toBe(0);
  });

  it('lists every subcommand in its help', () => {
    const r = cliHere(['--help']);
    expectExit(r, 0);
    for (const name of ['interfaces', 'listen', 'send', 'chat', 'ping', 'pong', 'doctor', 'bench']) expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
  });

  it.each(COMMANDS.map((c) => c.spec.name))('%s --help prints its usage and options and exits 0', async (name) => {
    const r = cliHere([name, '--help']);
    expectExit(r, 0);
    expect(r.stdout.startsWith(`Usage: multicast-expert ${name} `)).toBe(true);
    expect(r.stdout).toContain('Options:');
    expect(r.stdout).toContain('-h, --help');
    expect(r.stderr).toBe('');
    // -h and `help <command>` say the same (in-process: no need for more child processes).
    for (const args of [[name, '-h'], ['help', name]]) {
      const out = captureStream();
      const err = captureStream();
      expect(await main(args, { in: Readable.from([]), out, err, env: {}, style: styleFor({}, {}) })).toBe(0);
      expect(out.text).toBe(r.stdout);
      expect(err.text).toBe('');
    }
  });

  const bad: [string[], RegExp][] = [
    [[], /^multicast-expert: no command given; see 'multicast-expert --help'$/],
    [['lisen'], /^multicast-expert: unknown command "lisen" \(did you mean 'listen'\?\)/],
    [['listen'], /^multicast-expert listen: missing argument: <group>\.\.\./],
    [['listen', '239.1.2.3'], /^multicast-expert listen: --port is required/],
    [['listen', '239.1.2.3', '--port'], /^multicast-expert listen: option '-p, --port <value>' argument missing/],
    [['listen', '239.1.2.3', '--port', '70000'], /--port must be an integer from 1 to 65535, got "70000"/],
    [['listen', '239.1.2.3', '-p', '5000', '--bogus'], /^multicast-expert listen: unknown option '--bogus'/],
    [['listen', '239.1.2.3', '-p', '5000', '--source', 'fd00::1'], /--source fd00::1 is ipv6, and no ipv6 group is given/],
    [['listen', '239.1.2.3', '-p', '5000', '--source', 'nope'], /--source "nope" is not an IP address \(a source is the unicast address of a sender\)/],
    [['listen', '239.1.2.3', '-p', '5000', '--raw', '--json'], /--raw writes payloads and --json objects: choose one/],
    [['listen', '239.1.2.3', '-p', '5000', '--raw', '-q'], /--raw writes the payloads that --quiet leaves out/],
    [['send', 'ff15::1%eth0', '-p', '5000'], /carries a zone \(give the address without %zone, and the interface with --iface\)/],
    [['send', '239.1.2.3', '-p', '5000', '--stdin', 'hello'], /give the message as an argument or on stdin \(--stdin\), not both/],
    [['send', '239.1.2.3', '-p', '5000', '--size', '100'], /--size cuts stdin: it needs --stdin/],
    [['send', '239.1.2.3', '-p', '5000', '--stdin', '--size', '70000'], /--size must be an integer from 1 to 65507/],
    [['send', 'ff15::1', '-p', '5000', '--stdin', '--size', '65510', '--seq'], /--size must be an integer from 1 to 65503/],
    [['send', '239.1.2.3', '-p', '5000', '--stdin', '--size', '100', '--hex'], /--size sends bytes as they are/],
    [['listen', '10.1.2.3', '-p', '5000'], /group 10\.1\.2\.3 is not a multicast address \(IPv4 groups are/],
    [['listen', '239.1.2.3', '-p', '5000', '--count', '0'], /--count must be an integer from 1/],
    [['send', '239.1.2.3', '-p', '5000', 'a', 'b'], /unexpected argument "b" \(quote a message that has spaces\)/],
    [['send', '239.1.2.3', '-p', '5000', '--hex', 'xyz'], /--hex needs an even number of hex digits/],
    [['send', 'not-an-ip', '-p', '5000'], /group "not-an-ip" is not an IP address/],
    [['send', '239.1.2.3', '-p', '5000', '--ttl', '256'], /--ttl must be an integer from 0 to 255/],
    [['chat'], /^multicast-expert chat: --machine is required/],
    [['chat', '--machine', '4'], /--machine must be an integer from 1 to 3, got "4"/],
    [['ping', '239.1.2.3'], /--port is required/],
    [['pong', '239.1.2.3', '-p', 'x'], /--port must be an integer/],
    [['doctor', '--group', '1.1.1.1'], /group 1\.1\.1\.1 is not a multicast address/],
    [['doctor', '--ipv6', '--group', '239.1.1.1'], /239\.1\.1\.1 is ipv4, not ipv6/],
    [['doctor', '--source', 'fd00::1'], /--source "fd00::1" is not an ipv4 address/],
    [['interfaces', 'extra'], /unexpected argument "extra"/],
    [['interfaces', '--json=yes'], /option '--json' does not take an argument/],
  ];
  it.each(bad)('%j is bad usage: exit 2, one line on stderr, nothing on stdout', (args, message) => {
    const r = cliHere(args);
    expectExit(r, 2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(lines[0]).toMatch(/; see 'multicast-expert( \w+)? --help'$/);
  });

  it('a failure (not bad usage) exits 1 with one line: error: message (hint), the hint in the command line\'s words', () => {
    // Reading interfaces only: an unknown interface fails before any socket is opened.
    const r = cliHere(['send', '239.1.2.3', '-p', '5000', '-i', 'no-such-iface0']);
    expectExit(r, 1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('error: no interface matches "no-such-iface0" (give --iface a name, index or address; `multicast-expert interfaces` lists them)\n');
  });
});

describe('multicast-expert bench', () => {
  // A copy of the built command in a package without bench/ (an installed package), and one with
  // a stand-in bench/run.js (a clone), to see both paths without running the real benchmark.
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mce-bench-'));
    fs.cpSync(path.join(__dirname, '..', 'dist'), path.join(root, 'dist'), { recursive: true });
    fs.copyFileSync(path.join(__dirname, '..', 'package.json'), path.join(root, 'package.json'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const bin = (): string => path.join(root, 'dist', 'cli', 'bin.js');

  it('says how to run the benchmark where the package has none, and exits 0', () => {
    const copy = spawnSync(process.execPath, [bin(), 'bench'], { encoding: 'utf8' });
    expect(copy.status).toBe(0);
    expect(copy.stdout).toContain('npm run bench');
    expect(copy.stdout).toContain('clone of the repository');
  });

  it("names the repository to clone from package.json's repository field", () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { repository: { url: string } };
    const url = pkg.repository.url.replace(/^git\+/, '');
    const copy = spawnSync(process.execPath, [bin(), 'bench'], { encoding: 'utf8' });
    expect(copy.stdout).toContain(`git clone ${url} && cd ${path.posix.basename(url, '.git')} && npm ci && npm run bench`);
  });

  it('runs bench/run.js with the arguments after -- where it exists', () => {
    fs.mkdirSync(path.join(root, 'bench'), { recursive: true });
    fs.writeFileSync(path.join(root, 'bench', 'run.js'), 'console.log("bench ran", JSON.stringify(process.argv.slice(2)), process.cwd()); process.exitCode = 3;\n');
    const r = spawnSync(process.execPath, [bin(), 'bench', '--', '--quick', 'x'], { encoding: 'utf8', env: { ...process.env, MCE_LAB: '1' } });
    expect(r.stdout).toContain(`bench ran ["--quick","x"] ${fs.realpathSync(root)}`);
    expect(r.status).toBe(3);
  });
});

describe('the sequence header and loss counting', () => {
  it('round-trips and refuses what is not ours', () => {
    const data = encodeSeq({ kind: 'ping', stream: 0xdeadbeef, seq: 7, sentAtUs: 1_700_000_000_000_123n }, Buffer.from('hi'));
    expect(data.length).toBe(SEQ_HEADER_LENGTH + 2);
    expect(data.subarray(0, 4).toString()).toBe('MCEQ');
    const d = decodeSeq(data);
    expect(d?.header).toEqual({ kind: 'ping', stream: 0xdeadbeef, seq: 7, sentAtUs: 1_700_000_000_000_123n });
    expect(d?.message.toString()).toBe('hi');
    expect(decodeSeq(data.subarray(0, 23))).toBeNull();
    expect(decodeSeq(Buffer.from('hello, this is not a header at all'))).toBeNull();
    const badKind = Buffer.from(data);
    badKind[5] = 9;
    expect(decodeSeq(badKind)).toBeNull();
    const longer = Buffer.from(data);
    longer.writeUInt16BE(25, 6); // a longer header of a later version: skipped, not misread
    expect(decodeSeq(longer)?.message.toString()).toBe('i');
  });

  it('counts gaps as loss until the missing numbers arrive late, and duplicates apart', () => {
    const t = new SequenceTracker();
    expect([5, 6, 8, 7, 7, 11].map((s) => t.add(s))).toEqual(['in-order', 'in-order', 'gap', 'reordered', 'duplicate', 'gap']);
    expect({ lost: t.missing, reordered: t.reordered, duplicates: t.duplicates, expected: t.expected }).toEqual({ lost: 2, reordered: 1, duplicates: 1, expected: 7 });
    const g = new GroupStats('239.1.1.1');
    g.add('10.0.0.1', 30, { stream: 1, seq: 1 });
    g.add('10.0.0.1', 30, { stream: 1, seq: 3 });
    g.add('10.0.0.2', 30, { stream: 1, seq: 1 }); // same stream id, other sender: its own stream
    g.add('10.0.0.2', 10);
    expect(g.summary()).toEqual({ group: '239.1.1.1', received: 4, bytes: 100, senders: 2, sequenced: 3, lost: 1, reordered: 0, duplicates: 0, lossPercent: 25 });
  });

  it('summarises round-trip times with a nearest-rank p99', () => {
    expect(rttSummary([])).toBeNull();
    const rtts = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(rttSummary(rtts)).toEqual({ min: 1, avg: 100.5, p99: 198, max: 200 });
  });
});

describe('send --stdin: cutting the input into datagrams', () => {
  async function cut(chunks: (string | Buffer)[], framing: StdinFraming, max = 65507): Promise<string[]> {
    const out: string[] = [];
    for await (const d of stdinDatagrams(Readable.from(chunks.map((c) => Buffer.from(c))), framing, max)) out.push(d.toString('latin1'));
    return out;
  }

  it('lines: one datagram per line with its newline, across chunk boundaries; a last line without one as it is', async () => {
    expect(await cut(['on', 'e\ntw', 'o\n\nla', 'st'], { kind: 'lines' })).toEqual(['one\n', 'two\n', '\n', 'last']);
    expect(await cut(['a\r\n'], { kind: 'lines' })).toEqual(['a\r\n']); // bytes as they are
    expect(await cut([], { kind: 'lines' })).toEqual([]);
  });

  it('size: datagrams of N bytes whatever they hold, the rest last', async () => {
    expect(await cut(['abcd', 'ef\ng', 'hij'], { kind: 'size', size: 3 })).toEqual(['abc', 'def', '\ngh', 'ij']);
    expect(await cut(['abcdef'], { kind: 'size', size: 3 })).toEqual(['abc', 'def']);
  });

  it('hex lines: a datagram per line of hex digits, blanks ignored, empty lines skipped, anything else an error', async () => {
    const hex = async (chunks: string[]): Promise<string[]> => (await cut(chunks, { kind: 'hex-lines' })).map((d) => Buffer.from(d, 'latin1').toString('hex'));
    expect(await hex(['00 f', 'f\n\n  \nC0FFEE'])).toEqual(['00ff', 'c0ffee']);
    await expect(hex(['0g\n'])).rejects.toThrow('line 1 of stdin is not an even number of hex digits: "0g"');
  });

  it('a line longer than a datagram fails as soon as it is that long, not at the end of the input', async () => {
    let pulled = 0;
    // 1 MB without a newline, pulled 1000 bytes at a time.
    async function* endless(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 1000; i++) {
        pulled += 1;
        yield Buffer.alloc(1000, 0x61);
      }
    }
    const read = async (): Promise<void> => {
      for await (const _ of stdinDatagrams(endless(), { kind: 'lines' }, 65507)) throw new Error('no datagram expected');
    };
    await expect(read()).rejects.toThrow('line 1 of stdin is longer than 65507 bytes, more than one datagram carries');
    expect(pulled).toBe(66);
    expect(await cut(['ok\n', 'x'.repeat(10) + '\n'], { kind: 'lines' }, 5).catch((e: Error) => e.message)).toBe('line 2 of stdin is longer than 5 bytes, more than one datagram carries');
  });
});

describe('output helpers', () => {
  it('colours a terminal only, never with NO_COLOR', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });

  it('shows text as quoted text and anything else as hex', () => {
    expect(printableText(Buffer.from('héllo\tworld\n'))).toBe('héllo\tworld\n');
    expect(printableText(Buffer.from([0x68, 0x00]))).toBeNull();
    expect(printableText(Buffer.from([0xff, 0xfe]))).toBeNull();
    expect(payloadForLine(Buffer.from('a "b"\n'))).toBe('"a \\"b\\"\\n"');
    expect(payloadForLine(Buffer.from([0, 1, 255]))).toBe('0x0001ff');
    expect(payloadForLine(Buffer.alloc(100, 0x61), 20)).toBe(`"${'a'.repeat(18)}…" (100 bytes)`);
  });
});

describe('doctor: reading /proc and firewall rules', () => {
  it('parses /proc/net/route (this machine byte order) and looks routes up by longest prefix', () => {
    const hex = (ip: string): string => {
      const b = Buffer.from(ip.split('.').map(Number));
      return (os.endianness() === 'LE' ? b.readUInt32LE(0) : b.readUInt32BE(0)).toString(16).toUpperCase().padStart(8, '0');
    };
    const text = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      `eth0\t${hex('0.0.0.0')}\t${hex('10.1.0.254')}\t0003\t0\t0\t100\t${hex('0.0.0.0')}\t0\t0\t0`,
      `eth0\t${hex('10.1.0.0')}\t${hex('0.0.0.0')}\t0001\t0\t0\t0\t${hex('255.255.255.0')}\t0\t0\t0`,
      `eth1\t${hex('224.0.0.0')}\t${hex('0.0.0.0')}\t0001\t0\t0\t0\t${hex('240.0.0.0')}\t0\t0\t0`,
      `eth1\t${hex('10.9.0.0')}\t${hex('0.0.0.0')}\t0201\t0\t0\t0\t${hex('255.255.0.0')}\t0\t0\t0`,
    ].join('\n');
    const routes = parseIpv4Routes(text);
    expect(routes).toHaveLength(3); // the reject route is left out
    expect(lookupRoute(routes, '239.1.2.3')).toMatchObject({ dev: 'eth1', destination: '224.0.0.0', prefixLength: 4 });
    expect(lookupRoute(routes, '10.1.0.7')).toMatchObject({ dev: 'eth0', prefixLength: 24 });
    expect(lookupRoute(routes, '10.9.0.1')).toMatchObject({ dev: 'eth0', prefixLength: 0, gateway: '10.1.0.254' });
    expect(lookupRoute(routes, '10.9.0.1', 'eth1')).toBeNull();
  });

  it('parses /proc/net/ipv6_route, leaving reject routes out', () => {
    const text = [
      '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo',
      'ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000400 00000002 00000000 80000001       lo',
      'fd090000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001       v0',
    ].join('\n');
    const routes = parseIpv6Routes(text);
    expect(routes.map((r) => `${r.destination}/${r.prefixLength} ${r.dev} ${r.metric}`)).toEqual(['ff00::/8 lo 1024', 'fd09::/64 v0 256']);
    expect(lookupRoute(routes, 'ff15::1', 'lo')?.destination).toBe('ff00::');
    expect(lookupRoute(routes, 'fd09::1:2')?.dev).toBe('v0');
    expect(lookupRoute(routes, '2001:db8::1')).toBeNull();
    expect(inPrefix('::ffff:10.0.0.1', '::ffff:10.0.0.0', 120)).toBe(true);
  });

  it('reads the IGMP version per interface and counters from /proc/net files', () => {
    const igmp = parseIgmp(['Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter', '1\tlo        :     1      V3', '\t\t\t\t010000E0     1 0:00000000\t\t0', '3\teth0      :     2      V2', '\t\t\t\t010000E0     1 0:00000000\t\t0'].join('\n'));
    expect(igmp.get('eth0')?.querier).toBe('V2');
    expect(igmp.get('lo')).toMatchObject({ index: 1, querier: 'V3' });
    expect(igmp.get('lo')?.groups).toEqual([os.endianness() === 'LE' ? '224.0.0.1' : '1.0.0.224']);
    expect(pairedCounter('Udp: InDatagrams RcvbufErrors\nUdp: 10 4\n', 'Udp', 'RcvbufErrors')).toBe(4);
    expect(pairedCounter('Udp: InDatagrams\nUdp: 10\n', 'Udp', 'RcvbufErrors')).toBeNull();
  });

  it('finds rules that drop IGMP or the port, and input chains that drop them by default', () => {
    const nft = `table inet filter {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		udp dport { 5000, 6000-6010 } drop
	}
	chain other {
		ip protocol igmp drop
	}
}`;
    const found = readNftRules(nft, 'ipv4', 6005);
    expect(found.filter((f) => f.severity === 'problem').map((f) => f.message)).toEqual([
      'nftables chain input drops udp port 6005: "udp dport { 5000, 6000-6010 } drop"',
      'nftables chain other drops IGMP: "ip protocol igmp drop"',
    ]);
    expect(found.filter((f) => f.severity === 'warning').map((f) => f.message.slice(0, 60))).toHaveLength(2);
    expect(readNftRules(nft.replace('policy drop', 'policy accept').replace('udp dport { 5000, 6000-6010 } drop', ''), 'ipv4', 7000).filter((f) => f.severity === 'problem')).toHaveLength(1);
    const ipt = ['-P INPUT DROP', '-A INPUT -p igmp -j ACCEPT', '-A INPUT -p udp -m udp --dport 5000 -j DROP'].join('\n');
    expect(readIptablesRules(ipt, 'ipv4', 5000).map((f) => [f.severity, f.fix])).toEqual([
      ['problem', 'iptables -D INPUT -p udp -m udp --dport 5000 -j DROP'],
      ['warning', 'iptables -I INPUT -p udp --dport 5000 -j ACCEPT'],
    ]);
  });
});
