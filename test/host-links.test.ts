// Interfaces that change under live receivers and senders as they do on real hosts: renamed (`ip
// link set name`, live or while down), moved to another network namespace and back (containers), and
// given another MTU.
import * as net from 'node:net';

import { McastRxSocket, McastTxSocket, findInterfaces } from '../lib';
import { Lab, type Host, type Lan } from '../lab/lab';
import { describeLab, freshGroup as anyFreshGroup, freshPort } from './helpers';
import { ChangeLog, Inbox, Ticker, membershipEvents, until } from './host-helpers';

/** A fresh group in the canonical text form that McastMessage.group carries. */
function freshGroup(family: 'ipv4' | 'ipv6' = 'ipv4'): string {
  return new net.SocketAddress({ address: anyFreshGroup(family), family }).address;
}

describeLab('interfaces of real hosts that change under live receivers and senders', () => {
  let lab: Lab;
  let lan: Lan;
  let changes: ChangeLog;
  let hostCount = 0;
  const tickers: Ticker[] = [];
  const sockets: Array<{ close(): void }> = [];

  beforeAll(async () => {
    lab = await Lab.create();
    lan = await lab.lan('links');
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

  /** A sending host on the LAN (eth0: 10.81.0.<n>/24, fd81::<n>/64) and an interface of this process on it. */
  async function setUp(): Promise<{ host: Host; mine: string; n: number }> {
    hostCount += 1;
    const n = hostCount;
    const host = await lab.host(`links${n}`);
    await lab.connect(host, lan, { ipv4: `10.81.0.${n}/24`, ipv6: `fd81::${n}/64` });
    const mine = await lab.connect(lab.self, lan, { ipv4: `10.81.0.${100 + n}/24`, ipv6: `fd81::${100 + n}/64` });
    return { host, mine, n };
  }

  it('renamed while up, on both ends: datagrams keep flowing; the receiver and the sender go on under the new names', async () => {
    const { host, mine } = await setUp();
    const renamed = `${mine}r`;
    const g4 = freshGroup('ipv4');
    const g6 = freshGroup('ipv6');
    const port = freshPort();
    const rx4 = new McastRxSocket({ groups: [g4], port, iface: mine });
    const rx6 = new McastRxSocket({ groups: [g6], port, iface: mine });
    sockets.push(rx4, rx6);
    const events = [...membershipEvents(rx4), ...membershipEvents(rx6)];
    const inbox4 = new Inbox(rx4);
    const inbox6 = new Inbox(rx6);
    const t4 = await Ticker.start(host, { iface: 'eth0' }, g4, port, 'v4');
    const t6 = await Ticker.start(host, { iface: 'eth0', family: 'ipv6' }, g6, port, 'v6');
    tickers.push(t4, t6);
    await inbox4.fresh();
    await inbox6.fresh();

    const from = changes.mark();
    await lab.self.ip('link', 'set', 'dev', mine, 'name', renamed);
    try {
      await host.ip('link', 'set', 'dev', 'eth0', 'name', 'lan0');
      const change = await changes.waitFor('the rename', from, (c) => c.type === 'renamed' && c.iface.name === renamed);
      expect(change.previous?.name).toBe(mine);
      const after4 = await inbox4.fresh(3, 'v4');
      const after6 = await inbox6.fresh(3, 'v6');
      expect(after4.map((m) => m.ifaceName)).toEqual([renamed, renamed, renamed]);
      expect(after6.map((m) => m.ifaceName)).toEqual([renamed, renamed, renamed]);
      expect(rx4.ifaces.map((i) => i.name)).toEqual([renamed]);
      expect(rx6.ifaces.map((i) => i.name)).toEqual([renamed]);
      expect(events).toEqual([]);
      expect(await until('the sender to follow the rename', async () => ((await t4.ifaceName()) === 'lan0' ? true : undefined))).toBe(true);
      expect(await t6.ifaceName()).toBe('lan0');
      expect(await t4.errors()).toEqual([]);
      expect(await t6.errors()).toEqual([]);
      // One interface, by index: the watcher says 'renamed', not 'removed' and 'added'.
      expect(changes.changes.slice(from).filter((c) => c.type === 'removed' || c.type === 'added')).toEqual([]);
    } finally {
      await lab.self.ip('link', 'set', 'dev', renamed, 'name', mine);
    }
  });

  it('renamed while down (as older kernels require): the receiver joins again on it when it is back up, the sender sends again', async () => {
    const { host, mine } = await setUp();
    const renamed = `${mine}d`;
    const group = freshGroup();
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [group], port, iface: mine });
    sockets.push(rx);
    const events = membershipEvents(rx);
    const inbox = new Inbox(rx);
    const ticker = await Ticker.start(host, { iface: 'eth0' }, group, port, 'in');
    tickers.push(ticker);
    await inbox.fresh();
    // This process's sender, on the same interface, to the host's receiver.
    const agent = await host.agent();
    const sender = new McastTxSocket({ iface: mine });
    sockets.push(sender);
    try {
      await agent.run(`state.rx = new mce.McastRxSocket({ groups: ['${group}'], port: ${port + 1}, iface: 'eth0' }); state.got = []; state.rx.on('message', (m) => state.got.push(m.data.toString()));`);
      await lab.self.ip('link', 'set', 'dev', mine, 'down');
      await until('the receiver to lose the interface', () => (events.length > 0 ? true : undefined));
      await lab.self.ip('link', 'set', 'dev', mine, 'name', renamed);
      try {
        await lab.self.ip('link', 'set', 'dev', renamed, 'up');
        const back = await inbox.fresh(3, 'in');
        expect(back.map((m) => m.ifaceName)).toEqual([renamed, renamed, renamed]);
        expect(events).toEqual([
          ['iface-lost', mine, 'down'],
          ['iface-joined', renamed, 'up'],
        ]);
        await until('the sender to send out of the renamed interface', async () => {
          await sender.send('out', group, port + 1).catch(() => undefined);
          return ((await agent.run('return state.got')) as string[]).length > 0 ? true : undefined;
        });
        expect(sender.iface.name).toBe(renamed);
      } finally {
        await lab.self.ip('link', 'set', 'dev', renamed, 'name', mine).catch(() => undefined);
      }
    } finally {
      await agent.stop();
    }
  });

  it('moved to another network namespace and back: the receiver reports it lost and joins again; the sender is refused, saying why, then sends again', async () => {
    const { host, mine } = await setUp();
    const elsewhere = await lab.host('elsewhere');
    const group = freshGroup();
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [group], port, iface: mine });
    sockets.push(rx);
    const events = membershipEvents(rx);
    const inbox = new Inbox(rx);
    const ticker = await Ticker.start(host, { iface: 'eth0' }, group, port, 'in');
    tickers.push(ticker);
    await inbox.fresh();
    const index = findInterfaces([mine])[0]?.index;

    // This process's interface goes into a container and comes back (the kernel drops its addresses).
    await lab.self.ip('link', 'set', 'dev', mine, 'netns', String(elsewhere.pid));
    await until('the receiver to lose the interface', () => (events.length > 0 ? true : undefined));
    expect(events).toEqual([['iface-lost', mine, 'removed']]);
    await elsewhere.ip('link', 'set', 'dev', mine, 'netns', String(process.pid));
    await lab.self.ipBatch([`link set ${mine} up`, `addr add 10.81.0.250/24 dev ${mine}`]);
    const back = await inbox.fresh(3, 'in');
    expect(back.map((m) => m.ifaceName)).toEqual([mine, mine, mine]);
    // Joined when usable again: back, up, and with an address (which of these came last names the event).
    expect(events.map(([event, name]) => [event, name])).toEqual([
      ['iface-lost', mine],
      ['iface-joined', mine],
    ]);
    expect(rx.ifaces.map((i) => i.name)).toEqual([mine]);
    expect(typeof index).toBe('number');

    // The sender's interface goes and comes back: sends are refused meanwhile, naming the interface.
    const away = await lab.host('away');
    await host.ip('link', 'set', 'dev', 'eth0', 'netns', String(away.pid));
    const refused = await until('a refused send', async () => (await ticker.errors()).find((e) => e.code === 'ENODEV'));
    expect(refused.message).toContain('interface eth0');
    expect(refused.message).toContain('is gone');
    await away.ip('link', 'set', 'dev', 'eth0', 'netns', String(host.pid));
    await host.ipBatch(['link set eth0 up', 'addr add 10.81.0.251/24 dev eth0']);
    const resumed = await inbox.fresh(3, 'in');
    expect(resumed.map((m) => m.source.address)).toEqual(['10.81.0.251', '10.81.0.251', '10.81.0.251']);
  });

  it('MTU changed on both ends: the receiver and the sender see the new MTU, and datagrams larger than it arrive whole', async () => {
    const { host, mine } = await setUp();
    const group = freshGroup();
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [group], port, iface: mine });
    sockets.push(rx);
    const inbox = new Inbox(rx);
    const events = membershipEvents(rx);
    const agent = await host.agent();
    try {
      await agent.run(`state.tx = new mce.McastTxSocket({ iface: 'eth0' })`);
      const from = changes.mark();
      await host.ip('link', 'set', 'dev', 'eth0', 'mtu', '1280');
      await lab.self.ip('link', 'set', 'dev', mine, 'mtu', '1400');
      await until('the receiver to see the new MTU', () => (rx.ifaces[0]?.mtu === 1400 ? true : undefined));
      expect(await until('the sender to see its new MTU', async () => ((await agent.run('return state.tx.iface.mtu')) === 1280 ? true : undefined))).toBe(true);
      // No change of a kind watchInterfaces reports: the MTU is a property, not an event.
      expect(changes.changes.slice(from)).toEqual([]);
      const before = inbox.mark();
      await agent.run(`await state.tx.send('x'.repeat(4000), '${group}', ${port})`);
      const got = await inbox.since(before, 1);
      expect(got[0]?.data.length).toBe(4000);
      expect(events).toEqual([]);
    } finally {
      await agent.stop();
    }
  });
});
