// Node's conventions with real sockets, in the lab: the `signal` option closes a real receiver (its
// memberships leave the interface, its OS sockets close) and a real sender; breaking out of a real
// receive loop closes its receiver, where receive() leaves it open. The logic of each, and the
// cases the OS has no part in, are unit tests (test/unit/conventions.test.ts, test/unit/receiver.test.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

import { ErrorCodes, McastRxSocket, McastTxSocket } from '../lib';
import { type Agent, Lab } from '../lab/lab';
import { catchRejection, describeLab, freshGroup, freshPort, sendCode, sleep } from './helpers';

describeLab('conventions with real sockets', () => {
  let lab: Lab;
  let ifA: string;
  let h1: Agent;
  const open: Array<{ close(): void }> = [];
  function track<T extends { close(): void }>(s: T): T {
    open.push(s);
    return s;
  }

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('conv');
    ifA = await lab.connect(lab.self, lan, { ipv4: '10.66.0.100/24' });
    const host = await lab.host('h1');
    await lab.connect(host, lan, { ipv4: '10.66.0.1/24' });
    h1 = await host.agent();
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await h1?.stop();
    await lab?.close();
  });

  /** Whether the kernel holds a membership of `group` on the lab interface (ip maddr, any socket of this namespace). */
  function joinedOnIface(group: string): boolean {
    const r = spawnSync('ip', ['maddr', 'show', 'dev', ifA], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ip maddr failed: ${r.stderr}`);
    return r.stdout.split('\n').some((line) => line.trim().split(/\s+/).includes(group));
  }

  /** UDP sockets of this namespace bound to local `port` (from /proc/net/udp and udp6). */
  function udpSocketsOn(port: number): number {
    const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    let count = 0;
    for (const file of ['/proc/net/udp', '/proc/net/udp6']) {
      for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) if (line.trim().split(/\s+/)[1]?.endsWith(hex)) count++;
    }
    return count;
  }

  /** Waits (up to 2 s) until the kernel has left `group` on the lab interface. */
  async function leftIface(group: string): Promise<boolean> {
    for (let i = 0; i < 200 && joinedOnIface(group); i++) await sleep(10);
    return !joinedOnIface(group);
  }

  it('the signal option closes a real receiver: it had received, then its membership leaves the interface and its sockets close', async () => {
    const group = freshGroup();
    const port = freshPort();
    const ac = new AbortController();
    const rx = track(new McastRxSocket({ groups: [group], port, iface: ifA, signal: ac.signal }));
    expect(joinedOnIface(group)).toBe(true);
    expect(udpSocketsOn(port)).toBeGreaterThan(0);
    const got = rx.receive({ timeout: 5000 });
    await h1.run(sendCode({ iface: 'eth0' }, 'before the abort', group, port));
    expect((await got)?.data.toString()).toBe('before the abort');
    const closed = new Promise<void>((resolve) => rx.once('close', resolve));
    ac.abort();
    expect(rx.closed).toBe(true);
    await closed;
    expect(await leftIface(group)).toBe(true);
    expect(udpSocketsOn(port)).toBe(0);
  });

  it('the signal option closes a real sender: its socket closes, and a send then rejects with ERR_SOCKET_CLOSED', async () => {
    const group = freshGroup();
    const ac = new AbortController();
    const tx = track(new McastTxSocket({ iface: ifA, signal: ac.signal }));
    await tx.send('before the abort', group, freshPort());
    const { port } = tx.address();
    expect(udpSocketsOn(port)).toBe(1);
    ac.abort();
    expect(tx.closed).toBe(true);
    expect(udpSocketsOn(port)).toBe(0);
    expect((await catchRejection(tx.send('after', group, freshPort()))).code).toBe(ErrorCodes.SOCKET_CLOSED);
  });

  it('breaking out of a real for await loop closes the receiver; receive() before it had left it open', async () => {
    const group = freshGroup();
    const port = freshPort();
    const rx = track(new McastRxSocket({ groups: [group], port, iface: ifA }));
    const first = rx.receive({ timeout: 5000 });
    await h1.run(sendCode({ iface: 'eth0' }, 'one', group, port, 3));
    expect((await first)?.data.toString()).toBe('one');
    // receive() took a datagram and left the socket as it was.
    expect(rx.closed).toBe(false);
    expect(joinedOnIface(group)).toBe(true);
    expect(udpSocketsOn(port)).toBeGreaterThan(0);
    const got: string[] = [];
    for await (const msg of rx) {
      got.push(msg.data.toString());
      if (got.length === 1) break;
    }
    expect(got).toEqual(['one']);
    expect(rx.closed).toBe(true);
    expect(await leftIface(group)).toBe(true);
    expect(udpSocketsOn(port)).toBe(0);
  });
});
