// The real-host cases that take minutes, run by `npm run test:hosts` (not by `npm test`): a host with
// 500 interfaces, one whose routing table holds 1,000,000 routes (a full BGP table is about as
// big), and a receiver on 10,000 groups. Their costs are measured by bench/iface-watch.js,
// bench/default-route.js and bench/open-node.js; here, only what must hold: every interface listed
// right, a receiver on all of them, interface changes followed, the right default interface in a
// table of any size, and every one of 10,000 groups' datagrams delivered once, with its group.
import * as net from 'node:net';

import { McastRxSocket } from '../lib';
import { Lab, type Agent, type Host } from '../lab/lab';
import { describeLab, freshGroup as anyFreshGroup, freshPort } from './helpers';
import { until } from './host-helpers';

const INTERFACES = 500;
const ROUTES = 1_000_000;
const GROUPS = 10_000;

/** A fresh group in the canonical text form that McastMessage.group carries. */
function freshGroup(): string {
  return new net.SocketAddress({ address: anyFreshGroup('ipv4'), family: 'ipv4' }).address;
}

interface IpAddr {
  ifindex: number;
  ifname: string;
  addr_info: Array<{ family: string; local: string; prefixlen: number }>;
}

describeLab('hosts at scale', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await Lab.create();
  });
  afterAll(() => lab?.close());

  it(`${INTERFACES} interfaces: listed as ip lists them, a receiver on all of them, changes followed`, async () => {
    const host = await lab.host('many');
    const peer = await lab.host('many-peer');
    const links: string[] = [];
    const setUp: string[] = [];
    const peerUp: string[] = [];
    for (let i = 0; i < INTERFACES; i++) {
      links.push(`link add v${i} type veth peer name p${i} netns ${peer.pid}`);
      setUp.push(`link set v${i} up`, `addr add 10.${100 + (i >> 8)}.${i & 255}.1/24 dev v${i}`, `addr add fd00:0:${i.toString(16)}::1/64 dev v${i} nodad`);
      peerUp.push(`link set p${i} up`, `addr add 10.${100 + (i >> 8)}.${i & 255}.2/24 dev p${i}`);
    }
    await host.ipBatch(links);
    await host.ipBatch(setUp);
    await peer.ipBatch(peerUp);
    const agent: Agent = await host.agent();
    const sender: Agent = await peer.agent();
    try {
      // Every interface, with the addresses ip reports, in one entry per index.
      const listed = (await agent.run('return mce.scanInterfaces().map((i) => ({ index: i.index, name: i.name, addresses: [...i.ipv4, ...i.ipv6].map((a) => a.address + "/" + a.prefixLength) }))')) as Array<{ index: number; name: string; addresses: string[] }>;
      const fromIp = (JSON.parse(await host.ip('-j', 'addr', 'show')) as IpAddr[]).map((l) => ({ index: l.ifindex, name: l.ifname, addresses: l.addr_info.map((a) => `${a.local}/${a.prefixlen}`) }));
      expect(listed).toHaveLength(INTERFACES + 1);
      const sorted = (list: typeof listed): typeof listed => [...list].sort((a, b) => a.index - b.index).map((l) => ({ ...l, addresses: [...l.addresses].sort() }));
      expect(sorted(listed)).toEqual(sorted(fromIp));

      const group = freshGroup();
      const port = freshPort();
      // The kernel's default limit is 20 memberships per socket: the receiver says which sysctl to raise.
      const refused = (await agent.run(`try { new mce.McastRxSocket({ groups: ['${group}'], port: ${port} }); return null; } catch (e) { return { code: e.code, hint: e.hint }; }`)) as { code: string; hint: string } | null;
      expect(refused?.code).toBe('ENOBUFS');
      expect(refused?.hint).toContain('net.ipv4.igmp_max_memberships');
      await host.sysctl('net.ipv4.igmp_max_memberships', 1024);
      await agent.run(`state.rx = new mce.McastRxSocket({ groups: ['${group}'], port: ${port} }); state.got = []; state.events = [];
        state.rx.on('message', (m) => state.got.push(m.data.toString() + '@' + m.ifaceName));
        state.rx.on('iface-lost', (i, why) => state.events.push('lost ' + i.name + ' ' + why));
        state.rx.on('iface-joined', (i, why) => state.events.push('joined ' + i.name + ' ' + why));`);
      expect(await agent.run('return state.rx.ifaces.length')).toBe(INTERFACES);

      // A datagram on the first, a middle and the last interface.
      const picks = [0, INTERFACES >> 1, INTERFACES - 1];
      await sender.run(`for (const i of ${JSON.stringify(picks)}) { const tx = new mce.McastTxSocket({ iface: 'p' + i }); await tx.send('to v' + i, '${group}', ${port}); tx.close(); }`);
      const got = await until('the datagrams on three of the interfaces', async () => {
        const texts = (await agent.run('return state.got')) as string[];
        return texts.length >= picks.length ? texts : undefined;
      });
      expect([...got].sort()).toEqual(picks.map((i) => `to v${i}@v${i}`).sort());

      // Changes among 500 interfaces are followed: one goes down and up, one gets a new address.
      const last = `v${INTERFACES - 1}`;
      await host.ip('link', 'set', 'dev', last, 'down');
      await until('the receiver to lose an interface', async () => (((await agent.run('return state.events')) as string[]).length > 0 ? true : undefined));
      await host.ip('link', 'set', 'dev', last, 'up');
      await host.ip('addr', 'add', '10.99.0.1/24', 'dev', 'v0');
      await until('the receiver to join the interface again', async () => (((await agent.run('return state.events')) as string[]).length > 1 ? true : undefined));
      expect(await agent.run('return state.events')).toEqual([`lost ${last} down`, `joined ${last} up`]);
      await sender.run(`const tx = new mce.McastTxSocket({ iface: 'p${INTERFACES - 1}' }); await tx.send('again', '${group}', ${port}); tx.close();`);
      await until('the datagram on the interface joined again', async () => (((await agent.run('return state.got')) as string[]).includes(`again@${last}`) ? true : undefined));
      expect(await agent.run('return state.rx.ifaces.length')).toBe(INTERFACES);
    } finally {
      await agent.stop();
      await sender.stop();
    }
  }, 240_000);

  it(`${ROUTES.toLocaleString('en')} routes: the default interface is the default route's, and a sender without iface sends through it`, async () => {
    const lanA = await lab.lan('routes-a');
    const lanB = await lab.lan('routes-b');
    const host: Host = await lab.host('routes');
    await lab.connect(host, lanA, { ipv4: '10.90.0.2/24', ipv6: 'fd90::2/64' });
    await lab.connect(host, lanB, { ipv4: '10.91.0.2/24', ipv6: 'fd91::2/64' });
    await host.ip('route', 'add', 'default', 'via', '10.91.0.1', 'dev', 'eth1');
    await host.ip('-6', 'route', 'add', 'default', 'via', 'fd91::1', 'dev', 'eth1');
    // A full table's worth of specific routes through the other interface: 1,000,000 /24s from 32.0.0.0 on.
    const lines: string[] = [];
    for (let i = 0; i < ROUTES; i++) lines.push(`route add ${32 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24 via 10.90.0.1 dev eth0`);
    const added = await host.run('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 600_000 });
    expect(added.stderr).toBe('');
    expect(Number((await host.sh('ip route show table main | wc -l')).trim())).toBeGreaterThanOrEqual(ROUTES);

    const group = freshGroup();
    const port = freshPort();
    const receiver = await lab.connect(lab.self, lanB, { ipv4: '10.91.0.50/24' });
    const rx = new McastRxSocket({ groups: [group], port, iface: receiver });
    try {
      const r = await host.eval(
        `const tx = new mce.McastTxSocket({});
         console.log(JSON.stringify({ v4: mce.getDefaultGatewayIface('ipv4')?.name, v6: mce.getDefaultGatewayIface('ipv6')?.name, tx: tx.iface.name }));
         tx.send('through the default', '${group}', ${port}).then(() => tx.close());`,
        { timeoutMs: 60_000 },
      );
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ v4: 'eth1', v6: 'eth1', tx: 'eth1' });
      expect((await rx.receive({ timeout: 5000 }))?.data.toString()).toBe('through the default');
    } finally {
      rx.close();
    }
  }, 900_000);

  it(`${GROUPS.toLocaleString('en')} groups on one receiver: each group's datagram arrives once, with its group`, async () => {
    const lan = await lab.lan('groups');
    const host: Host = await lab.host('groups-tx');
    await lab.connect(host, lan, { ipv4: '10.92.0.1/24' });
    const iface = await lab.connect(lab.self, lan, { ipv4: '10.92.0.50/24' });
    const port = freshPort();
    const groups = Array.from({ length: GROUPS }, (_, i) => `239.123.${i >> 8}.${i & 255}`);
    const t0 = process.hrtime.bigint();
    const rx = new McastRxSocket({ groups, port, iface });
    console.log(`a receiver on ${GROUPS} groups opened in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`);
    const wrong: string[] = [];
    const seen = new Map<string, number>();
    rx.on('message', (msg) => {
      const sentTo = msg.data.toString();
      if (sentTo !== msg.group) wrong.push(`${sentTo} reported as ${msg.group}`);
      seen.set(sentTo, (seen.get(sentTo) ?? 0) + 1);
    });
    try {
      // One datagram to each group, its group's address as the payload; in chunks, with pauses,
      // although each group's socket queues only its own.
      const sent = await host.eval(
        `const tx = new mce.McastTxSocket({ iface: 'eth0' });
         const groups = Array.from({ length: ${GROUPS} }, (_, i) => '239.123.' + (i >> 8) + '.' + (i & 255));
         (async () => {
           let sent = 0;
           for (let i = 0; i < groups.length; i += 500) {
             sent += await tx.sendBatch(groups.slice(i, i + 500).map((g) => ({ data: g, group: g, port: ${port} })));
             await new Promise((r) => setTimeout(r, 5));
           }
           tx.close();
           console.log(sent);
         })();`,
        { timeoutMs: 120_000 },
      );
      expect(sent.stderr).toBe('');
      expect(Number(sent.stdout.trim())).toBe(GROUPS);
      await until(`a datagram for each of ${GROUPS} groups`, () => (seen.size === GROUPS ? true : undefined), 30_000);
      await new Promise((r) => setTimeout(r, 200));
      expect(wrong.slice(0, 5)).toEqual([]);
      expect(seen.size).toBe(GROUPS);
      expect([...seen].filter(([, n]) => n !== 1).slice(0, 5)).toEqual([]);
      expect(rx.stats().received).toBe(GROUPS);
    } finally {
      rx.close();
    }
  }, 300_000);
});
