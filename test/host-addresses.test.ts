// Addresses as real hosts have them, changing under live receivers and senders: labelled IPv4
// addresses (keepalived VIPs, `ifconfig eth0:1` aliases), secondary addresses, IPv6 addresses added
// and removed, deprecated addresses (preferred_lft 0), tentative ones (duplicate address detection
// on), and an address moved from one interface to another.
import * as net from 'node:net';

import { McastRxSocket, McastTxSocket, findInterfaces, scanInterfaces } from '../lib';
import { Lab, type Host, type Lan } from '../lab/lab';
import { catchError, describeLab, freshGroup as anyFreshGroup, freshPort } from './helpers';
import { ChangeLog, Inbox, Ticker, membershipEvents, until } from './host-helpers';

/** A fresh group in the canonical text form that McastMessage.group carries. */
function freshGroup(family: 'ipv4' | 'ipv6' = 'ipv4'): string {
  return new net.SocketAddress({ address: anyFreshGroup(family), family }).address;
}

function entriesOfIndex(index: number): string[] {
  return scanInterfaces()
    .filter((i) => i.index === index)
    .map((i) => i.name);
}

describeLab('addresses of real hosts, under live receivers and senders', () => {
  let lab: Lab;
  let lan: Lan;
  let tx: Host;
  let mine: string;
  let changes: ChangeLog;
  const tickers: Ticker[] = [];
  const sockets: Array<{ close(): void }> = [];

  beforeAll(async () => {
    lab = await Lab.create();
    lan = await lab.lan('addr');
    tx = await lab.host('tx');
    await lab.connect(tx, lan, { ipv4: '10.71.0.1/24', ipv6: 'fd71::1/64' });
    mine = await lab.connect(lab.self, lan, { ipv4: '10.71.0.100/24', ipv6: 'fd71::100/64' });
  });
  beforeEach(() => {
    changes = new ChangeLog();
  });
  afterEach(async () => {
    changes.close();
    for (const s of sockets.splice(0)) s.close();
    for (const t of tickers.splice(0)) await t.stop();
  });
  afterAll(() => lab?.close());

  it('labelled, secondary and IPv6 addresses come and go: one interface per index, the receivers keep receiving', async () => {
    const index = findInterfaces([mine])[0]?.index as number;
    const g4 = freshGroup('ipv4');
    const g6 = freshGroup('ipv6');
    const port = freshPort();
    const rx4 = new McastRxSocket({ groups: [g4], port, iface: mine });
    const rx6 = new McastRxSocket({ groups: [g6], port, iface: mine });
    sockets.push(rx4, rx6);
    const events = [...membershipEvents(rx4), ...membershipEvents(rx6)];
    const inbox4 = new Inbox(rx4);
    const inbox6 = new Inbox(rx6);
    tickers.push(await Ticker.start(tx, { iface: 'eth0' }, g4, port, 'v4'), await Ticker.start(tx, { iface: 'eth0', family: 'ipv6' }, g6, port, 'v6'));
    await inbox4.fresh();
    await inbox6.fresh();

    const steps: Array<{ ip: string[]; address: string; present: boolean }> = [
      { ip: ['addr', 'add', '10.71.0.50/24', 'dev', mine, 'label', `${mine}:vip`], address: '10.71.0.50', present: true },
      { ip: ['addr', 'add', '10.72.0.1/24', 'dev', mine, 'label', `${mine}:b`], address: '10.72.0.1', present: true },
      { ip: ['addr', 'add', '10.71.0.51/24', 'dev', mine], address: '10.71.0.51', present: true },
      { ip: ['-6', 'addr', 'add', 'fd71::51/64', 'dev', mine, 'nodad'], address: 'fd71::51', present: true },
      { ip: ['addr', 'del', '10.71.0.50/24', 'dev', mine], address: '10.71.0.50', present: false },
      { ip: ['addr', 'del', '10.72.0.1/24', 'dev', mine], address: '10.72.0.1', present: false },
      { ip: ['addr', 'del', '10.71.0.51/24', 'dev', mine], address: '10.71.0.51', present: false },
      { ip: ['-6', 'addr', 'del', 'fd71::51/64', 'dev', mine], address: 'fd71::51', present: false },
    ];
    for (const step of steps) {
      const from = changes.mark();
      await lab.self.ip(...step.ip);
      await changes.waitFor(`${step.address} ${step.present ? 'added' : 'removed'}`, from, (c) => c.address?.address === step.address && c.type === (step.present ? 'address-added' : 'address-removed'));
      // One interface for the index, named as the kernel names it, with the address whatever its label.
      expect(entriesOfIndex(index)).toEqual([mine]);
      const iface = findInterfaces([index])[0];
      const addresses = [...(iface?.ipv4 ?? []), ...(iface?.ipv6 ?? [])].map((a) => a.address);
      expect(addresses.includes(step.address)).toBe(step.present);
      expect(rx4.ifaces.map((i) => i.name)).toEqual([mine]);
      expect(rx6.ifaces.map((i) => i.name)).toEqual([mine]);
      await inbox4.fresh(2, 'v4');
      await inbox6.fresh(2, 'v6');
    }
    expect(events).toEqual([]);
    expect(inbox4.messages.every((m) => m.ifaceName === mine && m.group === g4)).toBe(true);
  });

  it('a label is not an interface: naming one says which interface it belongs to; its address works', async () => {
    await lab.self.ip('addr', 'add', '10.71.0.60/24', 'dev', mine, 'label', `${mine}:l`);
    try {
      const err = catchError(() => findInterfaces([`${mine}:l`]));
      expect(err.code).toBe('ERR_IFACE_NOT_FOUND');
      expect(err.hint).toContain(`address label of ${mine}`);
      // The labelled address names its interface, and a sender given it sends from it.
      expect(findInterfaces(['10.71.0.60']).map((i) => i.name)).toEqual([mine]);
      const group = freshGroup();
      const port = freshPort();
      const agent = await tx.agent();
      try {
        await agent.run(`state.rx = new mce.McastRxSocket({ groups: ['${group}'], port: ${port}, iface: 'eth0' })`);
        const sender = new McastTxSocket({ iface: '10.71.0.60' });
        sockets.push(sender);
        expect(sender.iface.name).toBe(mine);
        await sender.send('from the label', group, port);
        const got = (await agent.run('const m = await state.rx.receive({ timeout: 3000 }); return m && { text: m.data.toString(), from: m.source.address }')) as { text: string; from: string } | null;
        expect(got).toEqual({ text: 'from the label', from: '10.71.0.60' });
      } finally {
        await agent.stop();
      }
    } finally {
      await lab.self.ip('addr', 'del', '10.71.0.60/24', 'dev', mine);
    }
  });

  it('deprecated addresses (preferred_lft 0) keep receivers and senders working, IPv4 and IPv6', async () => {
    const g4 = freshGroup('ipv4');
    const g6 = freshGroup('ipv6');
    const port = freshPort();
    const rx4 = new McastRxSocket({ groups: [g4], port, iface: mine });
    const rx6 = new McastRxSocket({ groups: [g6], port, iface: mine });
    sockets.push(rx4, rx6);
    const events = [...membershipEvents(rx4), ...membershipEvents(rx6)];
    const inbox4 = new Inbox(rx4);
    const inbox6 = new Inbox(rx6);
    tickers.push(await Ticker.start(tx, { iface: '10.71.0.1' }, g4, port, 'v4'), await Ticker.start(tx, { iface: 'fd71::1' }, g6, port, 'v6'));
    await inbox4.fresh();
    await inbox6.fresh();
    try {
      // Deprecated on both ends: the sender's only addresses, and the receiver's.
      await tx.ip('addr', 'change', '10.71.0.1/24', 'dev', 'eth0', 'preferred_lft', '0');
      await tx.ip('-6', 'addr', 'change', 'fd71::1/64', 'dev', 'eth0', 'preferred_lft', '0');
      await lab.self.ip('addr', 'change', '10.71.0.100/24', 'dev', mine, 'preferred_lft', '0');
      await lab.self.ip('-6', 'addr', 'change', 'fd71::100/64', 'dev', mine, 'preferred_lft', '0');
      expect(await lab.self.ip('addr', 'show', 'dev', mine)).toContain('deprecated');
      const v4 = await inbox4.fresh(3, 'v4');
      const v6 = await inbox6.fresh(3, 'v6');
      expect(v4.map((m) => m.source.address)).toEqual(['10.71.0.1', '10.71.0.1', '10.71.0.1']);
      expect(v6.map((m) => m.source.address)).toEqual(['fd71::1', 'fd71::1', 'fd71::1']);
      expect(rx4.ifaces.map((i) => i.name)).toEqual([mine]);
      expect(events).toEqual([]);
      expect(await tickers[0]?.errors()).toEqual([]);
      expect(await tickers[1]?.errors()).toEqual([]);
    } finally {
      await tx.ip('addr', 'change', '10.71.0.1/24', 'dev', 'eth0', 'preferred_lft', 'forever');
      await tx.ip('-6', 'addr', 'change', 'fd71::1/64', 'dev', 'eth0', 'preferred_lft', 'forever');
      await lab.self.ip('addr', 'change', '10.71.0.100/24', 'dev', mine, 'preferred_lft', 'forever');
      await lab.self.ip('-6', 'addr', 'change', 'fd71::100/64', 'dev', mine, 'preferred_lft', 'forever');
    }
  });

  it('tentative addresses (duplicate address detection on): a receiver works at once; a sender given the address is told to wait for DAD, and works once it passed', async () => {
    const dad = await lab.host('dad');
    // Three probes a second apart: the address stays tentative for about 3 s.
    for (const key of ['all', 'default']) {
      await dad.sysctl(`net.ipv6.conf.${key}.accept_dad`, 1);
      await dad.sysctl(`net.ipv6.conf.${key}.dad_transmits`, 3);
    }
    // A new interface: its link-local address and the one given are both tentative at first.
    await lab.connect(dad, lan, { ipv4: '10.71.0.9/24' });
    await dad.ip('-6', 'addr', 'add', 'fd71::9/64', 'dev', 'eth0');
    expect(await dad.ip('-6', 'addr', 'show', 'dev', 'eth0')).toContain('tentative');
    const group = freshGroup('ipv6');
    const port = freshPort();
    const agent = await dad.agent();
    try {
      // Listed as the interface's address (the kernel lists it), so that a receiver can open.
      const listed = (await agent.run(`return mce.scanInterfaces().find((i) => i.name === 'eth0').ipv6.map((a) => a.address)`)) as string[];
      expect(listed).toContain('fd71::9');
      await agent.run(`state.rx = new mce.McastRxSocket({ groups: ['${group}'], port: ${port}, iface: 'eth0' }); state.got = []; state.rx.on('message', (m) => state.got.push(m.data.toString()));`);
      // A DAD that passed already would make this test prove nothing: the address must still be
      // tentative after the attempt. On a slow machine it may not be: the address is then added
      // again (a new DAD) and the attempt repeated.
      const tryEarly = async (): Promise<{ code: string; message: string; hint: string } | null> =>
        (await agent.run(`try { new mce.McastTxSocket({ iface: 'fd71::9' }); return null; } catch (e) { return { code: e.code, message: e.message, hint: e.hint }; }`)) as { code: string; message: string; hint: string } | null;
      let early = await tryEarly();
      for (let again = 0; !/fd71::9\/64 scope global tentative/.test(await dad.ip('-6', 'addr', 'show', 'dev', 'eth0')) && again < 5; again++) {
        await dad.ip('-6', 'addr', 'del', 'fd71::9/64', 'dev', 'eth0');
        await dad.ip('-6', 'addr', 'add', 'fd71::9/64', 'dev', 'eth0');
        early = await tryEarly();
      }
      expect(await dad.ip('-6', 'addr', 'show', 'dev', 'eth0')).toMatch(/fd71::9\/64 scope global tentative/);
      expect(early?.code).toBe('EADDRNOTAVAIL');
      expect(early?.message).toContain('duplicate address detection');
      expect(early?.hint).toContain('tentative');

      // The receiver gets datagrams while its addresses are tentative.
      const sender = new McastTxSocket({ iface: mine, family: 'ipv6' });
      sockets.push(sender);
      await until('the receiver on the tentative host to get a datagram', async () => {
        await sender.send('to the tentative host', group, port);
        return ((await agent.run('return state.got')) as string[]).length > 0 ? true : undefined;
      });

      // Once DAD passed, the same sender opens and sends from the address.
      await until('DAD to pass', async () => (/fd71::9\/64 scope global tentative/.test(await dad.ip('-6', 'addr', 'show', 'dev', 'eth0')) ? undefined : true), 20000);
      const rx = new McastRxSocket({ groups: [group], port, iface: mine });
      sockets.push(rx);
      const inbox = new Inbox(rx);
      await agent.run(`state.tx = new mce.McastTxSocket({ iface: 'fd71::9' }); state.timer = setInterval(() => state.tx.send('dad ' + Date.now(), '${group}', ${port}).catch(() => {}), 40);`);
      const got = await inbox.fresh(2, 'dad');
      expect(got.map((m) => m.source.address)).toEqual(['fd71::9', 'fd71::9']);
      await agent.run('clearInterval(state.timer)');

      // An address that another host on the link has fails DAD ("dadfailed") and can never be used.
      await dad.ip('-6', 'addr', 'add', 'fd71::100/64', 'dev', 'eth0');
      await until('DAD to fail', async () => ((await dad.ip('-6', 'addr', 'show', 'dev', 'eth0')).includes('dadfailed') ? true : undefined), 10000);
      const failed = (await agent.run(`try { new mce.McastTxSocket({ iface: 'fd71::100' }); return null; } catch (e) { return { code: e.code, hint: e.hint }; }`)) as { code: string; hint: string } | null;
      expect(failed?.code).toBe('EADDRNOTAVAIL');
      expect(failed?.hint).toContain('dadfailed');
    } finally {
      await agent.stop();
    }
  });

  it('an address moved to another interface: a sender given the address moves with it; a receiver given it reports its interface lost', async () => {
    const lanB = await lab.lan('addr-b');
    const mover = await lab.host('mover');
    await lab.connect(mover, lan, { ipv4: ['10.71.0.5/24', '10.71.0.6/24'] }); // eth0 on LAN a
    await lab.connect(mover, lanB, { ipv4: '10.74.0.5/24' }); // eth1 on LAN b
    const mineB = await lab.connect(lab.self, lanB, { ipv4: '10.74.0.100/24' });
    const group = freshGroup();
    const port = freshPort();
    const rxA = new McastRxSocket({ groups: [group], port, iface: mine });
    const rxB = new McastRxSocket({ groups: [group], port, iface: mineB });
    sockets.push(rxA, rxB);
    const inboxA = new Inbox(rxA);
    const inboxB = new Inbox(rxB);
    const moving = await Ticker.start(mover, { iface: '10.71.0.6' }, group, port, 'moving');
    // Stays on eth0 by name: proof that the receiver on LAN a still receives whatever the moving one does.
    const staying = await Ticker.start(mover, { iface: 'eth0' }, group, port, 'staying');
    tickers.push(moving, staying);
    await inboxA.fresh(2, 'moving');
    expect(inboxB.messages.filter((m) => m.data.toString().startsWith('moving '))).toEqual([]);

    // Added to eth1 before it leaves eth0 (as a failover does it): no moment without the address.
    await mover.ip('addr', 'add', '10.71.0.6/24', 'dev', 'eth1');
    await mover.ip('addr', 'del', '10.71.0.6/24', 'dev', 'eth0');
    const fromB = await inboxB.fresh(3, 'moving');
    expect(fromB.map((m) => m.source.address)).toEqual(['10.71.0.6', '10.71.0.6', '10.71.0.6']);
    expect(await moving.ifaceName()).toBe('eth1');
    // Out of eth1 only, from now on: LAN a hears the other sender, and none of the moved one's new datagrams.
    const lastMoved = Math.max(...fromB.map((m) => Number(m.data.toString().split(' ')[1])));
    await inboxA.fresh(5, 'staying');
    expect(inboxA.messages.filter((m) => m.data.toString().startsWith('moving ') && Number(m.data.toString().split(' ')[1]) >= lastMoved)).toEqual([]);
    expect(await moving.errors()).toEqual([]);

    // The address leaves every interface: sends are refused, saying so; it comes back: they resume.
    await mover.ip('addr', 'del', '10.71.0.6/24', 'dev', 'eth1');
    const refused = await until('a refused send', async () => (await moving.errors())[0]);
    expect(refused.message).toContain('10.71.0.6');
    await mover.ip('addr', 'add', '10.71.0.6/24', 'dev', 'eth0');
    await inboxA.fresh(2, 'moving');

    // A receiver given an address listens on the interface that had it when it opened.
    const byAddress = new McastRxSocket({ groups: [freshGroup()], port: freshPort(), iface: '10.74.0.100' });
    sockets.push(byAddress);
    const events = membershipEvents(byAddress);
    expect(byAddress.ifaces.map((i) => i.name)).toEqual([mineB]);
    await lab.self.ip('addr', 'del', '10.74.0.100/24', 'dev', mineB);
    await lab.self.ip('addr', 'add', '10.74.0.100/24', 'dev', mine);
    await until('the receiver to report its interface lost', () => (events.length > 0 ? true : undefined));
    expect(events).toEqual([['iface-lost', mineB, 'address-removed']]);
    await lab.self.ip('addr', 'del', '10.74.0.100/24', 'dev', mine);
  });
});
