// rx.reply(): an answer leaves from the receiver's own port, out of the interface the question
// arrived on and no other, from that interface's address, with the receiver's TTL; to the group, or
// by unicast back to the sender (IPv6 link-local ones by their scope). Seen on the wire (tcpdump on
// a peer of each LAN) and by the peers' own sockets. And it takes nothing from another program on
// the port: its multicast and its unicast keep arriving while we answer.
import { McastRxSocket, type McastMessage } from '../lib';
import { type Agent, type Host, Lab, type LabProcess } from '../lab/lab';
import { Inbox, catchRejection, describeLab, freshGroup, freshPort, itWithTools, sleep } from './helpers';

const withTcpdump = itWithTools({ tcpdump: 'tcpdump' });
const withPython = itWithTools({ python3: 'python3' });

/** A UDP datagram as tcpdump -v shows it. */
interface Packet {
  ttl: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  length: number;
}

/** The UDP datagrams of a capture (tcpdump -l -n -v), IPv4 and IPv6. */
function packets(stdout: string): Packet[] {
  const out: Packet[] = [];
  // IPv4 prints the header on one line and the addresses on the next; IPv6 both on one.
  const re = /(?:ttl|hlim) (\d+)[^\n]*\)\s+([0-9a-f.:]+)\.(\d+) > ([0-9a-f.:]+)\.(\d+): (?:\[[^\]]*\] )?UDP, length (\d+)/g;
  for (const m of stdout.matchAll(re)) {
    out.push({ ttl: Number(m[1]), src: m[2] as string, sport: Number(m[3]), dst: m[4] as string, dport: Number(m[5]), length: Number(m[6]) });
  }
  return out;
}

/**
 * Agent code on a peer: a querier, a plain dgram socket on `qport` that sends questions out of its
 * eth0 and keeps every unicast answer in state.answers.
 */
function querierCode(family: 4 | 6, address: string, qport: number): string {
  return `const dgram = require('node:dgram');
    state.answers = [];
    state.q = dgram.createSocket({ type: 'udp${family}' });
    state.q.on('message', (m, r) => state.answers.push({ data: m.toString(), address: r.address, port: r.port }));
    await new Promise((resolve) => state.q.bind(${qport}, resolve));
    state.q.setMulticastInterface(${JSON.stringify(family === 4 ? address : '::%eth0')});
    return null;`;
}

function askCode(data: string, group: string, port: number): string {
  return `await new Promise((resolve, reject) => state.q.send(${JSON.stringify(data)}, ${port}, ${JSON.stringify(group)}, (e) => (e ? reject(e) : resolve())));
    return null;`;
}

describeLab('rx.reply(): out of the arrival interface, from the receiver port', () => {
  let lab: Lab;
  let ifA: string;
  let ifB: string;
  let pa: Host;
  let pb: Host;
  let qa: Agent;
  let qb: Agent;
  let llA: string;
  let llB: string;
  const open: McastRxSocket[] = [];
  const QPORT4 = 41000;
  const QPORT6 = 41001;

  beforeAll(async () => {
    lab = await Lab.create();
    const [lanA, lanB] = await Promise.all([lab.lan('rep-a'), lab.lan('rep-b')]);
    ifA = await lab.connect(lab.self, lanA, { ipv4: '10.81.1.100/24', ipv6: 'fd81:1::100/64' });
    ifB = await lab.connect(lab.self, lanB, { ipv4: '10.81.2.100/24', ipv6: 'fd81:2::100/64' });
    [pa, pb] = await Promise.all([lab.host('pa'), lab.host('pb')]);
    await lab.connect(pa, lanA, { ipv4: '10.81.1.2/24', ipv6: 'fd81:1::2/64' });
    await lab.connect(pb, lanB, { ipv4: '10.81.2.2/24', ipv6: 'fd81:2::2/64' });
    [qa, qb] = await Promise.all([pa.agent(), pb.agent()]);
    const linkLocal = async (ifname: string): Promise<string> => {
      const out = await lab.self.ip('-6', '-o', 'addr', 'show', 'dev', ifname, 'scope', 'link');
      return (/inet6 (fe80::[0-9a-f:]+)\//.exec(out) as RegExpExecArray)[1] as string;
    };
    [llA, llB] = await Promise.all([linkLocal(ifA), linkLocal(ifB)]);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await Promise.all([qa, qb].map((a) => a?.stop()));
    await lab?.close();
  });

  function receiver(groups: string[], port: number, extra: Record<string, unknown> = {}): McastRxSocket {
    const rx = new McastRxSocket({ groups, port, ifaces: [ifA, ifB], ...extra });
    open.push(rx);
    return rx;
  }

  async function capture(host: Host, filter: string): Promise<LabProcess> {
    const p = host.spawn('tcpdump', ['-l', '-n', '-v', '-i', 'eth0', filter]);
    // tcpdump says on stderr when it is listening.
    for (let i = 0; i < 100 && !p.output.stderr.includes('listening on'); i++) await sleep(50);
    return p;
  }

  /** Waits until the capture shows a datagram from `src` of `length` bytes, and returns it. */
  async function seen(cap: LabProcess, src: string, length: number): Promise<Packet> {
    for (let i = 0; i < 100; i++) {
      const p = packets(cap.stdout).find((x) => x.src === src && x.length === length);
      if (p !== undefined) return p;
      await sleep(50);
    }
    throw new Error(`no datagram of ${length} bytes from ${src} in the capture:\n${cap.stdout}`);
  }

  /** Asks from querier `q`, and returns the message the receiver got from it. */
  async function ask(q: Agent, inbox: Inbox, data: string, group: string, port: number): Promise<McastMessage> {
    const before = inbox.messages.length;
    await q.run(askCode(data, group, port));
    await inbox.waitForCount(before + 1, 5000);
    return inbox.messages[before] as McastMessage;
  }

  describe.each([
    { family: 4 as const, group: (): string => freshGroup(), ours: (): [string, string] => ['10.81.1.100', '10.81.2.100'], peers: ['10.81.1.2', '10.81.2.2'] },
    { family: 6 as const, group: (): string => freshGroup('ipv6', 'link'), ours: (): [string, string] => [llA, llB], peers: ['fd81:1::2', 'fd81:2::2'] },
  ])('IPv$family', ({ family, group: makeGroup, ours, peers }) => {
    const qport = family === 4 ? QPORT4 : QPORT6;
    beforeAll(async () => {
      await qa.run(querierCode(family, peers[0] as string, qport));
      await qb.run(querierCode(family, peers[1] as string, qport));
    });
    afterAll(async () => {
      await Promise.all([qa, qb].map((q) => q.run('state.q.close(); return null;')));
    });

    withTcpdump('to the group: out of the arrival interface only, from its address and the receiver port, TTL 1', async () => {
      const [ourA, ourB] = ours();
      const group = makeGroup();
      const port = freshPort();
      const rx = receiver([group], port);
      const inbox = new Inbox(rx);
      const [capA, capB] = await Promise.all([capture(pa, `udp port ${port}`), capture(pb, `udp port ${port}`)]);
      try {
        const fromA = await ask(qa, inbox, 'question-a', group, port);
        expect(fromA.ifaceName).toBe(ifA);
        await rx.reply(fromA, 'answer-to-a');
        const onA = await seen(capA, ourA, 'answer-to-a'.length);
        expect(onA).toEqual({ ttl: 1, src: ourA, sport: port, dst: group, dport: port, length: 'answer-to-a'.length });
        // The same from B leaves by B: the capture there sees what comes from us.
        const fromB = await ask(qb, inbox, 'question-b', group, port);
        expect(fromB.ifaceName).toBe(ifB);
        await rx.reply(fromB, 'answer-to-b!');
        const onB = await seen(capB, ourB, 'answer-to-b!'.length);
        expect(onB).toEqual({ ttl: 1, src: ourB, sport: port, dst: group, dport: port, length: 'answer-to-b!'.length });
        await sleep(200);
        // Each answer on its own LAN and nowhere else, nothing from another of our addresses.
        expect(packets(capA.stdout).filter((p) => p.src === ourA || p.src === ourB)).toEqual([onA]);
        expect(packets(capB.stdout).filter((p) => p.src === ourA || p.src === ourB)).toEqual([onB]);
      } finally {
        await Promise.all([capA.stop(), capB.stop()]);
      }
    });

    it("to: 'source': unicast back to each querier, from the arrival interface's address and the receiver port", async () => {
      const [ourA, ourB] = ours();
      const group = makeGroup();
      const port = freshPort();
      const rx = receiver([group], port);
      const inbox = new Inbox(rx);
      await Promise.all([qa, qb].map((q) => q.run('state.answers.length = 0; return null;')));
      const fromA = await ask(qa, inbox, 'qa', group, port);
      const fromB = await ask(qb, inbox, 'qb', group, port);
      if (family === 6) expect(fromA.source.scopeId).toBe(fromA.ifaceIndex);
      await rx.reply(fromA, 'for-a', { to: 'source' });
      await rx.reply(fromB, 'for-b', { to: 'source' });
      const answers = async (q: Agent): Promise<Array<{ data: string; address: string; port: number }>> => {
        for (let i = 0; i < 100; i++) {
          const got = await q.run<Array<{ data: string; address: string; port: number }>>('return state.answers;');
          if (got.length > 0) return got;
          await sleep(50);
        }
        return [];
      };
      const [gotA, gotB] = await Promise.all([answers(qa), answers(qb)]);
      await sleep(200);
      const strip = (a: string): string => a.split('%')[0] as string;
      expect((await answers(qa)).map((a) => ({ ...a, address: strip(a.address) }))).toEqual([{ data: 'for-a', address: ourA, port }]);
      expect((await answers(qb)).map((a) => ({ ...a, address: strip(a.address) }))).toEqual([{ data: 'for-b', address: ourB, port }]);
      expect(gotA.length + gotB.length).toBe(2);
    });

    withTcpdump("the TTL: the receiver's ttl option (mDNS: 255), or the reply's own", async () => {
      const [ourA] = ours();
      const group = makeGroup();
      const port = freshPort();
      const rx = receiver([group], port, { ttl: 255 });
      const inbox = new Inbox(rx);
      const cap = await capture(pa, `udp port ${port}`);
      try {
        const msg = await ask(qa, inbox, 'q', group, port);
        await rx.reply(msg, 'ttl-default');
        await rx.reply(msg, 'ttl-seven!', { ttl: 7 });
        await rx.reply(msg, 'unicast-to-the-querier', { to: 'source' });
        expect((await seen(cap, ourA, 'ttl-default'.length)).ttl).toBe(255);
        expect((await seen(cap, ourA, 'ttl-seven!'.length)).ttl).toBe(7);
        expect(await seen(cap, ourA, 'unicast-to-the-querier'.length)).toMatchObject({ ttl: 255, dst: msg.source.address, dport: qport, sport: port });
      } finally {
        await cap.stop();
      }
    });
  });

  withTcpdump('a group the receiver has left: answered from another of its sockets on that interface, and not joined', async () => {
    const asked = freshGroup();
    const other = freshGroup();
    const port = freshPort();
    const rx = receiver([asked, other], port);
    const inbox = new Inbox(rx);
    await qa.run(querierCode(4, '10.81.1.2', QPORT4));
    const cap = await capture(pa, `udp port ${port}`);
    try {
      const msg = await ask(qa, inbox, 'q', asked, port);
      rx.leave(asked);
      await rx.reply(msg, 'after-leave');
      expect(await seen(cap, '10.81.1.100', 'after-leave'.length)).toMatchObject({ dst: asked, sport: port });
      const hex = asked
        .split('.')
        .map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase())
        .reverse()
        .join('');
      expect(await lab.self.sh('cat /proc/net/igmp')).not.toContain(hex);
      expect(rx.groups).toEqual([other]);
    } finally {
      await cap.stop();
      await qa.run('state.q.close(); return null;');
    }
  });

  it('an interface the receiver no longer listens on: ENODEV naming it, nothing sent', async () => {
    const group = freshGroup();
    const port = freshPort();
    const rx = receiver([group], port);
    const inbox = new Inbox(rx);
    await qa.run(querierCode(4, '10.81.1.2', QPORT4));
    try {
      const msg = await ask(qa, inbox, 'q', group, port);
      rx.leave(group, { ifaces: [ifA] });
      const err = await catchRejection(rx.reply(msg, 'nope'));
      expect(err.code).toBe('ENODEV');
      expect(err.message).toContain(ifA);
    } finally {
      await qa.run('state.q.close(); return null;');
    }
  });

  it('bad arguments are MulticastExpertErrors with their codes', async () => {
    const group = freshGroup();
    const port = freshPort();
    const rx = receiver([group], port);
    const inbox = new Inbox(rx);
    await qa.run(querierCode(4, '10.81.1.2', QPORT4));
    try {
      const msg = await ask(qa, inbox, 'q', group, port);
      expect((await catchRejection(rx.reply(msg, 'x', { to: 'everyone' as 'group' }))).code).toBe('ERR_INVALID_OPTION');
      expect((await catchRejection(rx.reply(msg, 'x', { ttl: 0 }))).code).toBe('ERR_INVALID_OPTION');
      expect((await catchRejection(rx.reply(msg, 'x', { ttl: 256 }))).code).toBe('ERR_INVALID_OPTION');
      expect((await catchRejection(rx.reply(null as unknown as McastMessage, 'x'))).code).toBe('ERR_INVALID_OPTION');
      expect((await catchRejection(rx.reply({ ...msg, group: 'ff02::fb' }, 'x'))).code).toBe('ERR_FAMILY_MISMATCH');
      expect((await catchRejection(rx.reply(msg, 42 as unknown as string))).code).toBe('ERR_INVALID_OPTION');
      expect(() => new McastRxSocket({ groups: [group], port, ttl: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
      rx.close();
      expect((await catchRejection(rx.reply(msg, 'x'))).code).toBe('ERR_SOCKET_CLOSED');
    } finally {
      await qa.run('state.q.close(); return null;');
    }
  });

  withPython("another program on the port keeps its multicast and its unicast while we answer", async () => {
    const group = freshGroup();
    const port = freshPort();
    // A plain program on the port, as avahi-daemon is on 5353: bound to the wildcard address with
    // SO_REUSEADDR, joined to the group; it prints each datagram it gets.
    const other = lab.self.spawn('python3', [
      '-u',
      '-c',
      `import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('', ${port}))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, struct.pack('4s4s', socket.inet_aton('${group}'), socket.inet_aton('10.81.1.100')))
print('ready', flush=True)
while True:
    data, addr = s.recvfrom(2048)
    print(data.decode(), addr[0], flush=True)`,
    ]);
    try {
      await other.waitFor('ready', 5000);
      const rx = receiver([group], port);
      const inbox = new Inbox(rx);
      await qa.run(querierCode(4, '10.81.1.2', QPORT4));
      const rounds = 5;
      for (let i = 0; i < rounds; i++) {
        const msg = await ask(qa, inbox, `mcast-${i}`, group, port);
        await rx.reply(msg, `answer-${i}`);
        await rx.reply(msg, `direct-${i}`, { to: 'source' });
        // Unicast to our address on the port: the other program's, never ours.
        await qa.run(`await new Promise((resolve, reject) => state.q.send('unicast-${i}', ${port}, '10.81.1.100', (e) => (e ? reject(e) : resolve()))); return null;`);
      }
      for (let i = 0; i < rounds; i++) {
        await other.waitFor(`mcast-${i} 10.81.1.2`, 5000);
        await other.waitFor(`unicast-${i} 10.81.1.2`, 5000);
      }
      // Our receiver got every question and no unicast; the querier every direct answer.
      expect(inbox.messages.map((m) => m.data.toString())).toEqual(Array.from({ length: rounds }, (_, i) => `mcast-${i}`));
      const direct = await qa.run<Array<{ data: string }>>('return state.answers;');
      expect(direct.map((a) => a.data)).toEqual(Array.from({ length: rounds }, (_, i) => `direct-${i}`));
      // And each unicast reached it once (no copy, nothing lost).
      for (let i = 0; i < rounds; i++) expect(other.lines.filter((l) => l.startsWith(`unicast-${i} `))).toHaveLength(1);
    } finally {
      await other.stop();
      await qa.run('state.q?.close(); return null;');
    }
  });
});
