// What crosses the wire: IGMP/MLD joins and leaves seen by a capture on a peer, and TTL against a
// router (a lab host forwarding multicast with a route installed by smcroute): TTL 1 stays on its
// LAN, TTL 2 crosses one router.
import { McastRxSocket } from '../lib';
import { type Agent, type Host, Lab, type LabProcess } from '../lab/lab';
import { describeLab, freshGroup, freshPort, itWithTools, sendCode, sleep } from './helpers';

const withTcpdump = itWithTools({ tcpdump: 'tcpdump' });
// The only test that sees a TTL: were the sender to use TTL 1 whatever it is told, only this fails.
const withSmcroute = itWithTools({ smcrouted: 'smcroute' });

describeLab('joins and leaves on the wire', () => {
  let lab: Lab;
  let ifA: string;
  let peer: Host;
  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('wire');
    ifA = await lab.connect(lab.self, lan, { ipv4: '10.66.0.100/24', ipv6: 'fd66::100/64' });
    peer = await lab.host('peer');
    await lab.connect(peer, lan, { ipv4: '10.66.0.2/24', ipv6: 'fd66::2/64' });
  });
  afterAll(() => lab?.close());

  async function capture(filter: string): Promise<LabProcess> {
    const p = peer.spawn('tcpdump', ['-l', '-n', '-v', '-i', 'eth0', filter]);
    // tcpdump says on stderr when it is listening.
    for (let i = 0; i < 100 && !p.output.stderr.includes('listening on'); i++) await sleep(50);
    return p;
  }

  withTcpdump('IGMPv3: a report (to_ex) when the receiver joins, another (to_in) when it closes', async () => {
    const g = freshGroup();
    const cap = await capture('igmp');
    const rx = new McastRxSocket({ groups: [g], port: freshPort(), iface: ifA });
    await cap.waitFor(`gaddr ${g} to_ex`, 5000);
    rx.close();
    await cap.waitFor(`gaddr ${g} to_in`, 5000);
    await cap.stop();
    expect(cap.stdout).toMatch(/10\.66\.0\.100 > 224\.0\.0\.22: igmp v3 report/);
  });

  withTcpdump('MLDv2: a report when the receiver joins, another when it leaves the group', async () => {
    const g = freshGroup('ipv6');
    const other = freshGroup('ipv6');
    const cap = await capture('ip6 dst ff02::16');
    const rx = new McastRxSocket({ groups: [g, other], port: freshPort(), iface: ifA });
    await cap.waitFor(new RegExp(`gaddr ${g} to_ex`), 5000);
    rx.leave(g);
    await cap.waitFor(new RegExp(`gaddr ${g} to_in`), 5000);
    rx.close();
    await cap.stop();
    expect(cap.stdout).toMatch(/multicast listener report v2/);
  });

  it('the membership is in the kernel while joined (/proc/net/igmp) and gone after close', async () => {
    const g = freshGroup();
    const hex = g
      .split('.')
      .map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase())
      .reverse()
      .join('');
    const rx = new McastRxSocket({ groups: [g], port: freshPort(), iface: ifA });
    expect(await lab.self.sh('cat /proc/net/igmp')).toContain(hex);
    rx.close();
    await sleep(50);
    expect(await lab.self.sh('cat /proc/net/igmp')).not.toContain(hex);
  });
});

describeLab('TTL through a router', () => {
  let lab: Lab;
  let sender: Agent;
  let receiver: Agent;
  let router: Host;
  let daemon: LabProcess | undefined;
  const group = freshGroup();
  const port = freshPort();

  beforeAll(async () => {
    lab = await Lab.create();
    const lanA = await lab.lan('ra');
    const lanB = await lab.lan('rb');
    router = await lab.host('router');
    const h1 = await lab.host('h1');
    const h3 = await lab.host('h3');
    await lab.connect(router, lanA, { ipv4: '10.65.1.1/24' });
    await lab.connect(router, lanB, { ipv4: '10.65.2.1/24' });
    await lab.connect(h1, lanA, { ipv4: '10.65.1.2/24' });
    await lab.connect(h3, lanB, { ipv4: '10.65.2.3/24' });
    await h1.ip('route', 'add', 'default', 'via', '10.65.1.1');
    await h3.ip('route', 'add', 'default', 'via', '10.65.2.1');
    await router.sysctl('net.ipv4.ip_forward', 1);
    for (const key of ['all', 'default', 'eth0', 'eth1']) await router.sysctl(`net.ipv4.conf.${key}.rp_filter`, 0);
    sender = await h1.agent();
    receiver = await h3.agent();
  });
  afterAll(async () => {
    await daemon?.stop();
    await Promise.all([sender?.stop(), receiver?.stop()]);
    await lab?.close();
  });

  withSmcroute('a datagram with TTL 1 stays on its LAN; TTL 2 crosses one router', async () => {
    const dir = `/tmp/mce-smcroute-${lab.id}`;
    await router.sh(`mkdir -p ${dir} && printf 'mroute from eth0 group ${group} to eth1\\n' > ${dir}/smcroute.conf`);
    daemon = router.spawn('smcrouted', ['-n', '-i', `mce${lab.id}`, '-f', `${dir}/smcroute.conf`, '-u', `${dir}/sock`, '-P', `${dir}/pid`, '-l', 'info']);
    // The daemon is routing once the kernel lists its two virtual interfaces; it installs the route
    // itself (into /proc/net/ip_mr_cache) when the first datagram of the group arrives.
    const vifs = async (): Promise<number> => (await router.sh('cat /proc/net/ip_mr_vif')).split('\n').filter((l) => / eth[01] /.test(l)).length;
    for (let i = 0; i < 100 && (await vifs()) < 2; i++) await sleep(50);
    expect(await vifs()).toBe(2);

    await receiver.run(`state.got = [];
      state.rx = new mce.McastRxSocket({ groups: [${JSON.stringify(group)}], port: ${port} });
      state.rx.on('message', (m) => state.got.push(m.data.toString()));`);
    await sender.run(sendCode({ iface: 'eth0', ttl: 1 }, 'ttl 1', group, port));
    await sender.run(sendCode({ iface: 'eth0', ttl: 2 }, 'ttl 2', group, port));
    let got: string[] = [];
    for (let i = 0; i < 100 && !got.includes('ttl 2'); i++) {
      await sleep(50);
      got = await receiver.run<string[]>('return state.got');
    }
    expect(got).toEqual(['ttl 2']);
    await receiver.run('state.rx.close()');
  });
});
