// Interfaces that change, on real (lab) interfaces: watchInterfaces() events for veths that are
// added, set up and down, given and stripped of addresses, and deleted; receivers that rejoin (or,
// with rejoin: false, do not); senders that refuse to send while their interface is gone and send
// again, from the same socket, once it is back; no descriptor leaks; a watcher alone never keeps a
// process alive.
import {
  type IfaceChange,
  type IfaceChangeType,
  type IfaceInfo,
  McastRxSocket,
  type McastMessage,
  McastTxSocket,
  MulticastExpertError,
  scanInterfaces,
  watchInterfaces,
} from '../lib';
import * as net from 'node:net';

import { DIST, Lab, type Host, type Lan, type LabProcess } from '../lab/lab';
import { catchRejection, describeLab, freshGroup as anyFreshGroup, freshPort, openFds } from './helpers';

/** A fresh group in the canonical text form that McastMessage.group carries. */
function freshGroup(family: 'ipv4' | 'ipv6' = 'ipv4', scope: 'site' | 'link' = 'site'): string {
  return new net.SocketAddress({ address: anyFreshGroup(family, scope), family }).address;
}

/** Waits until `check` returns something other than undefined (polled every 20 ms); fails after `timeoutMs`. */
async function until<T>(what: string, check: () => T | undefined, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function turn(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Records watchInterfaces() changes of the interfaces whose names pass `filter`. */
function record(filter: (name: string) => boolean): { changes: IfaceChange[]; close: () => void } {
  const changes: IfaceChange[] = [];
  const watcher = watchInterfaces((c) => {
    if (filter(c.iface.name)) changes.push(c);
  });
  return { changes, close: () => watcher.close() };
}

function ifaceNamed(name: string): IfaceInfo {
  const found = scanInterfaces().find((i) => i.name === name);
  if (found === undefined) throw new Error(`no interface ${name}`);
  return found;
}

/** A lab host sending `text` to group:port out of `iface` every 50 ms until stopped. */
function startSender(host: Host, iface: string, group: string, port: number, text: string): LabProcess {
  return host.spawnEval(`
    const tx = new mce.McastTxSocket({ iface: ${JSON.stringify(iface)}, groups: [${JSON.stringify(group)}] });
    setInterval(() => tx.send(${JSON.stringify(text)}, ${JSON.stringify(group)}, ${port}).catch(() => {}), 50);
  `);
}

/** Receives until a datagram matching `match` arrives; fails after `timeoutMs`. */
async function receiveMatching(rx: McastRxSocket, match: (m: McastMessage) => boolean, timeoutMs = 8000): Promise<McastMessage> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) throw new Error('no matching datagram arrived');
    const msg = await rx.receive({ timeout: left });
    if (msg !== null && match(msg)) return msg;
  }
}

/** Events of a receiver, as [event, iface name, why]. */
function rxEvents(rx: McastRxSocket): Array<[string, string, IfaceChangeType]> {
  const events: Array<[string, string, IfaceChangeType]> = [];
  rx.on('iface-lost', (iface: IfaceInfo, why: IfaceChangeType) => events.push(['iface-lost', iface.name, why]));
  rx.on('iface-joined', (iface: IfaceInfo, why: IfaceChangeType) => events.push(['iface-joined', iface.name, why]));
  return events;
}

describeLab('watchInterfaces', () => {
  let lab: Lab;
  let lan: Lan;

  beforeAll(async () => {
    lab = await Lab.create();
    lan = await lab.lan('w');
  });
  afterAll(() => lab?.close());

  it('reports a veth added, up, given and stripped of an address, down, and removed', async () => {
    const name = lab.selfIfname('ev');
    const seen = record((n) => n === name);
    const waitType = (type: IfaceChangeType, extra: (c: IfaceChange) => boolean = () => true): Promise<IfaceChange> =>
      until(`'${type}' of ${name}`, () => seen.changes.find((c) => c.type === type && extra(c)));
    try {
      await lab.connect(lab.self, lan, { ifname: name, up: false });
      const added = await waitType('added');
      expect(added.iface).toMatchObject({ name, up: false });
      expect(added.iface.index).toBe(ifaceNamed(name).index);

      await lab.self.ip('link', 'set', name, 'up');
      const up = await waitType('up');
      // 'up' means up with its link: before, at least one of the two was missing.
      expect(up.previous !== undefined && up.previous.up && up.previous.running).toBe(false);
      expect(up.iface).toMatchObject({ up: true, running: true });

      await lab.self.ip('addr', 'add', '10.61.0.1/24', 'dev', name);
      const v4 = await waitType('address-added', (c) => c.family === 'ipv4');
      expect(v4.address).toEqual({ address: '10.61.0.1', prefixLength: 24 });
      expect(v4.iface.ipv4).toContainEqual({ address: '10.61.0.1', prefixLength: 24 });
      await lab.self.ip('addr', 'add', 'fd61::1/64', 'dev', name, 'nodad');
      await waitType('address-added', (c) => c.address?.address === 'fd61::1');

      await lab.self.ip('addr', 'del', '10.61.0.1/24', 'dev', name);
      const gone = await waitType('address-removed', (c) => c.family === 'ipv4');
      expect(gone.address?.address).toBe('10.61.0.1');
      expect(gone.iface.ipv4).toEqual([]);
      expect(gone.previous?.ipv4).toEqual([{ address: '10.61.0.1', prefixLength: 24 }]);

      await lab.self.ip('link', 'set', name, 'down');
      const down = await waitType('down');
      expect(down.iface.up).toBe(false);

      await lab.self.ip('link', 'del', name);
      const removed = await waitType('removed');
      expect(removed.iface.name).toBe(name);
      expect(scanInterfaces().some((i) => i.name === name)).toBe(false);

      // In the order they happened.
      const order = ['added', 'up', 'down', 'removed'].map((t) => seen.changes.findIndex((c) => c.type === t));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(seen.changes.findIndex((c) => c.type === 'address-added')).toBeLessThan(seen.changes.findIndex((c) => c.type === 'address-removed'));
    } finally {
      seen.close();
    }
  });

  it('holds one OS descriptor for any number of watchers, and none after 100 watch/close cycles', async () => {
    // Settle first: anything closed before this test releases its descriptors on a later loop turn.
    for (let i = 0; i < 3; i++) await turn();
    const before = openFds();
    const a = watchInterfaces(() => undefined);
    const b = watchInterfaces(() => undefined);
    expect(openFds()).toBe(before + 1);
    a.close();
    b.close();
    for (let i = 0; i < 50; i++) {
      const w = watchInterfaces(() => undefined);
      w.close();
      // Let the native watcher really close (it lingers until the end of the loop turn).
      await turn();
      await turn();
    }
    for (let i = 0; i < 50; i++) {
      using w = watchInterfaces(() => undefined);
      expect(w.closed).toBe(false);
    }
    await turn();
    await turn();
    expect(openFds()).toBe(before);
  });

  it('stops at close(), and at an aborted signal', async () => {
    const name = lab.selfIfname('st');
    const closed: IfaceChange[] = [];
    const aborted: IfaceChange[] = [];
    const open = record((n) => n === name);
    const controller = new AbortController();
    const w1 = watchInterfaces((c) => closed.push(c));
    watchInterfaces((c) => aborted.push(c), { signal: controller.signal });
    w1.close();
    w1.close();
    controller.abort();
    expect(w1.closed).toBe(true);
    expect(watchInterfaces(() => undefined, { signal: controller.signal }).closed).toBe(true);
    try {
      await lab.connect(lab.self, lan, { ifname: name, up: false });
      await until('the added event', () => open.changes.find((c) => c.type === 'added'));
      expect(closed).toEqual([]);
      expect(aborted).toEqual([]);
    } finally {
      open.close();
    }
  });

  it('rejects bad arguments with ERR_INVALID_OPTION', () => {
    for (const bad of [undefined, null, 1, 'f', {}]) {
      expect(() => watchInterfaces(bad as unknown as () => void)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    }
    expect(() => watchInterfaces(() => undefined, { signal: 1 } as unknown as { signal: AbortSignal })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    expect(() => watchInterfaces(() => undefined, { every: 1 } as unknown as object)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('goes on after a listener throws (the exception is reported as uncaught)', async () => {
    const script = `
      const { execSync } = require('node:child_process');
      let uncaught = 0;
      process.on('uncaughtException', (err) => { uncaught++; console.log('uncaught ' + err.message); });
      const types = [];
      const w = mce.watchInterfaces((c) => {
        if (c.iface.name !== 'wthrow0') return;
        types.push(c.type);
        throw new Error('listener failed on ' + c.type);
      });
      const other = [];
      const w2 = mce.watchInterfaces((c) => { if (c.iface.name === 'wthrow0') other.push(c.type); });
      const step = (cmd) => new Promise((r) => { execSync(cmd); setTimeout(r, 200); });
      (async () => {
        await step('ip link add wthrow0 type veth peer name wthrow1');
        await step('ip link del wthrow0');
        console.log('types ' + types.join(',') + ' other ' + other.join(',') + ' uncaught ' + uncaught);
        w.close(); w2.close();
      })();
    `;
    const r = await lab.self.eval(script, { timeoutMs: 20000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('types added,removed other added,removed uncaught 2');
    expect(r.code).toBe(0);
  });

  it('never keeps a process running: a process with only a watcher, or a sender, exits by itself', async () => {
    const alone = await lab.self.eval(`mce.watchInterfaces(() => {}); console.log('watching');`, { timeoutMs: 15000 });
    expect(alone).toMatchObject({ code: 0, signal: null });
    expect(alone.stdout).toContain('watching');
    const sender = await lab.self.eval(`new mce.McastTxSocket({ iface: 'lo', family: 'ipv4' }); console.log('open');`, { timeoutMs: 15000 });
    expect(sender).toMatchObject({ code: 0, signal: null });
    expect(sender.stdout).toContain('open');
    // A worker thread has its own watcher, which neither keeps it alive nor outlives it.
    const inWorker = `const mce = require(${JSON.stringify(DIST)}); mce.watchInterfaces(() => {}); new mce.McastRxSocket({ groups: [], port: 5000, iface: 'lo' });`;
    const worker = await lab.self.eval(
      `const { Worker } = require('node:worker_threads');
       new Worker(${JSON.stringify(inWorker)}, { eval: true }).on('exit', (code) => console.log('worker exited ' + code));`,
      { timeoutMs: 15000 },
    );
    expect(worker).toMatchObject({ code: 0, signal: null });
    expect(worker.stdout).toContain('worker exited 0');
  });
});

describeLab('receivers that rejoin', () => {
  let lab: Lab;
  let lanA: Lan;
  let lanB: Lan;
  let h1: Host;
  let h2: Host;
  const senders: LabProcess[] = [];

  beforeAll(async () => {
    lab = await Lab.create();
    lanA = await lab.lan('ra');
    lanB = await lab.lan('rb');
    h1 = await lab.host('h1');
    h2 = await lab.host('h2');
    await lab.connect(h1, lanA, { ipv4: '10.62.1.1/24', ipv6: 'fd62:1::1/64' });
    await lab.connect(h2, lanB, { ipv4: '10.62.2.1/24', ipv6: 'fd62:2::1/64' });
  });
  afterEach(async () => {
    await Promise.all(senders.splice(0).map((s) => s.stop()));
  });
  afterAll(() => lab?.close());

  it('a receiver on all interfaces joins a new interface that comes up later, and receives on it', async () => {
    const a = await lab.connect(lab.self, lanA, { ipv4: '10.62.1.100/24' });
    const group = freshGroup();
    const port = freshPort();
    using rx = new McastRxSocket({ groups: [group], port });
    const events = rxEvents(rx);
    expect(rx.ifaces.map((i) => i.name)).toContain(a);
    senders.push(startSender(h2, 'eth0', group, port, 'from lan b'));

    const b = lab.selfIfname('new');
    await lab.connect(lab.self, lanB, { ifname: b, ipv4: '10.62.2.100/24', up: false });
    await lab.self.ip('link', 'set', b, 'up');
    await until(`iface-joined of ${b}`, () => events.find((e) => e[0] === 'iface-joined' && e[1] === b));
    expect(rx.ifaces.map((i) => i.name)).toEqual(expect.arrayContaining([a, b]));
    const msg = await receiveMatching(rx, (m) => m.ifaceName === b);
    expect(msg).toMatchObject({ group, port, ifaceIndex: ifaceNamed(b).index });
    expect(msg.data.toString()).toBe('from lan b');
  });

  it('a receiver whose interface is deleted and recreated (new index) receives again, IPv4 and IPv6', async () => {
    const name = lab.selfIfname('re');
    const connect = (): Promise<string> => lab.connect(lab.self, lanA, { ifname: name, ipv4: '10.62.1.101/24', ipv6: 'fd62:1::101/64' });
    await connect();
    const g4 = freshGroup();
    const g6 = freshGroup('ipv6');
    const g6link = freshGroup('ipv6', 'link');
    const port = freshPort();
    // Source-specific on IPv4, so the rejoin must carry the sources; a link-local IPv6 group, which
    // has an OS socket per group and interface.
    using rx4 = new McastRxSocket({ groups: [g4], port, iface: name, sources: ['10.62.1.1'] });
    using rx6 = new McastRxSocket({ groups: [g6, g6link], port, iface: name });
    const events4 = rxEvents(rx4);
    const events6 = rxEvents(rx6);
    const sockets6 = rx6.osSocketCount;
    senders.push(startSender(h1, 'eth0', g4, port, 'v4'), startSender(h1, 'eth0', g6, port, 'v6'), startSender(h1, 'eth0', g6link, port, 'v6 link'));
    await receiveMatching(rx4, () => true);
    await receiveMatching(rx6, (m) => m.group === g6link);
    const oldIndex = ifaceNamed(name).index;

    await lab.self.ip('link', 'del', name);
    await until('iface-lost', () => (events4.length > 0 && events6.length > 0 ? true : undefined));
    expect(events4).toEqual([['iface-lost', name, 'removed']]);
    expect(events6).toEqual([['iface-lost', name, 'removed']]);
    expect(rx4.ifaces).toEqual([]);
    expect(rx4.groups).toEqual([g4]);
    // Nothing of the old interface is held open.
    expect(rx6.osSocketCount).toBeLessThan(sockets6);

    await connect();
    const newIndex = ifaceNamed(name).index;
    expect(newIndex).not.toBe(oldIndex);
    await until('iface-joined', () => (events4.length > 1 && events6.length > 1 ? true : undefined));
    // Why: the change that made it usable ('added' when it came up at once, else 'up' or 'address-added').
    for (const events of [events4, events6]) {
      expect(events[1]?.slice(0, 2)).toEqual(['iface-joined', name]);
      expect(['added', 'up', 'address-added']).toContain(events[1]?.[2]);
    }
    expect(rx6.osSocketCount).toBe(sockets6);
    expect(rx4.ifaces.map((i) => i.index)).toEqual([newIndex]);
    const m4 = await receiveMatching(rx4, (m) => m.ifaceIndex === newIndex);
    expect(m4).toMatchObject({ group: g4, ifaceName: name, source: { address: '10.62.1.1' } });
    for (const group of [g6, g6link]) {
      const m6 = await receiveMatching(rx6, (m) => m.group === group && m.ifaceIndex === newIndex);
      expect(m6.ifaceName).toBe(name);
    }
  });

  it('a receiver whose interface goes down and up joins again, also the groups joined meanwhile', async () => {
    const name = await lab.connect(lab.self, lanA, { ipv4: '10.62.1.102/24' });
    const group = freshGroup();
    const later = freshGroup();
    const port = freshPort();
    using rx = new McastRxSocket({ groups: [group], port, iface: name });
    const events = rxEvents(rx);
    senders.push(startSender(h1, 'eth0', group, port, 'flap'), startSender(h1, 'eth0', later, port, 'later'));
    await receiveMatching(rx, () => true);
    await lab.self.ip('link', 'set', name, 'down');
    await until('iface-lost', () => events.find((e) => e[0] === 'iface-lost'));
    expect(rx.ifaces).toEqual([]);
    // Joined while the interface is away: recorded, and joined there when it is back.
    rx.join(later);
    expect(rx.groups).toEqual([group, later]);
    await lab.self.ip('link', 'set', name, 'up');
    await until('iface-joined', () => events.find((e) => e[0] === 'iface-joined'));
    expect(events).toEqual([
      ['iface-lost', name, 'down'],
      ['iface-joined', name, 'up'],
    ]);
    // Datagrams queued before the flap are of no interest; a new one must come.
    while ((await rx.receive({ timeout: 0 })) !== null);
    await receiveMatching(rx, (m) => m.ifaceName === name && m.group === group);
    await receiveMatching(rx, (m) => m.ifaceName === name && m.group === later);
  });

  it('rejoin: false keeps the interfaces as opened: it reports the loss and stays off', async () => {
    const name = lab.selfIfname('nr');
    const connect = (): Promise<string> => lab.connect(lab.self, lanA, { ifname: name, ipv4: '10.62.1.103/24' });
    await connect();
    const group = freshGroup();
    const port = freshPort();
    using off = new McastRxSocket({ groups: [group], port, iface: name, rejoin: false });
    using control = new McastRxSocket({ groups: [group], port, iface: name });
    const events = rxEvents(off);
    const opened = off.ifaces;
    senders.push(startSender(h1, 'eth0', group, port, 'x'));
    await receiveMatching(off, () => true);

    await lab.self.ip('link', 'del', name);
    await until('iface-lost', () => events.find((e) => e[0] === 'iface-lost'));
    await connect();
    const newIndex = ifaceNamed(name).index;
    // The control receiver proves that datagrams arrive on the new interface...
    await receiveMatching(control, (m) => m.ifaceIndex === newIndex);
    for (let i = 0; i < 5; i++) await receiveMatching(control, (m) => m.ifaceIndex === newIndex);
    // ...and the receiver with rejoin: false got none of them.
    const late: McastMessage[] = [];
    for (let m = await off.receive({ timeout: 0 }); m !== null; m = await off.receive({ timeout: 0 })) late.push(m);
    expect(late.filter((m) => m.ifaceIndex === newIndex)).toEqual([]);
    expect(events).toEqual([['iface-lost', name, 'removed']]);
    expect(off.ifaces.map((i) => [i.name, i.index])).toEqual(opened.map((i) => [i.name, i.index]));
  });

  it('rejects a bad rejoin option', () => {
    expect(() => new McastRxSocket({ groups: [], port: freshPort(), iface: 'lo', rejoin: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
    );
  });
});

describeLab('senders whose interface goes away', () => {
  let lab: Lab;
  let lanA: Lan;
  let lanB: Lan;
  let h1: Host;
  let h2: Host;

  beforeAll(async () => {
    lab = await Lab.create();
    lanA = await lab.lan('sa');
    lanB = await lab.lan('sb');
    h1 = await lab.host('h1');
    h2 = await lab.host('h2');
    await lab.connect(h1, lanA, { ipv4: '10.63.1.1/24', ipv6: 'fd63:1::1/64' });
    await lab.connect(h2, lanB, { ipv4: '10.63.2.1/24', ipv6: 'fd63:2::1/64' });
  });
  afterAll(() => lab?.close());

  /** A receiver on `host` printing "got <group> <text>" per datagram. */
  function listen(host: Host, groups: string[], port: number): LabProcess {
    return host.spawnEval(`
      for (const g of ${JSON.stringify(groups)}) {
        const rx = new mce.McastRxSocket({ groups: [g], port: ${port}, iface: 'eth0' });
        rx.on('message', (m) => console.log('got ' + m.group + ' ' + m.data.toString()));
      }
      console.log('listening');
    `);
  }

  /** Sends until the listener prints it (the first datagrams after a link comes up can be lost). */
  async function sendUntilSeen(tx: McastTxSocket, listener: LabProcess, group: string, port: number, text: string): Promise<void> {
    const end = Date.now() + 8000;
    while (!listener.lines.includes(`got ${group} ${text}`)) {
      if (Date.now() > end) throw new Error(`${text} to ${group} never arrived; listener printed: ${listener.stdout}`);
      await tx.send(text, group, port);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('rejects while its interface is deleted, sends nothing elsewhere, and sends again once it is back', async () => {
    const name = lab.selfIfname('tx');
    const connect = (): Promise<string> => lab.connect(lab.self, lanA, { ifname: name, ipv4: '10.63.1.100/24', ipv6: 'fd63:1::100/64' });
    await connect();
    // Every other route (default, multicast) leads to LAN B, where h2 listens: a datagram that left
    // by another interface would show there.
    const other = await lab.connect(lab.self, lanB, { ipv4: '10.63.2.100/24', ipv6: 'fd63:2::100/64' });
    await lab.self.ip('route', 'add', 'default', 'via', '10.63.2.1', 'dev', other);
    await lab.self.ip('-6', 'route', 'add', 'default', 'via', 'fd63:2::1', 'dev', other);
    await lab.self.ip('route', 'add', '224.0.0.0/4', 'dev', other);
    const g4 = freshGroup();
    const g6 = freshGroup('ipv6');
    const port = freshPort();
    const onA = listen(h1, [g4, g6], port);
    const onB = listen(h2, [g4, g6], port);
    await onA.waitFor('listening');
    await onB.waitFor('listening');
    const seen = record((n) => n === name);
    using tx4 = new McastTxSocket({ iface: name, groups: [g4] });
    using tx6 = new McastTxSocket({ iface: name, groups: [g6] });
    try {
      const oldIndex = tx4.iface.index;
      await sendUntilSeen(tx4, onA, g4, port, 'before');
      await sendUntilSeen(tx6, onA, g6, port, 'before');

      await lab.self.ip('link', 'del', name);
      // At once (the OS says so) and after the socket has heard of it (refused before the OS).
      for (const phase of ['at once', 'noticed']) {
        if (phase === 'noticed') await until('removed', () => seen.changes.find((c) => c.type === 'removed'));
        for (const [tx, group] of [[tx4, g4], [tx6, g6]] as const) {
          const err = await catchRejection(tx.send('while gone', group, port));
          expect(err).toBeInstanceOf(MulticastExpertError);
          expect(['ENODEV', 'ENXIO', 'ENETDOWN', 'ENETUNREACH', 'EADDRNOTAVAIL']).toContain(err.code);
          expect(err.message).toContain(`interface ${name}`);
          expect(err.hint).toContain(`once an interface named ${name} is back`);
          const batchErr = await catchRejection(tx.sendBatch([{ data: 'while gone', group, port }]));
          expect(batchErr.message).toContain(name);
        }
      }
      const refused = await catchRejection(tx4.send('while gone', g4, port));
      expect(refused.code).toBe('ENODEV');

      await connect();
      await until('added', () => seen.changes.find((c) => c.type === 'added'));
      await sendUntilSeen(tx4, onA, g4, port, 'after');
      await sendUntilSeen(tx6, onA, g6, port, 'after');
      expect(tx4.iface.name).toBe(name);
      expect(tx4.iface.index).not.toBe(oldIndex);
      expect(tx6.iface.index).toBe(tx4.iface.index);
      expect(onA.lines.filter((l) => l.includes('while gone'))).toEqual([]);
      // h2 could hear this host on LAN B all along: a sender there gets through, and since a datagram
      // that left by LAN B while the interface was gone would have come first, none did.
      using proof4 = new McastTxSocket({ iface: other, groups: [g4] });
      using proof6 = new McastTxSocket({ iface: other, groups: [g6] });
      await sendUntilSeen(proof4, onB, g4, port, 'proof via B');
      await sendUntilSeen(proof6, onB, g6, port, 'proof via B');
      expect(onB.lines.filter((l) => l.startsWith('got') && !l.endsWith(' proof via B'))).toEqual([]);
    } finally {
      seen.close();
      await onA.stop();
      await onB.stop();
    }
  });

  it('sends again after its interface goes down and up, and after its IPv4 address changes', async () => {
    const name = await lab.connect(lab.self, lanA, { ipv4: '10.63.1.101/24' });
    const group = freshGroup();
    const port = freshPort();
    const onA = listen(h1, [group], port);
    await onA.waitFor('listening');
    using tx = new McastTxSocket({ iface: name, groups: [group] });
    try {
      await sendUntilSeen(tx, onA, group, port, 'one');
      await lab.self.ip('link', 'set', name, 'down');
      const down = await catchRejection(tx.send('x', group, port));
      expect(down.message).toContain(`interface ${name}`);
      expect(down.message).toContain('is down');
      await lab.self.ip('link', 'set', name, 'up');
      await sendUntilSeen(tx, onA, group, port, 'two');

      // Linux keeps the address given with IP_MULTICAST_IF as the source and refuses once it is gone.
      await lab.self.ip('addr', 'del', '10.63.1.101/24', 'dev', name);
      const bare = await catchRejection(tx.send('x', group, port));
      expect(bare.message).toContain('has no ipv4 address');
      await lab.self.ip('addr', 'add', '10.63.1.102/24', 'dev', name);
      await sendUntilSeen(tx, onA, group, port, 'three');
    } finally {
      await onA.stop();
    }
  });
});
