// `multicast-expert doctor` on lab hosts broken one way at a time: it must name each problem and
// its fix, the fix it prints must repair the host (the test applies it and runs doctor again), and
// a healthy host must show no problem. Each breakage is checked to be real first, where that is
// cheap: a datagram that does not arrive, a join that fails.
import * as net from 'node:net';

import { type Host, Lab, type Lan } from '../lab/lab';
import { describeLab, freshGroup, freshPort, itWithTools, sleep } from './helpers';
import { cli, expectExit, spawnCli } from './cli-helpers';

interface Finding {
  check: string;
  status: 'ok' | 'warning' | 'problem' | 'skipped';
  message: string;
  fix?: string;
}
interface DoctorJson {
  family: string;
  groups: string[];
  checks: Finding[];
  problems: number;
  warnings: number;
}

/** The line that says, before the self-test runs, what it is about to do (on stderr with --json). */
const SELF_TEST_NOTICE = /^self-test: joining \S+ on .* and sending one datagram to \S+ with TTL 0, which stays on this host; --no-self-test skips it$/;

async function doctor(host: Host, args: string[]): Promise<{ code: number | null; report: DoctorJson }> {
  const r = await cli(host, ['doctor', ...args, '--json']);
  const other = r.stderr.split('\n').filter((l) => l !== '' && !SELF_TEST_NOTICE.test(l));
  if (other.length > 0) throw new Error(`doctor wrote to stderr: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as DoctorJson };
}

function problems(report: DoctorJson, check?: string): Finding[] {
  return report.checks.filter((f) => f.status === 'problem' && (check === undefined || f.check === check));
}

/** The one problem of `check`, with its fix. */
function theProblem(report: DoctorJson, check: string): Finding & { fix: string } {
  const found = problems(report, check);
  if (found.length !== 1) throw new Error(`expected one ${check} problem, got: ${JSON.stringify(report.checks, null, 1)}`);
  const f = found[0] as Finding;
  if (f.fix === undefined) throw new Error(`the ${check} problem has no fix`);
  return f as Finding & { fix: string };
}

const withNft = itWithTools({ nft: 'nftables' });

describeLab('multicast-expert doctor', () => {
  let lab: Lab;
  let lan: Lan;
  let hostCount = 0;

  beforeAll(async () => {
    lab = await Lab.create();
    lan = await lab.lan('doc');
  });
  afterAll(() => lab?.close());

  /** A fresh host on the LAN at 10.71.0.<n>, with a default route unless asked otherwise. */
  async function newHost(options: { defaultRoute?: boolean; extraIpv4?: string[] } = {}): Promise<{ host: Host; address: string }> {
    hostCount += 1;
    const address = `10.71.0.${hostCount}`;
    const host = await lab.host(`doc${hostCount}`);
    await lab.connect(host, lan, { ipv4: [`${address}/24`, ...(options.extraIpv4 ?? [])], ipv6: `fd71::${hostCount}/64` });
    if (options.defaultRoute !== false) await host.ip('route', 'add', 'default', 'via', '10.71.0.254', 'dev', 'eth0');
    return { host, address };
  }

  it('finds no problem on a healthy host, and says so in aligned text', async () => {
    const { host } = await newHost();
    const g = freshGroup();
    const port = String(freshPort());
    const text = await cli(host, ['doctor', '--group', g, '--port', port]);
    expectExit(text, 0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^multicast-expert doctor: ipv4 · ${g.replace(/\./g, '\\.')} · port ${port} \\(linux `));
    expect(text.stdout).not.toMatch(/^problem/m);
    expect(text.stdout).toMatch(/^ok {7}interface {5}without --iface, receivers listen on eth0 \(10\.71\.0\.\d+\/24\)$/m);
    expect(text.stdout).toMatch(new RegExp(`^ok {7}route {9}${g.replace(/\./g, '\\.')} goes out of eth0 \\(default via 10\\.71\\.0\\.254 dev eth0\\)$`, 'm'));
    expect(text.stdout).toMatch(/^ok {7}self-test {5}eth0: joined .* received the datagram back in \d+\.\d ms$/m);
    expect(lines[lines.length - 1]).toMatch(/^no problem found(, \d+ warnings?)?$/);
    // Before the self-test joins and sends, a line says so, with the option that skips it.
    const notice = lines.findIndex((l) => l.startsWith(' '.repeat(9) + 'self-test'));
    expect(lines[notice]).toBe(
      `         self-test     joining ${g} on eth0 (an IGMP membership report goes out on eth0) and sending one datagram to ${g}:${port} with TTL 0, which stays on this host; --no-self-test skips it`,
    );
    expect(notice).toBeLessThan(lines.findIndex((l) => /^\w+ +self-test/.test(l)));
    expect(text.stderr).toBe('');
    // With --json, on stderr (stdout stays one JSON object); with --no-self-test, not at all.
    const json = await cli(host, ['doctor', '--group', g, '--port', port, '--json']);
    expect(json.stderr).toBe(`self-test: joining ${g} on eth0 (an IGMP membership report goes out on eth0) and sending one datagram to ${g}:${port} with TTL 0, which stays on this host; --no-self-test skips it\n`);
    expect(JSON.parse(json.stdout)).toMatchObject({ problems: 0 });
    const g6 = new net.SocketAddress({ address: freshGroup('ipv6'), family: 'ipv6' }).address;
    const v6 = await cli(host, ['doctor', '--group', g6, '--port', port, '--iface', 'eth0']);
    expect(v6.stdout).toContain(`joining ${g6} on eth0 (an MLD report goes out on eth0) and sending one datagram to [${g6}]:${port} with TTL 0`);
    const skipped = await cli(host, ['doctor', '--group', g, '--no-self-test']);
    expect(skipped.stdout).not.toMatch(/^ {9}self-test/m);
    expect(skipped.stdout).toMatch(/^skipped {2}self-test {5}skipped \(--no-self-test\)$/m);
    expect(skipped.stderr).toBe('');

    for (const args of [['--group', g, '--port', port, '--iface', 'eth0'], ['--ipv6', '--iface', 'eth0'], []]) {
      const { code, report } = await doctor(host, args);
      expect(problems(report)).toEqual([]);
      expect(code).toBe(0);
      for (const check of ['interface', 'route', 'memberships', 'buffers', 'self-test']) expect(report.checks.find((f) => f.check === check)?.status).toBe('ok');
    }
  });

  it('an interface without the MULTICAST flag', async () => {
    const { host } = await newHost();
    await host.ip('link', 'set', 'eth0', 'multicast', 'off');
    const given = await doctor(host, ['--iface', 'eth0']);
    expect(given.code).toBe(1);
    const p = theProblem(given.report, 'interface');
    expect(p.message).toBe('eth0 has no MULTICAST flag: the OS neither sends nor receives multicast on it as it should, and receivers leave it out');
    expect(p.fix).toBe('ip link set eth0 multicast on');
    // Without --iface, nothing is left to listen on.
    const chosen = await doctor(host, []);
    expect(theProblem(chosen.report, 'interface').message).toMatch(/^no interface is up, multicast-capable, not loopback and with an ipv4 address: .*ERR_NO_IFACES/);
    expect(problems(chosen.report, 'self-test')).toEqual([]);
    await host.sh(p.fix);
    const fixed = await doctor(host, ['--iface', 'eth0']);
    expect(problems(fixed.report)).toEqual([]);
    expect(fixed.code).toBe(0);
  });

  it('no route for the group and no interface given', async () => {
    const { host } = await newHost({ defaultRoute: false });
    const g = freshGroup();
    // Real: a sender that relies on the routing table fails.
    const send = await cli(host, ['send', g, '-p', '5000']);
    expect(send.stderr).toMatch(/^error: no iface was given and this machine has no ipv4 default route/);
    const { code, report } = await doctor(host, ['--group', g]);
    expect(code).toBe(1);
    const p = theProblem(report, 'route');
    expect(p.message).toMatch(new RegExp(`^no route for ${g.replace(/\./g, '\\.')} and no interface given: .*ENETUNREACH.*ERR_NO_DEFAULT_IFACE`));
    expect(p.fix).toBe('pass --iface eth0 (the iface option), or add a route: ip route add 224.0.0.0/4 dev eth0');
    // Either fix: the interface given...
    expect(problems((await doctor(host, ['--group', g, '--iface', 'eth0'])).report)).toEqual([]);
    // ...or the route: an IPv4 sender without an interface then sends where the routing table sends
    // multicast, like any program, and nothing is left to warn about.
    await host.sh(p.fix.slice(p.fix.indexOf('ip route add')));
    const fixed = await doctor(host, ['--group', g]);
    expect(problems(fixed.report)).toEqual([]);
    expect(fixed.report.checks.find((f) => f.check === 'route')).toMatchObject({ status: 'ok' });
    expect(await cli(host, ['send', g, '-p', '5000'])).toMatchObject({ code: 0, stderr: '' });
  });

  it('strict rp_filter and a sender with no route back', async () => {
    const sender = await newHost({ extraIpv4: ['10.99.0.1/24'] });
    const { host } = await newHost({ defaultRoute: false });
    await host.sysctl('net.ipv4.conf.all.rp_filter', 1);
    await host.sysctl('net.ipv4.conf.eth0.rp_filter', 1);
    const g = freshGroup();
    const port = String(freshPort());
    const sendFromUnroutable = (): Promise<unknown> => cli(sender.host, ['send', g, '-p', port, '-i', '10.99.0.1', '-c', '3', '--interval', '20', '-q']);
    // Real: the datagrams from 10.99.0.1 reach eth0 and are dropped before the socket. The listener
    // stays joined until the kernel has counted the drops (a listener that timed out first would
    // have left the group, and the datagrams would then be dropped uncounted, as not ours).
    const listen = spawnCli(host, ['listen', g, '-p', port, '--json', '--timeout', '30000']);
    await listen.waitFor('"listening"');
    await sendFromUnroutable();
    const rpDrops = async (): Promise<number> => {
      // /proc/net/netstat: a line of names, then a line of their values, per group.
      const lines = (await host.sh('cat /proc/net/netstat')).split('\n').map((l) => l.trim().split(/\s+/));
      const at = lines.findIndex((l) => l.includes('IPReversePathFilter'));
      return at < 0 ? NaN : Number(lines[at + 1]?.[(lines[at] as string[]).indexOf('IPReversePathFilter')]);
    };
    for (let tries = 0; (await rpDrops()) < 3 && tries < 100; tries++) await sleep(50);
    expect(await rpDrops()).toBeGreaterThanOrEqual(3);
    const listened = await listen.stop();
    expect(JSON.parse(listened.stdout.trim().split('\n').pop() as string)).toMatchObject({ type: 'summary', received: 0 });

    const { code, report } = await doctor(host, ['--iface', 'eth0', '--group', g, '--port', port, '--source', '10.99.0.1']);
    expect(code).toBe(1);
    const p = theProblem(report, 'rp_filter');
    expect(p.message).toBe('strict (1) on eth0 (all=1, eth0=1; the larger applies) and there is no route to the sender 10.99.0.1: its datagrams are dropped before any socket sees them');
    expect(p.fix).toBe("add a route for the sender's network via eth0 (ip route add 10.99.0.1/32 dev eth0), or turn the filter off: sysctl -w net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0");
    // Without --source it cannot know the sender, but warns of the mode and of the drops it counted.
    const blind = await doctor(host, ['--iface', 'eth0', '--group', g]);
    expect(problems(blind.report)).toEqual([]);
    const warnings = blind.report.checks.filter((f) => f.check === 'rp_filter' && f.status === 'warning').map((f) => f.message);
    expect(warnings).toEqual([expect.stringMatching(/^strict \(1\) on eth0 .*dropped silently/), expect.stringMatching(/^the kernel has dropped \d+ packets by reverse-path filtering/)]);

    await host.sh(/ip route add \S+ dev eth0/.exec(p.fix)?.[0] ?? 'false');
    expect(problems((await doctor(host, ['--iface', 'eth0', '--group', g, '--source', '10.99.0.1'])).report)).toEqual([]);
    const heard = spawnCli(host, ['listen', g, '-p', port, '--count', '1', '--timeout', '10000']);
    await heard.waitFor('listening to');
    await sendFromUnroutable();
    const r = await heard.exited;
    expectExit(r, 0);
    expect(r.stdout).toMatch(/ 10\.99\.0\.1:\d+ /);
  });

  it('igmp_max_memberships below the groups asked for', async () => {
    const { host, address } = await newHost();
    await host.sysctl('net.ipv4.igmp_max_memberships', 1);
    const [a, b] = [freshGroup(), freshGroup()];
    // Real: one socket (Node's dgram) joining both groups fails on the second.
    const dgram = await host.node([
      '-e',
      `const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
       s.bind(${freshPort()}, () => { s.addMembership('${a}', '${address}'); try { s.addMembership('${b}', '${address}'); console.log('joined'); } catch (e) { console.log(e.code); } s.close(); });`,
    ]);
    expect(dgram.stdout.trim()).toBe('ENOBUFS');
    const { code, report } = await doctor(host, ['--iface', 'eth0', '--group', a, '--group', b]);
    expect(code).toBe(1);
    const p = theProblem(report, 'memberships');
    expect(p.message).toMatch(/^net\.ipv4\.igmp_max_memberships is 1, below the 2 memberships of 2 groups on 1 interface on one socket: .*ENOBUFS after 1 \(multicast-expert opens one socket per group and needs 1\)$/);
    expect(p.fix).toBe('sysctl -w net.ipv4.igmp_max_memberships=20');
    await host.sh(p.fix);
    expect(problems((await doctor(host, ['--iface', 'eth0', '--group', a, '--group', b])).report)).toEqual([]);
  });

  it('the loopback interface without its route (IPv6), and the IPv4 note', async () => {
    const { host } = await newHost();
    const g6 = new net.SocketAddress({ address: freshGroup('ipv6'), family: 'ipv6' }).address; // canonical, as doctor prints it
    const { code, report } = await doctor(host, ['--iface', 'lo', '--group', g6]);
    expect(code).toBe(1);
    const p = theProblem(report, 'loopback');
    expect(p.message).toBe(`no route for ${g6} on lo: Linux loops IPv6 multicast back on lo only with one, and sending fails with ENETUNREACH`);
    expect(p.fix).toBe('ip -6 route add local ff00::/8 dev lo table local');
    // The self-test shows it is real; it names the destination as [group]:port, and (the interface
    // being given) never says to pass one.
    const selfTest = theProblem(report, 'self-test');
    expect(selfTest.message).toMatch(new RegExp(`^lo: joined ${g6} and sent to it with TTL 0, but it failed: sending to \\[${g6}\\]:\\d+: .*ENETUNREACH`));
    expect(`${selfTest.message} ${selfTest.fix}`).not.toMatch(/explicitly|--iface|iface option/);
    // The route check leaves the loopback interface to the loopback check: no "no route is needed" beside "no route".
    expect(report.checks.filter((f) => f.check === 'route')).toEqual([]);
    await host.sh(p.fix);
    const fixed = await doctor(host, ['--iface', 'lo', '--group', g6]);
    expect(problems(fixed.report)).toEqual([]);
    expect(fixed.report.checks.find((f) => f.check === 'self-test')?.status).toBe('ok');

    // IPv4 on lo works for multicast-expert without a route; programs that follow the table need one.
    const g4 = freshGroup();
    const v4 = await doctor(host, ['--iface', 'lo', '--group', g4]);
    expect(problems(v4.report)).toEqual([]);
    expect(v4.report.checks.find((f) => f.check === 'loopback')).toMatchObject({ status: 'warning', fix: `ip route add ${g4}/32 dev lo` });
  });

  it('a host with nothing but lo: route and loopback findings agree, and the fixes name lo', async () => {
    const host = await lab.host('only-lo');
    for (const family of ['ipv4', 'ipv6'] as const) {
      const { report } = await doctor(host, ['--iface', 'lo', ...(family === 'ipv6' ? ['--ipv6'] : [])]);
      const routeFindings = report.checks.filter((f) => f.check === 'route');
      const loopback = report.checks.filter((f) => f.check === 'loopback');
      expect(routeFindings).toEqual([]);
      expect(loopback).toHaveLength(1);
      expect(loopback[0]?.message).toMatch(family === 'ipv4' ? /^there is no route for 239\.255\.77\.77: multicast-expert chooses lo itself and needs none, but programs that follow the routing table cannot send to it \(ENETUNREACH\)$/ : /^no route for ff15::77:77 on lo: /);
      expect(report.checks.filter((f) => f.message.includes('no route is needed'))).toEqual([]);
    }
    // Without --iface there is nothing but lo to suggest, with the route lo needs.
    const v4 = await doctor(host, ['--no-self-test']);
    expect(theProblem(v4.report, 'route').fix).toBe('pass --iface lo (the iface option; this host only), or add a route: ip route add 224.0.0.0/4 dev lo');
    const v6 = await doctor(host, ['--ipv6', '--no-self-test']);
    expect(theProblem(v6.report, 'route').fix).toBe('pass --iface lo (the iface option; this host only), or add a route: ip -6 route add local ff00::/8 dev lo table local');
    // The route it prints is the fix: then a sender without an interface works.
    const g = freshGroup();
    expect((await cli(host, ['send', g, '-p', '5000'])).code).toBe(1);
    await host.sh(v4.report.checks.find((f) => f.check === 'route')?.fix?.replace(/^.*add a route: /, '') ?? 'false');
    expect(problems((await doctor(host, ['--no-self-test'])).report, 'route')).toEqual([]);
    expect(await cli(host, ['send', g, '-p', '5000'])).toMatchObject({ code: 0, stderr: '' });
  });

  it('an interface that does not exist', async () => {
    const { host } = await newHost();
    const { code, report } = await doctor(host, ['--iface', 'nope0', '--no-self-test']);
    expect(code).toBe(1);
    expect(theProblem(report, 'interface')).toMatchObject({ message: 'no interface matches "nope0"', fix: expect.stringMatching(/^choose one of: lo, eth0 /) });
  });

  withNft('a firewall rule that drops the port (nft)', async () => {
    const { host } = await newHost();
    const port = String(freshPort());
    await host.sh(`nft add table inet mce; nft add chain inet mce input '{ type filter hook input priority 0; policy accept; }'; nft add rule inet mce input udp dport ${port} drop`);
    const { code, report } = await doctor(host, ['--iface', 'eth0', '--port', port]);
    expect(code).toBe(1);
    expect(theProblem(report, 'firewall')).toMatchObject({ message: `nftables chain input drops udp port ${port}: "udp dport ${port} drop"` });
    expect(theProblem(report, 'self-test').message).toMatch(/^eth0: joined .* but nothing came back within 2000 ms$/);
  });
});
