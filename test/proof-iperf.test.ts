// Proof against a real peer, both ways: iperf 2 sends to a group at a set rate and
// examples/iperf2.js receives every datagram, counted exactly; examples/iperf2.js sends in iperf 2's
// format and `iperf -s -u -B group` reports no loss. The switch (an nftables counter on the LAN's
// bridge) counts what crossed it, the third witness to each count.
import * as path from 'node:path';

import { type Host, Lab, type Lan } from '../lab/lab';
import { describeLab, freshGroup, freshPort, itWithTools } from './helpers';

const IPERF2 = path.resolve(__dirname, '..', 'examples', 'iperf2.js');
const withIperf = itWithTools({ iperf: 'iperf', nft: 'nftables' });

describeLab('proof: iperf 2 both ways, with examples/iperf2.js', () => {
  let lab: Lab;
  let lan: Lan;
  let a: Host;
  let b: Host;

  beforeAll(async () => {
    lab = await Lab.create();
    lan = await lab.lan('iperf');
    a = await lab.host('a');
    b = await lab.host('b');
    await lab.connect(a, lan, { ipv4: '10.73.0.1/24' });
    await lab.connect(b, lan, { ipv4: '10.73.0.2/24' });
  });

  afterAll(async () => {
    await lab?.close();
  });

  /** Counts the datagrams to group:port that the switch forwards; returns a reader of the count. */
  async function switchCounter(group: string, port: number): Promise<() => Promise<number>> {
    const table = `count${port}`;
    await lan.host.sh(
      `nft add table bridge ${table}; nft add chain bridge ${table} c '{ type filter hook forward priority 0; }'; nft add rule bridge ${table} c ip daddr ${group} udp dport ${port} counter`,
    );
    return async () => {
      const out = await lan.host.sh(`nft list table bridge ${table}`);
      await lan.host.sh(`nft delete table bridge ${table}`);
      return Number((/counter packets (\d+)/.exec(out) as RegExpExecArray)[1]);
    };
  }

  withIperf('iperf -c sends at 2 Mbit/s; ours receives every datagram, counted exactly', async () => {
    const group = freshGroup();
    const port = freshPort();
    const counted = await switchCounter(group, port);
    const ours = b.spawnNode([IPERF2, 'receive', '--group', group, '--port', String(port), '--iface', 'eth0', '--streams', '1']);
    await ours.waitFor('receiving iperf 2', 15000);
    const iperf = await a.run('iperf', ['-c', group, '-p', String(port), '-u', '-T', '1', '-B', '10.73.0.1', '-b', '2M', '-l', '1000', '-t', '2']);
    expect(iperf.code).toBe(0);
    const sent = Number((/Sent (\d+) datagrams/.exec(iperf.stdout) as RegExpExecArray)[1]);
    const got = await ours.exited;
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    const report = /^10\.73\.0\.1:\d+: (\d+) of (\d+) datagrams \((\d+) bytes\) .*; lost (\d+), out of order (\d+), duplicates (\d+)$/m.exec(got.stdout);
    if (report === null) throw new Error(`no report:\n${got.stdout}`);
    const [received, announced, bytes, lost, outOfOrder, duplicates] = report.slice(1).map(Number) as number[];
    // Its ids were 1..n and its final datagram -(n + 1): the switch forwarded n + 1, ours got n.
    expect(await counted()).toBe((received as number) + 1);
    expect(received).toBe(announced);
    expect(bytes).toBe((received as number) * 1000);
    expect([lost, outOfOrder, duplicates]).toEqual([0, 0, 0]);
    // iperf 2.1 prints its packet counter, which ends one past the final datagram's id.
    expect(sent).toBe((received as number) + 2);
    expect(received).toBeGreaterThan(400); // 2 Mbit/s of 1000-byte datagrams for 2 s: some 500
  }, 30000);

  withIperf('ours sends at 2 Mbit/s; iperf -s -u -B group reports 0 lost of every datagram', async () => {
    const group = freshGroup();
    const port = freshPort();
    const counted = await switchCounter(group, port);
    const server = b.spawn('iperf', ['-s', '-u', '-B', `${group}%eth0`, '-p', String(port), '-i', '1']);
    await server.waitFor('UDP buffer size', 15000);
    const ours = await a.node([IPERF2, 'send', '--group', group, '--port', String(port), '--iface', 'eth0', '--rate', '2M', '--length', '1000', '--count', '500']);
    expect(ours.stderr).toBe('');
    expect(ours.code).toBe(0);
    expect(ours.stdout).toContain('sent 500 datagrams (500000 bytes) in ');
    // iperf counts the final datagram in its total: 501.
    const final = await server.waitFor(/ 0\.0000-\S+ sec .* \d+\/501 /, 15000);
    await server.stop();
    expect(final).toMatch(/ 0\/501 \(0%\)$/);
    expect(server.stdout).toMatch(/connected with 10\.73\.0\.1 port \d+/);
    expect(await counted()).toBe(501);
  }, 30000);
});
