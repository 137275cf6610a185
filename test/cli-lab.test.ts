// The multicast-expert command between lab hosts: interfaces, listen and send (text and --json,
// loss, reordering and duplicates from the sequence header), ping and pong, the three-machine chat,
// and colour only on a terminal. Every command runs as a child process on a lab host.
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { DIST, type Host, Lab, type Lan } from '../lab/lab';
import { CHAT_GROUPS } from '../lib/cli/commands/chat';
import { describeLab, freshGroup, freshPort } from './helpers';
import { cli, expectExit, jsonLines, spawnCli } from './cli-helpers';

const SEQ_HEADER_JS = path.join(DIST, 'cli', 'seq-header.js');

describeLab('multicast-expert between lab hosts', () => {
  let lab: Lab;
  let lan: Lan;
  let h1: Host;
  let h2: Host;
  let h3: Host;

  beforeAll(async () => {
    lab = await Lab.create();
    lan = await lab.lan('cli');
    h1 = await lab.host('h1');
    h2 = await lab.host('h2');
    h3 = await lab.host('h3');
    await lab.connect(h1, lan, { ipv4: '10.61.0.1/24', ipv6: 'fd61::1/64' });
    await lab.connect(h2, lan, { ipv4: '10.61.0.2/24', ipv6: 'fd61::2/64' });
    await lab.connect(h3, lan, { ipv4: '10.61.0.3/24', ipv6: 'fd61::3/64' });
  });
  afterAll(() => lab?.close());

  describe('interfaces', () => {
    let host: Host;
    beforeAll(async () => {
      host = await lab.host('ifs');
      await lab.connect(host, lan, { ipv4: '10.61.0.9/24', ipv6: 'fd61::9/64' });
      await lab.connect(host, lan, { up: false }); // eth1, down
      await host.ip('route', 'add', 'default', 'via', '10.61.0.254', 'dev', 'eth0');
    });

    it('prints a table of the interfaces that are up, with flags, addresses and the default route', async () => {
      const r = await cli(host, ['interfaces']);
      expectExit(r, 0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^INDEX\s+NAME\s+FLAGS\s+MTU\s+DEFAULT\s+ADDRESSES$/);
      const eth0 = lines.find((l) => / eth0 /.test(l)) ?? '';
      expect(eth0).toMatch(/^\s*\d+\s+eth0\s+up,running,multicast\s+1500\s+ipv4\s+10\.61\.0\.9\/24$/);
      // Further addresses on their own lines, aligned under ADDRESSES.
      const column = (lines[0] as string).indexOf('ADDRESSES');
      const v6 = lines.find((l) => l.includes('fd61::9/64')) ?? '';
      expect(v6.indexOf('fd61::9/64')).toBe(column);
      expect(v6.slice(0, column).trim()).toBe('');
      expect(r.stdout).toMatch(/^\s*1\s+lo\s+up,running,loopback\s+65536\s+-\s+127\.0\.0\.1\/8$/m);
      expect(r.stdout).not.toContain('eth1');
      const all = await cli(host, ['interfaces', '--all']);
      expect(all.stdout).toMatch(/^\s*\d+\s+eth1\s+down,multicast\s+1500\s+-\s+\(no address\)$/m);
    });

    it('--json gives every interface (with --all) as IfaceInfo plus the default-route family', async () => {
      const r = await cli(host, ['interfaces', '--all', '--json']);
      expectExit(r, 0);
      const out = JSON.parse(r.stdout) as { defaultIpv4: string | null; defaultIpv6: string | null; interfaces: Array<{ name: string; index: number; up: boolean; ipv4: { address: string }[]; defaultRoute: string[] }> };
      const links = await host.links();
      expect(out.interfaces.map((i) => [i.name, i.index]).sort()).toEqual(links.map((l) => [l.ifname, l.ifindex]).sort());
      expect(out.defaultIpv4).toBe('eth0');
      expect(out.defaultIpv6).toBeNull();
      const eth0 = out.interfaces.find((i) => i.name === 'eth0');
      expect(eth0).toMatchObject({ up: true, ipv4: [{ address: '10.61.0.9', prefixLength: 24 }], defaultRoute: ['ipv4'] });
      expect(out.interfaces.find((i) => i.name === 'eth1')).toMatchObject({ up: false, defaultRoute: [] });
    });

    it('colours a terminal, and not with NO_COLOR or into a pipe', async () => {
      const cmd = `${process.execPath} ${path.join(DIST, 'cli', 'bin.js')} interfaces`;
      // script(1) gives the command a pseudo-terminal.
      const tty = await host.run('script', ['-qec', cmd, '/dev/null'], { env: { NO_COLOR: '', FORCE_COLOR: '' } });
      expect(tty.code).toBe(0);
      expect(tty.stdout).toContain('\u001b[1mINDEX\u001b[0m');
      const noColor = await host.run('script', ['-qec', cmd, '/dev/null'], { env: { NO_COLOR: '1', FORCE_COLOR: '' } });
      expect(noColor.stdout).toContain('INDEX');
      expect(noColor.stdout).not.toContain('\u001b[');
      const piped = await cli(host, ['interfaces']);
      expect(piped.stdout).not.toContain('\u001b[');
    });
  });

  describe('send and listen', () => {
    it('prints each datagram with time, sender, group, interface, number and payload, then a summary per group', async () => {
      const [g1, g2] = [freshGroup(), freshGroup()];
      const port = freshPort();
      const listen = spawnCli(h2, ['listen', g1, g2, '-p', String(port), '--count', '5', '--timeout', '15000']);
      await listen.waitFor('listening to');
      const seq = await cli(h1, ['send', g1, '-p', String(port), '-i', 'eth0', '--seq', '-c', '3', '--interval', '20', 'hello there']);
      expectExit(seq, 0);
      expect(seq.stdout.split('\n').slice(0, 3)).toEqual(['sent #1 "hello there" (35 bytes)', 'sent #2 "hello there" (35 bytes)', 'sent #3 "hello there" (35 bytes)']);
      expect(seq.stdout).toMatch(new RegExp(`^sent 3 datagrams \\(105 bytes\\) to ${g1.replace(/\./g, '\\.')}:${port} on eth0 from port \\d+, ttl 1$`, 'm'));
      expectExit(await cli(h1, ['send', g2, '-p', String(port), '-i', 'eth0']), 0);
      expectExit(await cli(h1, ['send', g2, '-p', String(port), '-i', '10.61.0.1', '--hex', '00ff 10']), 0);
      const r = await listen.exited;
      expectExit(r, 0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`listening to ${g1}, ${g2} port ${port} on eth0`);
      const datagram = (group: string, rest: string): RegExp => new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  10\\.61\\.0\\.1:\\d+\\s+${group.replace(/\./g, '\\.')}  eth0  ${rest}$`);
      expect(lines[1]).toMatch(datagram(g1, '#1  "hello there"'));
      expect(lines[2]).toMatch(datagram(g1, '#2  "hello there"'));
      expect(lines[3]).toMatch(datagram(g1, '#3  "hello there"'));
      const hello = `hello from ${os.hostname()}`;
      expect(lines[4]).toMatch(datagram(g2, `\\s+"${hello.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
      expect(lines[5]).toMatch(datagram(g2, '\\s+0x00ff10'));
      // Columns line up: the group starts at the same place on every line.
      expect(new Set(lines.slice(1, 6).map((l) => l.indexOf('239.'))).size).toBe(1);
      expect(lines[6]).toMatch(/^--- 5 datagrams in \d+\.\d s ---$/);
      expect(lines[7]).toMatch(/^GROUP\s+RECEIVED\s+BYTES\s+SENDERS\s+LOST\s+LOSS\s+REORDERED\s+DUPLICATES$/);
      expect(lines[8]).toMatch(new RegExp(`^${g1.replace(/\./g, '\\.')}\\s+3\\s+105\\s+1\\s+0\\s+0%\\s+0\\s+0$`));
      expect(lines[9]).toMatch(new RegExp(`^${g2.replace(/\./g, '\\.')}\\s+2\\s+${hello.length + 3}\\s+1\\s+-\\s+-\\s+-\\s+-$`));
    });

    it('--json: one object per datagram with the sequence verdict, and a summary with loss, reordering and duplicates', async () => {
      const g = freshGroup();
      const port = freshPort();
      const listen = spawnCli(h2, ['listen', g, '-p', String(port), '--json', '--count', '6', '--timeout', '15000']);
      await listen.waitFor('"listening"');
      // One sending run whose datagrams arrive as 1, 2, 4, 3, 3, 7: 3 late, 3 twice, 5 and 6 lost.
      const sent = await h1.eval(`
        const { encodeSeq } = require(${JSON.stringify(SEQ_HEADER_JS)});
        (async () => {
          const tx = new mce.McastTxSocket({ iface: 'eth0' });
          for (const seq of [1, 2, 4, 3, 3, 7]) await tx.send(encodeSeq({ kind: 'data', stream: 77, seq, sentAtUs: 1n }, Buffer.from('n' + seq)), '${g}', ${port});
          tx.close();
        })();`);
      expectExit(sent, 0);
      const r = await listen.exited;
      expectExit(r, 0);
      const out = jsonLines(r.stdout);
      expect(out[0]).toEqual({ type: 'listening', groups: [g], port, families: ['ipv4'], ifaces: ['eth0'], sources: [] });
      const datagrams = out.filter((o) => o.type === 'datagram');
      expect(datagrams.map((d) => [(d.seq as { seq: number }).seq, (d.seq as { order: string }).order, d.text])).toEqual([
        [1, 'in-order', 'n1'],
        [2, 'in-order', 'n2'],
        [4, 'gap', 'n4'],
        [3, 'reordered', 'n3'],
        [3, 'duplicate', 'n3'],
        [7, 'gap', 'n7'],
      ]);
      expect(datagrams[0]).toMatchObject({ source: '10.61.0.1', group: g, port, iface: 'eth0', size: 26, truncated: false, hex: Buffer.from('n1').toString('hex'), seq: { kind: 'data', stream: 77, sentAtUs: 1 } });
      expect(Number.isNaN(Date.parse(datagrams[0]?.time as string))).toBe(false);
      const summary = out[out.length - 1];
      expect(summary).toMatchObject({ type: 'summary', reason: 'done', received: 6, kernelDrops: 0, truncated: 0 });
      expect(summary?.groups).toEqual([{ group: g, received: 6, bytes: 156, senders: 1, sequenced: 6, lost: 2, reordered: 1, duplicates: 1, lossPercent: 28.57 }]);
    });

    it('IPv6: send --json and listen on a given interface', async () => {
      // Spelled the long way on purpose: the command reports it the way the library does.
      const given = freshGroup('ipv6').replace(/^ff15::/, 'FF15:0:0::');
      const g = new net.SocketAddress({ address: given, family: 'ipv6' }).address;
      expect(g).not.toBe(given);
      const port = freshPort();
      const listen = spawnCli(h3, ['listen', given, '-p', String(port), '-i', 'eth0', '--json', '--count', '2', '--timeout', '15000']);
      await listen.waitFor('"listening"');
      const sent = await cli(h1, ['send', given, '-p', String(port), '-i', 'eth0', '--seq', '-c', '2', '--interval', '10', '--json', 'six']);
      expectExit(sent, 0);
      const report = JSON.parse(sent.stdout) as Record<string, unknown>;
      expect(report).toMatchObject({ type: 'sent', group: g, port, iface: 'eth0', ttl: 1, count: 2, bytes: 54, seq: true });
      const r = await listen.exited;
      expectExit(r, 0);
      const datagrams = jsonLines(r.stdout).filter((o) => o.type === 'datagram');
      expect(datagrams.map((d) => [d.group, d.iface, d.text, (d.seq as { stream: number }).stream])).toEqual([
        [g, 'eth0', 'six', report.stream],
        [g, 'eth0', 'six', report.stream],
      ]);
      expect(String(datagrams[0]?.source)).toMatch(/^(fd61::1|fe80::)/);
    });

    it('--source: source-specific, only the named sender gets through', async () => {
      const g = `232.61.${(process.pid >> 8) & 255}.${process.pid & 255}`;
      const port = String(freshPort());
      const listen = spawnCli(h2, ['listen', g, '-p', port, '--source', '10.61.0.3', '--json', '--count', '1', '--timeout', '15000']);
      await listen.waitFor('"listening"');
      expectExit(await cli(h1, ['send', g, '-p', port, '-i', 'eth0', 'from h1']), 0);
      expectExit(await cli(h3, ['send', g, '-p', port, '-i', 'eth0', 'from h3']), 0);
      const r = await listen.exited;
      expectExit(r, 0);
      const out = jsonLines(r.stdout);
      expect(out[0]).toMatchObject({ type: 'listening', sources: ['10.61.0.3'] });
      expect(out.filter((o) => o.type === 'datagram').map((o) => [o.source, o.text])).toEqual([['10.61.0.3', 'from h3']]);
    });

    it('exits 1 when --count datagrams did not arrive within --timeout, after the summary', async () => {
      const g = freshGroup();
      const r = await cli(h2, ['listen', g, '-p', String(freshPort()), '--count', '1', '--timeout', '300']);
      expectExit(r, 1);
      expect(r.stdout).toMatch(/^--- 0 datagrams in 0\.\d s ---$/m);
      expect(r.stderr).toBe('error: received 0 of 1 datagrams within 300 ms\n');
    });

    it('prints the summary and exits 0 when stopped by a signal', async () => {
      const g = freshGroup();
      const port = freshPort();
      const listen = spawnCli(h2, ['listen', g, '-p', String(port)]);
      await listen.waitFor('listening to');
      expectExit(await cli(h1, ['send', g, '-p', String(port), '-i', 'eth0', '-q', 'bye']), 0);
      await listen.waitFor('"bye"');
      const r = await listen.stop();
      expectExit(r, 0);
      expect(r.stdout).toMatch(new RegExp(`^${g.replace(/\./g, '\\.')}\\s+1\\s+3\\s+1\\s+-`, 'm'));
    });

    it('fails with one line when the interface cannot be used', async () => {
      const r = await cli(h2, ['listen', freshGroup(), '-p', String(freshPort()), '-i', 'nope0']);
      expectExit(r, 1);
      expect(r.stderr).toBe('error: no interface matches "nope0" (give --iface a name, index or address; `multicast-expert interfaces` lists them)\n');
    });

    it('IPv4 and IPv6 groups together: one command, each datagram with its group, one summary', async () => {
      const g4 = freshGroup();
      const g6 = freshGroup('ipv6');
      const port = freshPort();
      const listen = spawnCli(h2, ['listen', g4, g6, '-p', String(port), '--count', '2', '--timeout', '15000']);
      await listen.waitFor('listening to');
      expectExit(await cli(h1, ['send', g4, '-p', String(port), '-i', 'eth0', 'four']), 0);
      expectExit(await cli(h1, ['send', g6, '-p', String(port), '-i', 'eth0', 'six']), 0);
      const r = await listen.exited;
      expectExit(r, 0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`listening to ${g4}, ${g6} port ${port} on eth0`);
      expect(lines[1]).toMatch(new RegExp(` 10\\.61\\.0\\.1:\\d+\\s+${g4.replace(/\./g, '\\.')}\\s+eth0\\s+"four"$`));
      expect(lines[2]).toMatch(new RegExp(` \\[(fd61::1|fe80::[0-9a-f:]+)\\]:\\d+\\s+${g6}\\s+eth0\\s+"six"$`));
      expect(r.stdout).toMatch(new RegExp(`^${g4.replace(/\./g, '\\.')}\\s+1\\s+4\\s+1\\s+-`, 'm'));
      expect(r.stdout).toMatch(new RegExp(`^${g6}\\s+1\\s+3\\s+1\\s+-`, 'm'));

      // --json names both families; --source needs a sender of each family.
      const both = spawnCli(h3, ['listen', g4, g6, '-p', String(port), '--json', '--count', '1', '--timeout', '15000']);
      await both.waitFor('"listening"');
      expectExit(await cli(h1, ['send', g6, '-p', String(port), '-i', 'eth0', 'six']), 0);
      const out = jsonLines((await both.exited).stdout);
      expect(out[0]).toMatchObject({ type: 'listening', groups: [g4, g6], families: ['ipv4', 'ipv6'] });
      expect(out.find((o) => o.type === 'datagram')).toMatchObject({ group: g6, text: 'six' });
      const oneSided = await cli(h2, ['listen', g4, g6, '-p', String(port), '--source', '10.61.0.1']);
      expectExit(oneSided, 2);
      expect(oneSided.stderr).toMatch(/--source names no ipv6 sender for ff15::/);
    });
  });

  describe('ping and pong', () => {
    it('every pong answers every ping; ping prints each reply and per-responder loss and rtt', async () => {
      const g = freshGroup();
      const port = String(freshPort());
      const pong2 = spawnCli(h2, ['pong', g, '-p', port]);
      const pong3 = spawnCli(h3, ['pong', g, '-p', port, '--count', '3', '--json']);
      await pong2.waitFor('answering pings');
      await pong3.waitFor('"pong"');
      const r = await cli(h1, ['ping', g, '-p', port, '-i', 'eth0', '-c', '3', '--interval', '50', '--wait', '5000']);
      expectExit(r, 0);
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toBe(`PING ${g}:${port} on eth0, ttl 1, listening on eth0`);
      const replies = lines.filter((l) => l.startsWith('reply from'));
      expect(replies).toHaveLength(6);
      for (const l of replies) expect(l).toMatch(/^reply from 10\.61\.0\.[23]:\d+ on eth0: #[123] time=\d+(\.\d+)? ms$/);
      expect(lines).toContain(`--- ${g} multicast ping: 3 sent, 3 answered, 0% loss, 2 responders ---`);
      expect(lines.find((l) => l.startsWith('RESPONDER'))).toMatch(/^RESPONDER\s+REPLIES\s+LOSS\s+MIN ms\s+AVG ms\s+P99 ms\s+MAX ms$/);
      for (const who of ['10.61.0.2:', '10.61.0.3:']) expect(lines.find((l) => l.startsWith(who))).toMatch(/^10\.61\.0\.[23]:\d+\s+3\s+0%(\s+\d+(\.\d+)?){4}$/);
      // pong --count 3 stops by itself after its third answer.
      const p3 = await pong3.exited;
      expectExit(p3, 0);
      expect(jsonLines(p3.stdout).filter((o) => o.type === 'answer')).toEqual([1, 2, 3].map((seq) => ({ type: 'answer', to: '10.61.0.1', iface: 'eth0', seq })));
      const p2 = await pong2.stop();
      expect(p2.stdout).toMatch(/^pong to 10\.61\.0\.1 on eth0: #3$/m);
      expect(p2.stdout).toMatch(/^answered 3 pings$/m);
    });

    it('--json: replies and a summary with min <= avg <= p99 <= max; exit 1 and one line when nobody answers', async () => {
      const g = freshGroup();
      const port = String(freshPort());
      const pong = spawnCli(h2, ['pong', g, '-p', port, '-q']);
      await pong.waitFor('answering pings');
      const r = await cli(h1, ['ping', g, '-p', port, '-c', '4', '--interval', '20', '--json', '-i', 'eth0', '--wait', '5000']);
      expectExit(r, 0);
      await pong.stop();
      const out = jsonLines(r.stdout);
      expect(out[0]).toEqual({ type: 'ping', group: g, port: Number(port), iface: 'eth0', ttl: 1, count: 4, interval: 20 });
      expect(out.filter((o) => o.type === 'reply').map((o) => o.seq)).toEqual([1, 2, 3, 4]);
      const summary = out[out.length - 1] as { sent: number; answered: number; lossPercent: number; responders: { address: string; port: number; replies: number; rttMs: { min: number; avg: number; p99: number; max: number } }[] };
      expect(summary).toMatchObject({ type: 'summary', sent: 4, answered: 4, lossPercent: 0 });
      expect(summary.responders).toHaveLength(1);
      const replyPorts = new Set(out.filter((o) => o.type === 'reply').map((o) => o.fromPort));
      expect([...replyPorts]).toEqual([summary.responders[0]?.port]);
      expect(summary.responders[0]).toMatchObject({ address: '10.61.0.2', replies: 4 });
      const { min, avg, p99, max } = summary.responders[0]?.rttMs ?? { min: -1, avg: -1, p99: -1, max: -1 };
      expect(min).toBeGreaterThan(0);
      expect(min).toBeLessThanOrEqual(avg);
      expect(avg).toBeLessThanOrEqual(p99);
      expect(p99).toBeLessThanOrEqual(max);

      const lonely = await cli(h1, ['ping', freshGroup(), '-p', port, '-c', '2', '--interval', '10', '--wait', '200', '-i', 'eth0']);
      expectExit(lonely, 1);
      expect(lonely.stdout).toContain('2 sent, 0 answered, 100% loss, 0 responders');
      expect(lonely.stderr.split('\n').filter((l) => l)).toEqual([expect.stringMatching(/^error: no reply to 2 pings \(is `multicast-expert pong .* running on another host\?/)]);
    });

    it('two pongs on one host are two responders (address and port)', async () => {
      const g = freshGroup();
      const port = String(freshPort());
      const first = spawnCli(h2, ['pong', g, '-p', port, '-q']);
      const second = spawnCli(h2, ['pong', g, '-p', port, '-q']);
      await first.waitFor('answering pings');
      await second.waitFor('answering pings');
      const r = await cli(h1, ['ping', g, '-p', port, '-c', '3', '--interval', '20', '-i', 'eth0', '--wait', '5000', '--json']);
      await Promise.all([first.stop(), second.stop()]);
      expectExit(r, 0);
      const summary = jsonLines(r.stdout).find((o) => o.type === 'summary') as { answered: number; responders: { address: string; port: number; replies: number }[] };
      expect(summary.answered).toBe(3);
      expect(summary.responders.map((x) => [x.address, x.replies])).toEqual([
        ['10.61.0.2', 3],
        ['10.61.0.2', 3],
      ]);
      expect(new Set(summary.responders.map((x) => x.port)).size).toBe(2);
    });
  });

  describe('chat', () => {
    it('three machines: each hears group 0 from the others and only its neighbour group, with group and interface', async () => {
      // Eight rounds over 1.4 s: enough overlap even when the three processes start far apart under load.
      const args = (n: number): string[] => ['chat', '--machine', String(n), '--count', '8', '--interval', '200', '-i', 'eth0'];
      const runs = [cli(h1, args(1)), cli(h2, [...args(2), '--json']), cli(h3, [...args(3), '--json'])];
      const [r1, r2, r3] = await Promise.all(runs);
      for (const r of [r1, r2, r3]) expectExit(r!, 0);
      const g = CHAT_GROUPS.ipv4;
      // Text: machine 1 listens to group 0 and group 2.
      const lines1 = r1!.stdout.trimEnd().split('\n');
      expect(lines1[0]).toBe(`machine 1: listening to ${g[0]} and ${g[2]} on eth0; sending to ${g[0]} and ${g[1]} on eth0`);
      const got1 = lines1.slice(1);
      expect(got1.length).toBeGreaterThan(0);
      for (const l of got1) expect(l).toMatch(/^machine 1 got "machine [23] to (everyone|group 2) #\d" from 10\.61\.0\.[23], sent to 239\.255\.77\.[02], arrived on eth0$/);
      expect(got1.some((l) => l.includes('"machine 2 to group 2'))).toBe(true);
      expect(got1.some((l) => l.includes('"machine 3 to everyone'))).toBe(true);
      // JSON: machine 2 hears groups 0 and 3, machine 3 groups 0 and 1; never their own or another group.
      for (const [n, r] of [[2, r2], [3, r3]] as const) {
        const out = jsonLines(r!.stdout);
        expect(out[0]).toMatchObject({ type: 'chat', machine: n, port: 45454, listenTo: [g[0], g[(n % 3) + 1]], sendTo: [g[0], g[n]], ifaces: ['eth0'], txIface: 'eth0' });
        const datagrams = out.filter((o) => o.type === 'datagram');
        const neighbour = (n % 3) + 1;
        for (const d of datagrams) {
          expect([g[0], g[neighbour]]).toContain(d.group);
          expect(d.iface).toBe('eth0');
          expect(d.from).not.toBe(`10.61.0.${n}`);
          if (d.group === g[neighbour]) expect(d.text).toMatch(new RegExp(`^machine ${neighbour} to group ${neighbour} #`));
        }
        expect(datagrams.some((d) => d.group === g[neighbour])).toBe(true);
        expect(new Set(datagrams.filter((d) => d.group === g[0]).map((d) => d.from)).size).toBe(2);
        expect(out[out.length - 1]).toEqual({ type: 'done', machine: n, received: datagrams.length });
      }
    });
  });
});

describeLab('multicast-expert listen and interface changes', () => {
  let lab: Lab;
  afterAll(() => lab?.close());

  it('prints interface changes as they happen, and the receiver rejoining', async () => {
    lab = await Lab.create();
    const lan = await lab.lan('flap');
    const rxHost = await lab.host('rx');
    const txHost = await lab.host('tx');
    await lab.connect(rxHost, lan, { ipv4: '10.62.0.2/24' });
    await lab.connect(txHost, lan, { ipv4: '10.62.0.1/24' });
    const listener = spawnCli(rxHost, ['listen', '239.62.0.1', '--port', '6200', '--json', '--timeout', '20000']);
    await listener.waitFor('"listening"', 10000);
    await rxHost.ip('link', 'set', 'eth0', 'down');
    await listener.waitFor(/"type":"iface-lost"/, 5000);
    await rxHost.ip('link', 'set', 'eth0', 'up');
    await listener.waitFor(/"type":"iface-joined"/, 5000);
    // The first datagrams after a link comes up may be lost while Linux activates it: resend.
    for (let i = 0; i < 50 && !listener.stdout.includes('"type":"datagram"'); i++) {
      await cli(txHost, ['send', '239.62.0.1', '--port', '6200', '--iface', 'eth0', 'after the flap']);
      await new Promise((r) => setTimeout(r, 100));
    }
    await listener.waitFor(/"type":"datagram"/, 5000);
    const result = await listener.stop();
    const events = jsonLines(result.stdout);
    const changes = events.filter((e) => e.type === 'iface').map((e) => `${e.iface} ${e.change}`);
    expect(changes).toEqual(expect.arrayContaining(['eth0 down', 'eth0 up']));
    expect(events.find((e) => e.type === 'iface-lost')).toMatchObject({ iface: 'eth0', why: 'down' });
    expect(events.find((e) => e.type === 'iface-joined')).toMatchObject({ iface: 'eth0', why: 'up' });
    expect(events.find((e) => e.type === 'datagram')).toMatchObject({ group: '239.62.0.1', iface: 'eth0', text: 'after the flap' });
  });
});

describeLab('multicast-expert listen --quiet and interface changes', () => {
  let lab: Lab;
  afterAll(() => lab?.close());

  it('--quiet leaves out the datagrams, not the interface changes that explain a silence', async () => {
    lab = await Lab.create();
    const lan = await lab.lan('quiet');
    const rxHost = await lab.host('rx');
    const txHost = await lab.host('tx');
    await lab.connect(rxHost, lan, { ipv4: '10.64.0.2/24' });
    await lab.connect(txHost, lan, { ipv4: '10.64.0.1/24' });
    const listener = spawnCli(rxHost, ['listen', '239.64.0.1', '--port', '6400', '-q', '--timeout', '20000']);
    await listener.waitFor('listening to', 10000);
    expectExit(await cli(txHost, ['send', '239.64.0.1', '--port', '6400', '--iface', 'eth0', 'before']), 0);
    await rxHost.ip('link', 'set', 'eth0', 'down');
    await listener.waitFor(/ lost eth0 \(down\): its groups wait for it to come back$/, 5000);
    await rxHost.ip('link', 'set', 'eth0', 'up');
    await listener.waitFor(/ joined 239\.64\.0\.1 on eth0 \(up\)$/, 5000);
    const r = await listener.stop();
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} interface eth0 \(\d+\): down$/m);
    expect(r.stdout).toMatch(/^\d\d:\d\d:\d\d\.\d{3} interface eth0 \(\d+\): up$/m);
    // The datagram that arrived is in the summary, not on a line of its own.
    expect(r.stdout).not.toContain('"before"');
    expect(r.stdout).toMatch(/^239\.64\.0\.1\s+1\s+6\s+1\s+-/m);
  });
});

describeLab('multicast-expert errors, worded for the command line', () => {
  let lab: Lab;
  let host: Host;
  let lonely: Host;
  // What the library's hints say to programs; the command's hints never say it.
  const LIBRARY_WORDS = /iface option|ifaces? explicitly|interface explicitly|scanInterfaces|options\.ifaces|the groups option/;

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('hints');
    host = await lab.host('hints');
    lonely = await lab.host('lonely'); // nothing but lo
    await lab.connect(host, lan, { ipv4: ['10.65.0.1/24', '10.65.9.9/24'], ipv6: 'fd65::1/64' }); // eth0, no default route
    await lab.connect(host, lan, { ipv4: '10.65.9.9/24' }); // eth1 shares 10.65.9.9 with eth0
    await host.sysctl('net.ipv6.conf.eth1.disable_ipv6', 1);
  });
  afterAll(() => lab?.close());

  /** Runs the command, expects exit 1 and one line `error: <message> (<hint>)`, and returns [message, hint]. */
  async function failure(on: Host, args: string[]): Promise<[string, string]> {
    const r = await cli(on, args);
    expectExit(r, 1);
    expect(r.stdout).toBe('');
    const m = /^error: (.*) \((.*)\)\n$/.exec(r.stderr);
    if (m === null) throw new Error(`not one line with a hint: ${JSON.stringify(r.stderr)}`);
    expect(r.stderr).not.toMatch(LIBRARY_WORDS);
    return [m[1] as string, m[2] as string];
  }

  it('no interface given and no default route: pass --iface', async () => {
    const [message, hint] = await failure(host, ['send', freshGroup(), '-p', '5000']);
    expect(message).toBe('no iface was given and this machine has no ipv4 default route');
    expect(hint).toBe('pass --iface with a name such as eth0, an index or an address; `multicast-expert interfaces` lists them');
  });

  it('nothing to listen on: --iface lo', async () => {
    const [, hint] = await failure(lonely, ['listen', freshGroup(), '-p', '5000']);
    expect(hint).toBe('pass --iface, or --iface lo for this host only; `multicast-expert interfaces` lists them');
  });

  it('an interface that does not exist, and an address label', async () => {
    expect((await failure(host, ['send', freshGroup(), '-p', '5000', '-i', 'nope0']))[1]).toBe('give --iface a name, index or address; `multicast-expert interfaces` lists them');
    expect(await failure(host, ['listen', freshGroup(), '-p', '5000', '-i', 'eth0:1'])).toEqual([
      'no interface matches "eth0:1"',
      'eth0:1 is an address label of eth0, not an interface: give --iface eth0, or the labelled address',
    ]);
  });

  it('an address two interfaces share, and an interface without an address of the family', async () => {
    expect((await failure(host, ['send', freshGroup(), '-p', '5000', '-i', '10.65.9.9']))[1]).toBe('give --iface by name or index instead; `multicast-expert interfaces` lists them');
    expect((await failure(host, ['send', freshGroup('ipv6'), '-p', '5000', '-i', 'eth1']))[1]).toBe(
      'choose an --iface that has one, or configure one; `multicast-expert interfaces` shows the addresses',
    );
  });

  it('no route with the interface given: the route to add, never "pass the interface"; the destination in brackets', async () => {
    const g = freshGroup('ipv6');
    const port = freshPort();
    const [message, hint] = await failure(host, ['send', g, '-p', String(port), '-i', 'lo']);
    expect(message).toMatch(new RegExp(`^sending to \\[${g}\\]:${port}: .*ENETUNREACH`));
    expect(hint).toBe('add a multicast route: ip -6 route add local ff00::/8 dev lo table local');
    // It is the fix: with the route, the same command works.
    await host.sh('ip -6 route add local ff00::/8 dev lo table local');
    expectExit(await cli(host, ['send', g, '-p', String(port), '-i', 'lo']), 0);
  });

  it('a port another program holds without address reuse: choose another --port', async () => {
    const port = freshPort();
    const holder = host.spawnNode(['-e', `require('node:dgram').createSocket('udp4').bind(${port}, () => console.log('bound'))`]);
    await holder.waitFor('bound');
    try {
      const [message, hint] = await failure(host, ['listen', freshGroup(), '-p', String(port), '-i', 'eth0']);
      expect(message).toMatch(/EADDRINUSE/);
      expect(hint).toBe('another program holds the port without address reuse: stop it, or choose another --port');
    } finally {
      await holder.stop();
    }
  });
});
