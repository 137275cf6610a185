// Proof against real peers: examples/mdns-responder.js on a host on two LANs, resolved by
// python3-zeroconf (a full mDNS implementation) from a querier on each LAN, which must get only its
// own LAN's addresses, IPv4 and IPv6, from port 5353 with IP TTL 255 (seen on the querier's wire by
// tcpdump); legacy unicast queries answered by unicast; and all of it again with avahi-daemon
// running beside ours on the responder host, both answering, each for its own name.
import * as path from 'node:path';

import { type Host, Lab, type LabProcess } from '../lab/lab';
import { describeLab, itWithTools } from './helpers';
import { capture, type MdnsResolution, resolveMdns, resolveMdnsLegacy, startAvahi } from './peers';

const RESPONDER = path.resolve(__dirname, '..', 'examples', 'mdns-responder.js');
const NAME = 'mce-responder';
const AVAHI_NAME = 'avahi-beside';

const withPeers = itWithTools({ 'python3:zeroconf': 'python3-zeroconf', tcpdump: 'tcpdump' });
const withAvahi = itWithTools({ 'avahi-daemon': 'avahi-daemon', 'python3:zeroconf': 'python3-zeroconf' });

describeLab('proof: mDNS, examples/mdns-responder.js resolved by python3-zeroconf, beside avahi-daemon', () => {
  let lab: Lab;
  let responder: Host;
  let querierA: Host;
  let querierB: Host;
  /** The responder's addresses on each LAN (its eth0 on A, eth1 on B), link-local included. */
  const addresses: Record<'A' | 'B', { ipv4: string[]; ipv6: string[] }> = { A: { ipv4: [], ipv6: [] }, B: { ipv4: [], ipv6: [] } };

  beforeAll(async () => {
    lab = await Lab.create();
    const a = await lab.lan('mdnsa');
    const b = await lab.lan('mdnsb');
    responder = await lab.host('responder');
    querierA = await lab.host('querier-a');
    querierB = await lab.host('querier-b');
    await lab.connect(responder, a, { ipv4: '10.74.1.1/24', ipv6: 'fd74:1::1/64' });
    await lab.connect(responder, b, { ipv4: '10.74.2.1/24', ipv6: 'fd74:2::1/64' });
    await lab.connect(querierA, a, { ipv4: '10.74.1.2/24', ipv6: 'fd74:1::2/64' });
    await lab.connect(querierB, b, { ipv4: '10.74.2.2/24', ipv6: 'fd74:2::2/64' });
    for (const [lan, iface] of [['A', 'eth0'], ['B', 'eth1']] as const) {
      const info = JSON.parse(await responder.ip('-j', 'addr', 'show', 'dev', iface)) as Array<{ addr_info: Array<{ family: string; local: string }> }>;
      for (const a of info[0]?.addr_info ?? []) addresses[lan][a.family === 'inet' ? 'ipv4' : 'ipv6'].push(a.local);
    }
    // Every address there, the link-local one too: the test compares against all of them.
    expect(addresses.A.ipv6).toEqual(expect.arrayContaining(['fd74:1::1', expect.stringMatching(/^fe80::/)]));
  });

  afterAll(async () => {
    await lab?.close();
  });

  const sorted = (r: MdnsResolution): { A: string[]; AAAA: string[] } => ({ A: r.A.map((x) => x.address).sort(), AAAA: r.AAAA.map((x) => x.address).sort() });
  const expected = (lan: 'A' | 'B'): { A: string[]; AAAA: string[] } => ({ A: [...addresses[lan].ipv4].sort(), AAAA: [...addresses[lan].ipv6].sort() });

  async function startResponder(): Promise<LabProcess> {
    const p = responder.spawnNode([RESPONDER, NAME]);
    await p.waitFor(`answering for ${NAME}.local: 224.0.0.251 on eth0, eth1; ff02::fb on eth0, eth1`, 15000);
    return p;
  }

  withAvahi('the peers work in the lab: avahi-daemon (no D-Bus) answers zeroconf on each LAN with that LAN\'s addresses', async () => {
    const avahi = await startAvahi(responder, AVAHI_NAME, ['eth0', 'eth1']);
    try {
      const [seenA, seenB] = await Promise.all([resolveMdns(querierA, `${AVAHI_NAME}.local`), resolveMdns(querierB, `${AVAHI_NAME}.local`)]);
      // avahi publishes the routable IPv6 address and leaves the link-local one out.
      expect(sorted(seenA)).toEqual({ A: ['10.74.1.1'], AAAA: ['fd74:1::1'] });
      expect(sorted(seenB)).toEqual({ A: ['10.74.2.1'], AAAA: ['fd74:2::1'] });
    } finally {
      await avahi.stop();
    }
  }, 60000);

  withPeers('each querier resolves NAME.local to its own LAN\'s addresses only, IPv4 and IPv6, from port 5353 with TTL 255', async () => {
    const ours = await startResponder();
    const wires = await Promise.all([capture(querierA, 'eth0', 'udp port 5353'), capture(querierB, 'eth0', 'udp port 5353')]);
    try {
      const [seenA, seenB] = await Promise.all([resolveMdns(querierA, `${NAME}.local`), resolveMdns(querierB, `${NAME}.local`)]);
      expect(sorted(seenA)).toEqual(expected('A'));
      expect(sorted(seenB)).toEqual(expected('B'));
      for (const r of [...seenA.A, ...seenA.AAAA]) expect(r.ttl).toBe(120);
      // The responses zeroconf took its answers from: the responder's address on that LAN, port 5353.
      expect(seenA.sources.every((s) => s.port === 5353 && [...addresses.A.ipv4, ...addresses.A.ipv6].includes(s.address.split('%')[0] as string))).toBe(true);
      expect(seenA.sources.length).toBeGreaterThan(0);
      const [wireA, wireB] = await Promise.all(wires.map((w) => w.stop()));
      // On each querier's wire, every datagram from the responder left port 5353 with TTL (hop limit) 255.
      for (const [wire, lan] of [[wireA, 'A'], [wireB, 'B']] as const) {
        const fromResponder = (wire as string[]).filter((l) => [...addresses[lan].ipv4, ...addresses[lan].ipv6].some((a) => l.includes(` ${a}.5353 > `)));
        expect(fromResponder.length).toBeGreaterThan(0);
        for (const l of fromResponder) expect(l).toMatch(/\b(ttl|hlim) 255\b/);
        // And none with the other LAN's addresses in it.
        const other = lan === 'A' ? addresses.B : addresses.A;
        for (const l of wire as string[]) for (const a of [...other.ipv4, ...other.ipv6]) expect(l).not.toContain(` ${a}`);
      }
    } finally {
      await ours.stop();
    }
  }, 60000);

  withPeers('a legacy unicast query (not from port 5353) gets a unicast reply with its id, its question and TTLs of 10 s at most', async () => {
    const ours = await startResponder();
    try {
      for (const [querier, group, lan] of [
        [querierA, '224.0.0.251', 'A'],
        [querierB, 'ff02::fb', 'B'],
      ] as const) {
        const { port, replies } = await resolveMdnsLegacy(querier, `${NAME}.local`, 'eth0', group);
        expect(port).not.toBe(5353);
        expect(replies).toHaveLength(1);
        const reply = replies[0] as (typeof replies)[0];
        expect(reply.id).toBe(0x4242);
        expect(reply.questions).toEqual([`${NAME}.local.`, `${NAME}.local.`]);
        expect(reply.from.port).toBe(5353);
        expect([...addresses[lan].ipv4, ...addresses[lan].ipv6]).toContain(reply.from.address.split('%')[0]);
        expect(sorted({ ...reply, sources: [] })).toEqual(expected(lan));
        for (const r of [...reply.A, ...reply.AAAA]) expect(r.ttl).toBeLessThanOrEqual(10);
      }
    } finally {
      await ours.stop();
    }
  }, 60000);

  withAvahi('with avahi-daemon beside it on 5353: both keep answering, each for its own name, per LAN', async () => {
    const avahi = await startAvahi(responder, AVAHI_NAME, ['eth0', 'eth1']);
    const ours = await startResponder();
    try {
      for (const [querier, lan] of [
        [querierA, 'A'],
        [querierB, 'B'],
      ] as const) {
        const [mine, theirs] = await Promise.all([resolveMdns(querier, `${NAME}.local`), resolveMdns(querier, `${AVAHI_NAME}.local`)]);
        expect(sorted(mine)).toEqual(expected(lan));
        expect(sorted(theirs)).toEqual({ A: [`10.74.${lan === 'A' ? 1 : 2}.1`], AAAA: [`fd74:${lan === 'A' ? 1 : 2}::1`] });
        // Legacy unicast queries too: each responder still gets the queries for its name.
        const [legacyMine, legacyTheirs] = await Promise.all([resolveMdnsLegacy(querier, `${NAME}.local`, 'eth0'), resolveMdnsLegacy(querier, `${AVAHI_NAME}.local`, 'eth0')]);
        expect(legacyMine.replies.map((r) => r.A.map((x) => x.address))).toEqual([addresses[lan].ipv4]);
        expect(legacyTheirs.replies.map((r) => r.A.map((x) => x.address))).toEqual([[`10.74.${lan === 'A' ? 1 : 2}.1`]]);
      }
      expect(avahi.child.exitCode).toBeNull();
    } finally {
      await ours.stop();
      await avahi.stop();
    }
  }, 90000);
});
