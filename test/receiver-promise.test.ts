// SPEC's "What a receiver gets", rule by rule, IPv4 and IPv6, on two LANs of the lab: only datagrams
// to a joined group, on its port, that arrived on an interface where that group was joined, from an
// allowed source; never unicast, never another group's datagram, even when another socket or
// program joined that group on the same port; two receivers both get everything.
//
// Each "nothing arrived" is proven twice: a marker sent afterwards to the same receiver (the same OS
// socket, so a datagram let through would have come first) arrives, and a witness (a plain dgram
// socket, socat, or a second receiver) shows that the unwanted datagrams did reach this host. And
// each test asserts `stats().filtered`, which tells where a datagram was stopped: by the kernel
// (per-group binds, IP_MULTICAST_ALL=0, source filters) or by our native per-datagram filter.
import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';

import { McastRxSocket, type McastMessage, scanInterfaces } from '../lib';
import { type Agent, Lab, type LabProcess } from '../lab/lab';
import { Inbox, describeLab, freshGroup, freshPort, itWithTools, sleep } from './helpers';

type Family = 'ipv4' | 'ipv6';
const families: Family[] = ['ipv4', 'ipv6'];
const withSocat = itWithTools({ socat: 'socat' });
const withPython = itWithTools({ python3: 'python3' });

/** Addresses of the lab (see beforeAll): lab.self has ifA on LAN A and ifB on LAN B. */
const addr = {
  ipv4: { selfA: '10.91.1.100', selfB: '10.91.2.100', h1: '10.91.1.1', h2: '10.91.1.2', h3: '10.91.2.3' },
  ipv6: { selfA: 'fd91:1::100', selfB: 'fd91:2::100', h1: 'fd91:1::1', h2: 'fd91:1::2', h3: 'fd91:2::3' },
};

/** Agent code: sends `${prefix} 0`, `${prefix} 1`, ... to group:port out of eth0, one datagram at a time. */
function sendNumbered(family: Family, prefix: string, group: string, port: number, count = 1): string {
  return `state.tx ??= {};
    const tx = (state.tx.${family} ??= new mce.McastTxSocket({ iface: 'eth0', family: '${family}' }));
    for (let i = 0; i < ${count}; i++) await tx.send(${JSON.stringify(prefix)} + ' ' + i, ${JSON.stringify(group)}, ${port});`;
}

/** Agent code: a unicast datagram to address:port from a plain dgram socket. */
function sendUnicast(family: Family, text: string, address: string, port: number): string {
  return `const u = require('node:dgram').createSocket('${family === 'ipv4' ? 'udp4' : 'udp6'}');
    await new Promise((resolve, reject) => u.send(${JSON.stringify(text)}, ${port}, ${JSON.stringify(address)}, (e) => (e ? reject(e) : resolve())));
    u.close();`;
}

/** The texts `${prefix} 0` .. `${prefix} ${count - 1}`. */
function numbered(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix} ${i}`);
}

/** Waits until `check()` is true (polled every 10 ms); fails with `what` after `timeoutMs`. */
async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * A plain dgram socket on this host, bound to the port on every address and joined to `groups` on
 * `ifaceAddress`'s interface. Node sets no IP_MULTICAST_ALL, so it sees every group any socket here
 * joined, and unicast too: it is the proof that a datagram reached this host.
 */
class Witness {
  readonly texts: string[] = [];
  private constructor(readonly socket: dgram.Socket) {
    socket.on('message', (m) => this.texts.push(m.toString()));
  }

  static async open(family: Family, port: number, groups: string[], iface: { address: string; name: string }): Promise<Witness> {
    const socket = dgram.createSocket(family === 'ipv4' ? { type: 'udp4', reuseAddr: true } : { type: 'udp6', reuseAddr: true, ipv6Only: true });
    await new Promise<void>((resolve) => socket.bind(port, resolve));
    for (const g of groups) socket.addMembership(g, family === 'ipv4' ? iface.address : `::%${iface.name}`);
    return new Witness(socket);
  }

  async saw(text: string): Promise<void> {
    await until(`the witness to see "${text}"`, () => this.texts.includes(text));
  }

  close(): void {
    this.socket.close();
  }
}

describeLab('what a receiver gets (SPEC), rule by rule', () => {
  let lab: Lab;
  let ifA: string;
  let ifB: string;
  let a1: Agent; // h1 on LAN A
  let a2: Agent; // h2 on LAN A
  let a3: Agent; // h3 on LAN B
  const open: Array<{ close(): void }> = [];

  function track<T extends { close(): void }>(s: T): T {
    open.push(s);
    return s;
  }
  function rx(options: ConstructorParameters<typeof McastRxSocket>[0]): McastRxSocket {
    return track(new McastRxSocket(options));
  }
  const indexOf = (name: string): number => scanInterfaces().find((i) => i.name === name)?.index ?? -1;

  beforeAll(async () => {
    lab = await Lab.create();
    const [lanA, lanB] = await Promise.all([lab.lan('pa'), lab.lan('pb')]);
    ifA = await lab.connect(lab.self, lanA, { ipv4: '10.91.1.100/24', ipv6: 'fd91:1::100/64' });
    ifB = await lab.connect(lab.self, lanB, { ipv4: '10.91.2.100/24', ipv6: 'fd91:2::100/64' });
    const [h1, h2, h3] = await Promise.all([lab.host('h1'), lab.host('h2'), lab.host('h3')]);
    await lab.connect(h1, lanA, { ipv4: '10.91.1.1/24', ipv6: 'fd91:1::1/64' });
    await lab.connect(h2, lanA, { ipv4: '10.91.1.2/24', ipv6: 'fd91:1::2/64' });
    await lab.connect(h3, lanB, { ipv4: '10.91.2.3/24', ipv6: 'fd91:2::3/64' });
    [a1, a2, a3] = await Promise.all([h1.agent(), h2.agent(), h3.agent()]);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await Promise.all([a1, a2, a3].map((a) => a?.stop()));
    await lab?.close();
  });

  it.each(families)(
    '%s: one group joined on interfaces A and B by three receivers (A, B, both): each gets what arrived where it joined, with group, interface and source',
    async (family) => {
      const a = addr[family];
      const g = freshGroup(family);
      const port = freshPort();
      const onA = new Inbox(rx({ groups: [g], port, iface: ifA }));
      const onB = new Inbox(rx({ groups: [g], port, iface: ifB }));
      const onBoth = new Inbox(rx({ groups: [g], port, ifaces: [ifA, ifB] }));
      const n = 5;

      // Via B first: the receiver on B (and the one on both) get it; the receiver on A must not.
      await a3.run(sendNumbered(family, 'via B', g, port, n));
      await onB.waitForCount(n);
      await until('the receiver on both to get the datagrams via B', () => onBoth.messages.length === n);
      // Then via A, sent once B's datagrams were delivered: on A's OS socket a datagram via B let
      // through would have arrived before these. Then one more each way, so that each receiver's
      // last datagram came after everything it must not get.
      await a1.run(sendNumbered(family, 'via A', g, port, n));
      await onA.waitForCount(n);
      await until('the receiver on both to get the datagrams via A', () => onBoth.messages.length === 2 * n);
      await a3.run(sendNumbered(family, 'last via B', g, port));
      await onB.waitFor('last via B 0');
      await a1.run(sendNumbered(family, 'last via A', g, port));
      await onA.waitFor('last via A 0');
      await until('the receiver on both to get both last datagrams', () => onBoth.messages.length === 2 * n + 2);
      // IPv6 (see below): the other interface's datagrams reach the receivers' OS sockets; once all
      // are counted, nothing of them is still unread.
      const expectedFiltered = family === 'ipv4' ? [0, 0, 0] : [n + 1, n + 1, 0];
      const filtered = (): number[] => [onA, onB, onBoth].map((i) => i.rx.stats().filtered);
      if (family === 'ipv6') await until('the filtered counts', () => filtered().every((f, i) => f >= (expectedFiltered[i] as number)));

      const expectFrom = (msgs: McastMessage[], iface: string, source: string): void => {
        for (const m of msgs) expect(m).toMatchObject({ group: g, port, ifaceName: iface, ifaceIndex: indexOf(iface), source: { address: source, family }, truncated: false });
      };
      expect(onA.texts).toEqual([...numbered('via A', n), 'last via A 0']);
      expectFrom(onA.messages, ifA, a.h1);
      expect(onB.texts).toEqual([...numbered('via B', n), 'last via B 0']);
      expectFrom(onB.messages, ifB, a.h3);
      expect(onBoth.texts).toEqual([...numbered('via B', n), ...numbered('via A', n), 'last via B 0', 'last via A 0']);
      expectFrom(onBoth.messages.filter((m) => m.data.toString().includes('via A')), ifA, a.h1);
      expectFrom(onBoth.messages.filter((m) => m.data.toString().includes('via B')), ifB, a.h3);

      // Who stopped the datagrams of the other interface. IPv4: the kernel (IP_MULTICAST_ALL=0 makes
      // it check the arrival interface against the socket's own memberships), so nothing reached our
      // filter. IPv6: Linux's membership check ignores the interface (IPV6_MULTICAST_ALL does not
      // help: the socket did join the group), so each such datagram reached the receiver's OS socket
      // and our per-datagram filter stopped it: it is what keeps the promise there.
      expect(filtered()).toEqual(expectedFiltered);
      expect([onA, onB, onBoth].map((i) => i.rx.stats().received)).toEqual([n + 1, n + 1, 2 * n + 2]);
    },
  );

  it.each(families)('%s: one socket on two groups and two interfaces: every datagram says which group and which interface', async (family) => {
    const a = addr[family];
    const [g1, g2] = [freshGroup(family), freshGroup(family)];
    const port = freshPort();
    const inbox = new Inbox(rx({ groups: [g1, g2], port, ifaces: [ifA, ifB] }));
    await a1.run(sendNumbered(family, 'g1 via A', g1, port));
    await a1.run(sendNumbered(family, 'g2 via A', g2, port));
    await a3.run(sendNumbered(family, 'g1 via B', g1, port));
    await a3.run(sendNumbered(family, 'g2 via B', g2, port));
    await inbox.waitForCount(4);
    const seen = inbox.messages.map((m) => [m.data.toString(), m.group, m.ifaceName, m.ifaceIndex, m.source.address]).sort();
    expect(seen).toEqual(
      [
        ['g1 via A 0', g1, ifA, indexOf(ifA), a.h1],
        ['g1 via B 0', g1, ifB, indexOf(ifB), a.h3],
        ['g2 via A 0', g2, ifA, indexOf(ifA), a.h1],
        ['g2 via B 0', g2, ifB, indexOf(ifB), a.h3],
      ].sort(),
    );
    expect(inbox.rx.stats()).toMatchObject({ received: 4, filtered: 0 });
  });

  it.each(families)('%s: never another group\'s datagram, though a dgram socket on the same port joined that group', async (family) => {
    const [mine, other] = [freshGroup(family), freshGroup(family)];
    const port = freshPort();
    const inbox = new Inbox(rx({ groups: [mine], port, iface: ifA }));
    const witness = track(await Witness.open(family, port, [other], { address: addr[family].selfA, name: ifA }));
    await a1.run(sendNumbered(family, 'other group', other, port, 3));
    await witness.saw('other group 2');
    await a1.run(sendNumbered(family, 'marker', mine, port));
    await inbox.waitFor('marker 0');
    expect(inbox.texts).toEqual(['marker 0']);
    // Bound to its group's address, the receiver's OS socket never even saw the other group.
    expect(inbox.rx.stats()).toMatchObject({ received: 1, filtered: 0 });
  });

  withSocat.each(families)('%s: never another group\'s datagram, though socat (another program) joined that group on the same port', async (family) => {
    const [mine, other] = [freshGroup(family), freshGroup(family)];
    const port = freshPort();
    const inbox = new Inbox(rx({ groups: [mine], port, iface: ifA }));
    const address =
      family === 'ipv4' ? `UDP4-RECV:${port},ip-add-membership=${other}:${addr.ipv4.selfA},reuseaddr` : `UDP6-RECV:${port},ipv6-join-group=[${other}]:${ifA},reuseaddr`;
    const socat: LabProcess = lab.self.spawn('socat', ['-u', address, '-']);
    try {
      // socat has joined once the kernel lists the group on the interface (for whichever family).
      const listed = async (): Promise<boolean> => {
        const table = await lab.self.sh(family === 'ipv4' ? 'cat /proc/net/igmp' : 'cat /proc/net/igmp6');
        const hex = family === 'ipv4' ? other.split('.').map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase()).reverse().join('') : expand6(other);
        return table.includes(hex);
      };
      for (let i = 0; i < 100 && !(await listed()); i++) await sleep(30);
      expect(await listed()).toBe(true);
      await a1.run(sendNumbered(family, 'for socat', other, port, 3));
      await socat.waitFor('for socat 2');
      await a1.run(sendNumbered(family, 'marker', mine, port));
      await inbox.waitFor('marker 0');
      expect(inbox.texts).toEqual(['marker 0']);
      expect(inbox.rx.stats()).toMatchObject({ received: 1, filtered: 0 });
    } finally {
      await socat.stop();
    }
  });

  it.each(families)('%s: never unicast to the port, nor the group on another port', async (family) => {
    const g = freshGroup(family);
    const port = freshPort();
    // The witness binds first: of several sockets bound to the port on every address, Linux gives a
    // unicast datagram to the one bound last. So were the receiver bound like that (and not to its
    // group's address), it, not the witness, would get the datagram.
    const witness = track(await Witness.open(family, port, [], { address: addr[family].selfA, name: ifA }));
    const inbox = new Inbox(rx({ groups: [g], port, iface: ifA }));
    const elsewhere = new Inbox(rx({ groups: [g], port: port + 1, iface: ifA }));
    await a1.run(sendUnicast(family, 'unicast', addr[family].selfA, port));
    await witness.saw('unicast');
    await a1.run(sendNumbered(family, 'other port', g, port + 1));
    await elsewhere.waitFor('other port 0');
    await a1.run(sendNumbered(family, 'marker', g, port));
    await inbox.waitFor('marker 0');
    expect(inbox.texts).toEqual(['marker 0']);
    expect(elsewhere.texts).toEqual(['other port 0']);
    expect(inbox.rx.stats()).toMatchObject({ received: 1, filtered: 0 });
  });

  it.each(families)('%s: sources: a source-specific receiver and a blocked source get nothing from a disallowed sender', async (family) => {
    const a = addr[family];
    const ssmGroup = family === 'ipv4' ? `232.91.${(freshPort() >> 8) & 255}.${freshPort() & 255}` : freshGroup('ipv6').replace(/^ff15/, 'ff35');
    const asmGroup = freshGroup(family);
    const port = freshPort();
    const ssm = new Inbox(rx({ groups: [ssmGroup], port, iface: ifA, sources: [a.h1] }));
    const blocking = rx({ groups: [asmGroup], port, iface: ifA });
    blocking.blockSource(asmGroup, a.h2);
    const asm = new Inbox(blocking);
    // Any-source members of both groups on this host: the kernel takes h2's datagrams in, and only
    // the receivers' own source filters keep them out.
    const witness = track(await Witness.open(family, port, [ssmGroup, asmGroup], { address: a.selfA, name: ifA }));
    await a2.run(sendNumbered(family, 'from h2 to ssm', ssmGroup, port, 2));
    await a2.run(sendNumbered(family, 'from h2 to asm', asmGroup, port, 2));
    await witness.saw('from h2 to ssm 1');
    await witness.saw('from h2 to asm 1');
    await a1.run(sendNumbered(family, 'from h1 to ssm', ssmGroup, port));
    await a1.run(sendNumbered(family, 'from h1 to asm', asmGroup, port));
    await ssm.waitFor('from h1 to ssm 0');
    await asm.waitFor('from h1 to asm 0');
    expect(ssm.texts).toEqual(['from h1 to ssm 0']);
    expect(asm.texts).toEqual(['from h1 to asm 0']);
    // The kernel applied both filters (MCAST_JOIN_SOURCE_GROUP, MCAST_BLOCK_SOURCE): nothing of h2
    // reached the receivers' OS sockets.
    expect([ssm.rx.stats().filtered, asm.rx.stats().filtered]).toEqual([0, 0]);

    // Unblocked, h2 is heard again.
    blocking.unblockSource(asmGroup, a.h2);
    await a2.run(sendNumbered(family, 'h2 unblocked', asmGroup, port));
    await asm.waitFor('h2 unblocked 0');
    expect(asm.texts).toEqual(['from h1 to asm 0', 'h2 unblocked 0']);
  });

  it.each(families)('%s: two receivers in this process and one in another, on one group and port: each gets every datagram, in order', async (family) => {
    const g = freshGroup(family);
    const port = freshPort();
    const n = 20;
    const one = new Inbox(rx({ groups: [g], port, iface: ifA }));
    const two = new Inbox(rx({ groups: [g], port }));
    const other = lab.self.spawnEval(`
      const rx = new mce.McastRxSocket({ groups: [${JSON.stringify(g)}], port: ${port}, iface: ${JSON.stringify(ifA)} });
      rx.on('message', (m) => console.log('got ' + m.data.toString() + ' ' + m.group + ' ' + m.ifaceName));
      console.log('listening');
      setTimeout(() => rx.close(), 20000);`);
    try {
      await other.waitFor('listening', 10000);
      await a1.run(sendNumbered(family, 'all', g, port, n));
      await one.waitForCount(n);
      await two.waitForCount(n);
      await other.waitFor(`got all ${n - 1} `);
      const expected = numbered('all', n);
      expect(one.texts).toEqual(expected);
      expect(two.texts).toEqual(expected);
      expect(other.lines.filter((l) => l.startsWith('got '))).toEqual(expected.map((t) => `got ${t} ${g} ${ifA}`));
      for (const m of [...one.messages, ...two.messages]) expect([m.group, m.ifaceName]).toEqual([g, ifA]);
    } finally {
      await other.stop();
    }
  });

  // Defence in depth, read back from the kernel. IPv4: without IP_MULTICAST_ALL=0 the kernel hands a
  // socket every group any socket here joined, on any interface (the first test sees that in
  // `filtered`). IPv6: while each OS socket is bound to its group's address and has joined it,
  // Linux never consults IPV6_MULTICAST_ALL, so no datagram can show that it is off: only the kernel
  // can say so. It matters the day a socket is bound otherwise.
  withPython.each(families)('%s: the receiver\'s OS sockets have IP_MULTICAST_ALL / IPV6_MULTICAST_ALL off', (family) => {
    const port = freshPort();
    const r = rx({ groups: [freshGroup(family), freshGroup(family, 'link')], port, iface: ifA });
    const fds = socketsOnPort(family, port);
    expect(fds).toHaveLength(r.osSocketCount);
    for (const fd of fds) {
      // The socket, shared with a child as its descriptor 3: python reads the option from it.
      const level = family === 'ipv4' ? 'socket.IPPROTO_IP, 49' : 'socket.IPPROTO_IPV6, 29';
      const script = `import socket; s = socket.socket(fileno=3); print(s.getsockopt(${level})); s.detach()`;
      const out = spawnSync('python3', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8' });
      expect([out.stderr, out.stdout.trim()]).toEqual(['', '0']);
    }
  });
});

/** This process's descriptors of UDP sockets bound to `port` (matched by inode with /proc/net/udp[6]). */
function socketsOnPort(family: Family, port: number): number[] {
  const table = fs.readFileSync(family === 'ipv4' ? '/proc/net/udp' : '/proc/net/udp6', 'utf8').split('\n').slice(1);
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set(
    table
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f[1]?.endsWith(`:${hexPort}`))
      .map((f) => f[9]),
  );
  const out: number[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let link = '';
    try {
      link = fs.readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (m !== null && inodes.has(m[1])) out.push(Number(fd));
  }
  return out;
}

/** An IPv6 address as /proc/net/igmp6 writes it: 32 hex digits. */
function expand6(address: string): string {
  const [head = '', tail = ''] = address.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((x) => x.padStart(4, '0')).join('');
}
