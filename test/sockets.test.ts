// McastTxSocket and McastRxSocket between real hosts of the lab: the group and interface of every
// datagram, isolation from unicast and other groups, several receivers, SSM, blocking, dynamic
// membership, IPv6 scopes, sizes, timestamps, and the receive/close semantics. Ports the Python
// library's suite (address objects, SSM, unicast blocked, different group blocked, several receivers
// on one port, duplicate groups, timeouts) and goes beyond it.
import { ErrorCodes, McastRxSocket, McastTxSocket, type McastMessage, scanInterfaces } from '../lib';
import { type Agent, Lab, type Lan } from '../lab/lab';
import { Inbox, catchRejection, describeLab, expectCode, freshGroup, freshPort, sendCode, sleep } from './helpers';

describeLab('McastTxSocket and McastRxSocket in the lab', () => {
  let lab: Lab;
  let lanA: Lan;
  let ifA: string; // lab.self on LAN A: 10.61.1.100, fd61:1::100
  let ifB: string; // lab.self on LAN B: 10.61.2.100, fd61:2::100
  let a1: Agent; // h1 on LAN A: 10.61.1.1, fd61:1::1
  let a2: Agent; // h2 on LAN A: 10.61.1.2, fd61:1::2
  let a3: Agent; // h3 on LAN B: 10.61.2.3, fd61:2::3
  const open: Array<{ close(): void }> = [];

  function rx(options: ConstructorParameters<typeof McastRxSocket>[0]): McastRxSocket {
    const s = new McastRxSocket(options);
    open.push(s);
    return s;
  }

  beforeAll(async () => {
    lab = await Lab.create();
    lanA = await lab.lan('a');
    const lanB = await lab.lan('b');
    ifA = await lab.connect(lab.self, lanA, { ipv4: '10.61.1.100/24', ipv6: 'fd61:1::100/64' });
    ifB = await lab.connect(lab.self, lanB, { ipv4: '10.61.2.100/24', ipv6: 'fd61:2::100/64' });
    const [h1, h2, h3] = await Promise.all([lab.host('h1'), lab.host('h2'), lab.host('h3')]);
    await lab.connect(h1, lanA, { ipv4: '10.61.1.1/24', ipv6: 'fd61:1::1/64' });
    await lab.connect(h2, lanA, { ipv4: '10.61.1.2/24', ipv6: 'fd61:1::2/64' });
    await lab.connect(h3, lanB, { ipv4: '10.61.2.3/24', ipv6: 'fd61:2::3/64' });
    [a1, a2, a3] = await Promise.all([h1.agent(), h2.agent(), h3.agent()]);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await Promise.all([a1, a2, a3].map((a) => a?.stop()));
    await lab?.close();
  });

  const v4 = { iface: 'eth0' };
  const v6 = { iface: 'eth0', family: 'ipv6' };

  it('one socket on two groups of one port: each datagram reports its own group', async () => {
    const [g1, g2] = [freshGroup(), freshGroup()];
    const port = freshPort();
    const inbox = new Inbox(rx({ groups: [g1, g2], port }));
    await a1.run(sendCode(v4, 'to g1', g1, port));
    await a1.run(sendCode(v4, 'to g2', g2, port));
    expect((await inbox.waitFor('to g1')).group).toBe(g1);
    expect((await inbox.waitFor('to g2')).group).toBe(g2);
    const m = await inbox.waitFor('to g1');
    expect(m).toMatchObject({ port, source: { address: '10.61.1.1', family: 'ipv4' }, ifaceName: ifA, truncated: false });
    expect(m.source.port).toBeGreaterThan(0);
    expect(m.timestamp).toBeUndefined();
  });

  it('one socket on two LANs: each datagram reports its own interface', async () => {
    const g = freshGroup();
    const port = freshPort();
    const s = rx({ groups: [g], port });
    expect(s.ifaces.map((i) => i.name).sort()).toEqual([ifA, ifB].sort());
    const inbox = new Inbox(s);
    await a1.run(sendCode(v4, 'via A', g, port));
    await a3.run(sendCode(v4, 'via B', g, port));
    const viaA = await inbox.waitFor('via A');
    const viaB = await inbox.waitFor('via B');
    const index = (name: string) => scanInterfaces().find((i) => i.name === name)?.index;
    expect([viaA.ifaceName, viaA.ifaceIndex]).toEqual([ifA, index(ifA)]);
    expect([viaB.ifaceName, viaB.ifaceIndex]).toEqual([ifB, index(ifB)]);
    expect(viaB.source.address).toBe('10.61.2.3');
  });

  it('never delivers unicast to the port, nor another group of the port (unicast and different group blocked)', async () => {
    const [mine, other] = [freshGroup(), freshGroup()];
    const port = freshPort();
    const inbox = new Inbox(rx({ groups: [mine], port }));
    // A receiver in the same process on the other group of the same port.
    const otherInbox = new Inbox(rx({ groups: [other], port }));
    await a1.run(`const d = require('node:dgram').createSocket('udp4');
      await new Promise((r) => d.send('unicast', ${port}, '10.61.1.100', r)); d.close();`);
    await a1.run(sendCode(v4, 'other group', other, port));
    await a1.run(sendCode(v4, 'marker', mine, port));
    await inbox.waitFor('marker');
    await otherInbox.waitFor('other group');
    expect(inbox.texts).toEqual(['marker']);
    expect(otherInbox.texts).toEqual(['other group']);
  });

  it('two programs on one port and different groups see none of each other\'s traffic', async () => {
    const [g1, g2] = [freshGroup(), freshGroup()];
    const port = freshPort();
    const inbox = new Inbox(rx({ groups: [g1], port }));
    const other = lab.self.spawnEval(`
      const rx = new mce.McastRxSocket({ groups: [${JSON.stringify(g2)}], port: ${port} });
      rx.on('message', (m) => console.log('got', m.data.toString(), m.group));
      console.log('listening');
      setTimeout(() => rx.close(), 20000);`);
    await other.waitFor('listening', 10000);
    await a1.run(sendCode(v4, 'for g2', g2, port));
    await a1.run(sendCode(v4, 'for g1', g1, port));
    await a1.run(sendCode(v4, 'for g2 again', g2, port));
    await other.waitFor('got for g2 again');
    await inbox.waitFor('for g1');
    await other.stop();
    expect(inbox.texts).toEqual(['for g1']);
    expect(other.lines.filter((l) => l.startsWith('got'))).toEqual([`got for g2 ${g2}`, `got for g2 again ${g2}`]);
  });

  it('several receivers on one group and port, in this process and another, all get every datagram', async () => {
    const g = freshGroup();
    const port = freshPort();
    const one = new Inbox(rx({ groups: [g], port }));
    const two = new Inbox(rx({ groups: [g], port, iface: ifA }));
    const other = lab.self.spawnEval(`
      const rx = new mce.McastRxSocket({ groups: [${JSON.stringify(g)}], port: ${port} });
      rx.on('message', (m) => console.log('got', m.data.toString()));
      console.log('listening');
      setTimeout(() => rx.close(), 20000);`);
    await other.waitFor('listening', 10000);
    await a1.run(sendCode(v4, 'everyone', g, port, 3));
    await one.waitForCount(3);
    await two.waitForCount(3);
    await other.waitFor('got everyone');
    await sleep(50);
    await other.stop();
    expect(one.texts).toEqual(['everyone', 'everyone', 'everyone']);
    expect(two.texts).toEqual(['everyone', 'everyone', 'everyone']);
    expect(other.lines.filter((l) => l === 'got everyone')).toHaveLength(3);
  });

  it('merges duplicate groups, interfaces and sources instead of failing (the Python library crashed)', async () => {
    const g = freshGroup('ipv6');
    const port = freshPort();
    const upper = g.toUpperCase().replace('::', ':0::');
    const s = rx({ groups: [g, g, upper], port, ifaces: [ifA, ifA, 'fd61:1::100'], sources: ['fd61:1::1', 'FD61:1:0::1'] });
    expect(s.groups).toEqual([g]);
    expect(s.ifaces.map((i) => i.name)).toEqual([ifA]);
    expect(s.osSocketCount).toBe(1);
    const inbox = new Inbox(s);
    s.join(g);
    s.join(upper, { ifaces: [ifA] });
    await a1.run(sendCode(v6, 'once', g, port));
    await a1.run(sendCode(v6, 'twice', g, port));
    await inbox.waitFor('twice');
    expect(inbox.texts).toEqual(['once', 'twice']);
  });

  it('takes interfaces as names, indexes, addresses and IfaceInfo objects (address objects)', async () => {
    const info = scanInterfaces().find((i) => i.name === ifA);
    if (info === undefined) throw new Error('no ifA');
    for (const iface of [ifA, info.index, '10.61.1.100', info]) {
      const g = freshGroup();
      const port = freshPort();
      const s = rx({ groups: [g], port, iface });
      expect(s.ifaces.map((i) => i.index)).toEqual([info.index]);
      const inbox = new Inbox(s);
      await a1.run(sendCode(v4, 'addressed', g, port));
      expect((await inbox.waitFor('addressed')).ifaceIndex).toBe(info.index);
    }
    const tx = new McastTxSocket({ iface: info });
    expect(tx.iface.index).toBe(info.index);
    tx.close();
  });

  it.each(['ipv4', 'ipv6'] as const)('source-specific multicast (%s): of two senders only the allowed one arrives', async (family) => {
    const g = family === 'ipv4' ? `232.1.${(freshPort() >> 8) & 255}.${freshPort() & 255}` : freshGroup('ipv6').replace(/^ff15/, 'ff35');
    const port = freshPort();
    const allowed = family === 'ipv4' ? '10.61.1.1' : 'fd61:1::1';
    const inbox = new Inbox(rx({ groups: [g], port, sources: [allowed], iface: ifA }));
    const opts = family === 'ipv4' ? v4 : v6;
    await a2.run(sendCode(opts, 'from h2', g, port));
    await a1.run(sendCode(opts, 'from h1', g, port));
    await a2.run(sendCode(opts, 'from h2 again', g, port));
    await a1.run(sendCode(opts, 'from h1 again', g, port));
    await inbox.waitFor('from h1 again');
    expect(inbox.texts).toEqual(['from h1', 'from h1 again']);
    expect(inbox.messages.every((m) => m.source.address === allowed)).toBe(true);
  });

  it.each(['ipv4', 'ipv6'] as const)('a later join with another source widens a source-specific membership (%s)', async (family) => {
    const g = family === 'ipv4' ? `232.2.${(freshPort() >> 8) & 255}.${freshPort() & 255}` : freshGroup('ipv6').replace(/^ff15/, 'ff35');
    const port = freshPort();
    const [h1, h2] = family === 'ipv4' ? ['10.61.1.1', '10.61.1.2'] : ['fd61:1::1', 'fd61:1::2'];
    const s = rx({ groups: [g], port, sources: [h1], iface: ifA });
    const inbox = new Inbox(s);
    const opts = family === 'ipv4' ? v4 : v6;
    await a2.run(sendCode(opts, 'h2 before', g, port));
    await a1.run(sendCode(opts, 'h1 before', g, port));
    await inbox.waitFor('h1 before');
    s.join(g, { sources: [h2] });
    await a2.run(sendCode(opts, 'h2 after', g, port));
    await a1.run(sendCode(opts, 'h1 after', g, port));
    await inbox.waitFor('h2 after');
    await inbox.waitFor('h1 after');
    expect(inbox.texts.sort()).toEqual(['h1 after', 'h1 before', 'h2 after']);
    // The kernel kept h2 out before the join, not the native filter.
    expect(s.stats().filtered).toBe(0);
  });

  it('blockSource and unblockSource on an any-source group', async () => {
    const g = freshGroup();
    const port = freshPort();
    const s = rx({ groups: [g], port });
    const inbox = new Inbox(s);
    s.blockSource(g, '10.61.1.2');
    await a2.run(sendCode(v4, 'h2 blocked', g, port));
    await a1.run(sendCode(v4, 'h1 one', g, port));
    await inbox.waitFor('h1 one');
    s.unblockSource(g, '10.61.1.2');
    await a2.run(sendCode(v4, 'h2 back', g, port));
    await inbox.waitFor('h2 back');
    expect(inbox.texts).toEqual(['h1 one', 'h2 back']);
    expectCode(() => s.blockSource(freshGroup(), '10.61.1.2'), ErrorCodes.INVALID_OPTION);
    const ssm = rx({ groups: [g], port: freshPort(), sources: ['10.61.1.1'] });
    expectCode(() => ssm.blockSource(g, '10.61.1.2'), ErrorCodes.SOURCE_NOT_ALLOWED);
    expectCode(() => s.join(g, { sources: ['10.61.1.1'] }), ErrorCodes.SOURCE_NOT_ALLOWED);
  });

  it('joins and leaves while receiving', async () => {
    const [g1, g2] = [freshGroup(), freshGroup()];
    const port = freshPort();
    const s = rx({ groups: [g1], port });
    const inbox = new Inbox(s);
    await a1.run(sendCode(v4, 'g2 before join', g2, port));
    await a1.run(sendCode(v4, 'g1 first', g1, port));
    await inbox.waitFor('g1 first');
    s.join(g2);
    expect(s.groups).toEqual([g1, g2]);
    await a1.run(sendCode(v4, 'g2 after join', g2, port));
    expect((await inbox.waitFor('g2 after join')).group).toBe(g2);
    s.leave(g1);
    expect(s.groups).toEqual([g2]);
    await a1.run(sendCode(v4, 'g1 after leave', g1, port));
    await a1.run(sendCode(v4, 'g2 marker', g2, port));
    await inbox.waitFor('g2 marker');
    expect(inbox.texts).toEqual(['g1 first', 'g2 after join', 'g2 marker']);
    s.leave(g1); // leaving again is a no-op
    const empty = rx({ groups: [], port: freshPort(), iface: ifA });
    expect(empty.groups).toEqual([]);
    empty.join(g1);
    expect(empty.groups).toEqual([g1]);
  });

  it('IPv6 link-local (ff02::) and site-scoped (ff05::) groups, with the link-local source and its scope', async () => {
    const port = freshPort();
    const linkLocal = `ff02::${port.toString(16)}`;
    const site = `ff05::${port.toString(16)}`;
    const s = rx({ groups: [linkLocal, site], port });
    expect(s.family).toBe('ipv6');
    const inbox = new Inbox(s);
    await a1.run(sendCode(v6, 'link', linkLocal, port));
    await a3.run(sendCode(v6, 'site', site, port));
    const link = await inbox.waitFor('link');
    expect(link).toMatchObject({ group: linkLocal, ifaceName: ifA });
    expect(link.source.address).toMatch(/^fe80:/);
    expect(link.source.scopeId).toBe(link.ifaceIndex);
    const siteMsg = await inbox.waitFor('site');
    expect(siteMsg).toMatchObject({ group: site, ifaceName: ifB, source: { address: 'fd61:2::3', family: 'ipv6' } });
  });

  it('kernel timestamps are within a second of Date.now()', async () => {
    const g = freshGroup();
    const port = freshPort();
    const s = rx({ groups: [g], port, timestamps: true });
    const inbox = new Inbox(s);
    await a1.run(sendCode(v4, 'when', g, port));
    const m = await inbox.waitFor('when');
    expect(typeof m.timestamp).toBe('bigint');
    const ms = Number((m.timestamp as bigint) / 1_000_000n);
    expect(Math.abs(ms - Date.now())).toBeLessThan(1000);
  });

  it('a datagram longer than maxMessageSize arrives cut and flagged, never silently', async () => {
    const g = freshGroup();
    const port = freshPort();
    const s = rx({ groups: [g], port, maxMessageSize: 1000 });
    const inbox = new Inbox(s);
    await a1.run(`${sendCode(v4, 'x', g, port).replace(/await tx\.send\([^;]*;/, `await tx.send(Buffer.alloc(2000, 7), ${JSON.stringify(g)}, ${port});`)}`);
    await a1.run(sendCode(v4, 'short', g, port));
    await inbox.waitFor('short');
    const long = inbox.messages[0] as McastMessage;
    expect(long.truncated).toBe(true);
    expect(long.data.length).toBe(1000);
    expect(long.data.every((b) => b === 7)).toBe(true);
    expect(inbox.messages[1]?.truncated).toBe(false);
    expect(s.stats()).toMatchObject({ received: 2, truncated: 1, kernelDrops: 0 });
  });

  it('a 70000-byte send rejects with ERR_MESSAGE_TOO_LARGE and the socket keeps working', async () => {
    const g = freshGroup();
    const port = freshPort();
    // Hears this host's own sender (both sides externalLoopback): it would get whatever left.
    const inbox = new Inbox(rx({ groups: [g], port, iface: ifA, externalLoopback: true }));
    const tx = new McastTxSocket({ iface: ifA, externalLoopback: true });
    open.push(tx);
    const err = await catchRejection(tx.send(Buffer.alloc(70000), g, port));
    expect(err.code).toBe(ErrorCodes.MESSAGE_TOO_LARGE);
    expect(err.syscall).toMatch(/send/);
    expect(err.hint).toMatch(/65507/);
    await tx.send('fine', g, port);
    await inbox.waitFor('fine');
    // Nothing of the rejected send went out: only the datagram after it arrived.
    expect(inbox.texts).toEqual(['fine']);
  });

  it('sendBatch sends every datagram in order to several groups', async () => {
    const [g1, g2] = [freshGroup(), freshGroup()];
    const port = freshPort();
    const inbox = new Inbox(rx({ groups: [g1, g2], port }));
    const sent = await a1.run<number>(`const tx = new mce.McastTxSocket({ iface: 'eth0' });
      const msgs = [];
      for (let i = 0; i < 200; i++) msgs.push({ data: 'b' + i, group: i % 2 ? ${JSON.stringify(g2)} : ${JSON.stringify(g1)}, port: ${port} });
      const n = await tx.sendBatch(msgs); tx.close(); return n;`);
    expect(sent).toBe(200);
    await inbox.waitForCount(200);
    // In order per group (each group has an OS socket of its own, so groups interleave freely).
    for (const [group, parity] of [[g1, 0], [g2, 1]] as const) {
      const texts = inbox.messages.filter((m) => m.group === group).map((m) => m.data.toString());
      expect(texts).toEqual(Array.from({ length: 100 }, (_, i) => `b${2 * i + parity}`));
    }
  });

  it('the sender: declared groups, TTL range, address(), and datagrams leave from an iface given as an address', async () => {
    const g = freshGroup();
    const port = freshPort();
    const tx = new McastTxSocket({ groups: [g], iface: ifA, port: 0, ttl: 0 });
    open.push(tx);
    expect(tx).toMatchObject({ family: 'ipv4', ttl: 0, closed: false });
    expect(tx.iface.name).toBe(ifA);
    const err = await catchRejection(tx.send('x', freshGroup(), port));
    expect(err.code).toBe(ErrorCodes.GROUP_NOT_DECLARED);
    expect((await catchRejection(tx.send('x', '10.1.1.1', port))).code).toBe(ErrorCodes.NOT_MULTICAST);
    expect((await catchRejection(tx.send('x', 'ff15::1', port))).code).toBe(ErrorCodes.FAMILY_MISMATCH);
    expect((await catchRejection(tx.send('x', g, 0))).code).toBe(ErrorCodes.INVALID_PORT);
    expectCode(() => new McastTxSocket({ iface: ifA, ttl: 256 }), ErrorCodes.INVALID_OPTION);
    expectCode(() => new McastTxSocket({ iface: ifA, port: 70000 }), ErrorCodes.INVALID_PORT);
    expectCode(() => new McastTxSocket({ iface: ifA, groups: ['239.1.1.1', 'ff15::1'] }), ErrorCodes.FAMILY_MISMATCH);
    expectCode(() => new McastTxSocket({ iface: ifA, interface: 'x' } as never), ErrorCodes.INVALID_OPTION);
    expect(tx.address().port).toBeGreaterThan(0);

    // h1 gets a second address; a sender given that address sends from it.
    await a1.run(`require('node:child_process').execFileSync('ip', ['addr', 'add', '10.61.1.11/24', 'dev', 'eth0']);`);
    const inbox = new Inbox(rx({ groups: [g], port }));
    const from = await a1.run<{ address: string }>(sendCode({ iface: '10.61.1.11' }, 'from secondary', g, port));
    expect(from.address).toBe('10.61.1.11');
    expect((await inbox.waitFor('from secondary')).source.address).toBe('10.61.1.11');
    await a1.run(sendCode({ iface: 'eth0', port: port + 7 }, 'fixed port', g, port));
    expect((await inbox.waitFor('fixed port')).source.port).toBe(port + 7);
  });

  it('receive(): a datagram, null on timeout (per call or the socket\'s), no wait at 0, AbortError on abort', async () => {
    const g = freshGroup();
    const port = freshPort();
    const s = rx({ groups: [g], port, timeout: 50 });
    expect(s.timeout).toBe(50);
    expect(await s.receive()).toBeNull();
    s.timeout = undefined;
    expect(s.timeout).toBeUndefined();
    const t0 = Date.now();
    expect(await s.receive({ timeout: 0 })).toBeNull();
    expect(Date.now() - t0).toBeLessThan(1000);
    const pending = s.receive();
    await a1.run(sendCode(v4, 'first', g, port));
    expect((await pending)?.data.toString()).toBe('first');
    // Queued while nobody waits, then taken.
    await a1.run(sendCode(v4, 'queued', g, port));
    await sleep(100);
    expect((await s.receive({ timeout: 0 }))?.data.toString()).toBe('queued');
    const controller = new AbortController();
    const aborted = s.receive({ signal: controller.signal });
    controller.abort(new Error('enough'));
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await expect(s.receive({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('close(): idempotent, resolves pending receive() to null, ends iterators, then ERR_SOCKET_CLOSED', async () => {
    const g = freshGroup();
    const port = freshPort();
    const s = new McastRxSocket({ groups: [g], port });
    const pending = s.receive();
    const iterated: string[] = [];
    const iteration = (async () => {
      for await (const m of s) iterated.push(m.data.toString());
    })();
    await a1.run(sendCode(v4, 'one', g, port));
    expect((await pending)?.data.toString()).toBe('one');
    await sleep(50);
    const pending2 = s.receive();
    let closeEvents = 0;
    s.on('close', () => closeEvents++);
    s.close();
    s.close();
    expect(s.closed).toBe(true);
    expect(await pending2).toBeNull();
    await iteration;
    await sleep(10);
    expect(closeEvents).toBe(1);
    expect((await catchRejection(s.receive())).code).toBe(ErrorCodes.SOCKET_CLOSED);
    expectCode(() => s.join(freshGroup()), ErrorCodes.SOCKET_CLOSED);
    expectCode(() => s.stats(), ErrorCodes.SOCKET_CLOSED);
    const tx = new McastTxSocket({ iface: ifA });
    tx.close();
    tx.close();
    expect((await catchRejection(tx.send('x', g, port))).code).toBe(ErrorCodes.SOCKET_CLOSED);
  });

  it('rejects a receiver without anything to listen on, and bad options, with their codes', () => {
    expectCode(() => new McastRxSocket({ groups: ['239.1.1.1'], port: 0 }), ErrorCodes.INVALID_PORT);
    expectCode(() => new McastRxSocket({ groups: ['239.1.1.1'] } as never), ErrorCodes.INVALID_PORT);
    expectCode(() => new McastRxSocket({ groups: ['10.0.0.1'], port: 1000 }), ErrorCodes.NOT_MULTICAST);
    expectCode(() => new McastRxSocket({ groups: ['239.1.1.1'], port: 1000, family: 'ipv6' }), ErrorCodes.FAMILY_MISMATCH);
    expectCode(() => new McastRxSocket({ groups: ['239.1.1.1'], port: 1000, sources: ['fd00::1'] }), ErrorCodes.FAMILY_MISMATCH);
    expectCode(() => new McastRxSocket({ groups: ['239.1.1.1'], port: 1000, iface: 'nope0' }), ErrorCodes.IFACE_NOT_FOUND);
    expectCode(() => new McastRxSocket({ groups: ['239.1.1.1'], port: 1000, maxMessageSize: 0 }), ErrorCodes.INVALID_OPTION);
    expectCode(() => new McastRxSocket({ groups: ['239.1.1.1'], port: 1000, timeout: -1 }), ErrorCodes.INVALID_OPTION);
  });
});

describeLab('a receiver where nothing can be listened on', () => {
  it('gives ERR_NO_IFACES in a host with only loopback, and the membership limit gives ENOBUFS with the sysctl', async () => {
    const lab = await Lab.create();
    try {
      const h = await lab.host('lonely');
      const r = await h.eval(`try { new mce.McastRxSocket({ groups: ['239.9.9.9'], port: 5000 }); } catch (e) { console.log(e.code, '|', e.hint); }`);
      expect(r.stdout).toMatch(/^ERR_NO_IFACES \| .*iface/);

      // Linux limits IPv4 memberships per socket (net.ipv4.igmp_max_memberships, per namespace);
      // one group on three interfaces is three memberships of one OS socket.
      const lan = await lab.lan('many');
      for (let i = 0; i < 3; i++) await lab.connect(h, lan, { ipv4: `10.63.${i}.1/24` });
      await h.sysctl('net.ipv4.igmp_max_memberships', 2);
      const limited = await h.eval(`
        try { new mce.McastRxSocket({ groups: ['239.9.9.9'], port: 5000, ifaces: ['eth0', 'eth1', 'eth2'] }); console.log('opened'); }
        catch (e) { console.log(e.code, '|', e.syscall, '|', e.hint); }
        const rx = new mce.McastRxSocket({ groups: ['239.9.9.9'], port: 5000, ifaces: ['eth0', 'eth1'] });
        try { rx.join('239.9.9.9', { ifaces: ['eth2'] }); } catch (e) { console.log('join', e.code); }
        console.log('still', rx.groups.join(), rx.ifaces.map((i) => i.name).join(), rx.osSocketCount); rx.close();`);
      const lines = limited.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^ENOBUFS \| setsockopt\(MCAST_JOIN_GROUP\) \| .*net\.ipv4\.igmp_max_memberships/);
      expect(lines[1]).toBe('join ENOBUFS');
      expect(lines[2]).toBe('still 239.9.9.9 eth0,eth1 1');
    } finally {
      await lab.close();
    }
  });
});
