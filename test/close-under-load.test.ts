// Closing never crashes and never leaks: receivers closed while a flood comes in, inside their own
// 'message' handler, and a thousand open/close cycles leave the descriptor count where it was.
import { McastRxSocket, McastTxSocket } from '../lib';
import { type Agent, Lab } from '../lab/lab';
import { describeLab, freshGroup, freshPort, openFds, sleep } from './helpers';

describeLab('closing under load', () => {
  let lab: Lab;
  let ifA: string;
  let flooder: Agent;
  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('load');
    ifA = await lab.connect(lab.self, lan, { ipv4: '10.68.0.100/24' });
    const h1 = await lab.host('h1');
    await lab.connect(h1, lan, { ipv4: '10.68.0.1/24' });
    flooder = await h1.agent();
  });
  afterAll(async () => {
    await flooder?.stop();
    await lab?.close();
  });

  async function settle(): Promise<void> {
    // Descriptors are closed in libuv's close callbacks, a loop turn after close().
    await sleep(30);
  }

  it('closes receivers while datagrams flood in, and inside their message handler', async () => {
    const [g1, g2] = [freshGroup(), freshGroup()];
    const port = freshPort();
    const before = openFds();
    await flooder.run(`
      state.tx = new mce.McastTxSocket({ iface: 'eth0' });
      const batch = [];
      for (let i = 0; i < 64; i++) batch.push({ data: Buffer.alloc(200, i), group: i % 2 ? ${JSON.stringify(g1)} : ${JSON.stringify(g2)}, port: ${port} });
      state.flooding = true;
      (async () => { while (state.flooding) { await state.tx.sendBatch(batch); await new Promise((r) => setImmediate(r)); } })();`);
    let closedInHandler = 0;
    for (let round = 0; round < 20; round++) {
      const rx = new McastRxSocket({ groups: [g1, g2], port, iface: ifA });
      if (round % 2 === 0) {
        await rx.receive({ timeout: 5000 });
        rx.close();
      } else {
        await new Promise<void>((resolve) => {
          rx.on('message', () => {
            rx.close();
            closedInHandler++;
            resolve();
          });
        });
      }
      expect(rx.closed).toBe(true);
    }
    await flooder.run('state.flooding = false; await new Promise((r) => setTimeout(r, 50)); state.tx.close();');
    await settle();
    expect(closedInHandler).toBe(10);
    expect(openFds()).toBe(before);
  });

  it('a thousand open/close cycles of receivers and senders leave no descriptor behind', async () => {
    const before = openFds();
    for (let i = 0; i < 1000; i++) {
      const rx = new McastRxSocket({ groups: ['239.68.0.1', '239.68.0.2'], port: 40000 + (i % 50), iface: ifA });
      const tx = new McastTxSocket({ iface: ifA });
      rx.close();
      tx.close();
      if (i % 100 === 99) await settle();
    }
    await settle();
    expect(openFds()).toBe(before);
  });

  it('garbage collection closes sockets nobody holds (warning once), but not a receiver with a listener', async () => {
    const r = await lab.self.node([
      '--expose-gc',
      '-e',
      `const mce = require(${JSON.stringify(require('../lab/lab').DIST)}); const fs = require('node:fs');
      // Sockets only: the runtime opens other descriptors of its own (for the warning output, say).
      const fds = () => fs.readdirSync('/proc/self/fd').filter((fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd).startsWith('socket:'); } catch { return false; } }).length;
      const warnings = [];
      process.on('warning', (w) => warnings.push(w.code));
      const before = fds();
      (() => {
        for (let i = 0; i < 5; i++) new mce.McastRxSocket({ groups: ['239.69.0.' + i, '239.69.1.' + i], port: 5000, iface: ${JSON.stringify(ifA)} });
        new mce.McastTxSocket({ iface: ${JSON.stringify(ifA)} });
        const kept = new mce.McastRxSocket({ groups: ['239.69.2.1'], port: 5001, iface: ${JSON.stringify(ifA)} });
        kept.on('message', (m) => { console.log('kept got', m.data.toString()); kept.close(); });
      })();
      const opened = fds() - before;
      setTimeout(() => { gc(); setTimeout(() => { gc(); setTimeout(async () => {
        console.log(JSON.stringify({ opened, left: fds() - before, warnings }));
        const tx = new mce.McastTxSocket({ iface: ${JSON.stringify(ifA)}, externalLoopback: true });
        const rxl = new mce.McastRxSocket({ groups: ['239.69.2.1'], port: 5001, iface: ${JSON.stringify(ifA)}, externalLoopback: true });
        rxl.close();
        await tx.send('still here', '239.69.2.1', 5001); tx.close();
      }, 100); }, 100); }, 100);`,
    ]);
    const lines = r.stdout.trim().split('\n');
    const report = JSON.parse(lines[0] as string) as { opened: number; left: number; warnings: string[] };
    // Ten group sockets, a sender, the kept receiver, and the interface monitor they share.
    expect(report.opened).toBe(5 * 2 + 1 + 1 + 1);
    // Only the receiver with a listener is still open (with the monitor it subscribes to).
    expect(report.left).toBe(2);
    expect(report.warnings).toEqual(['MULTICAST_EXPERT_SOCKET_GC', 'MULTICAST_EXPERT_SOCKET_GC']);
    expect(lines[1]).toBe('kept got still here');
    expect(r.code).toBe(0);
  });

  it('a receiver nobody reads keeps a bounded queue; the kernel drops the rest, counted', async () => {
    const g = freshGroup();
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [g], port, iface: ifA, receiveBufferSize: 65536 });
    const sent = await flooder.run<number>(`
      const tx = new mce.McastTxSocket({ iface: 'eth0' });
      const batch = [];
      for (let i = 0; i < 50; i++) batch.push({ data: Buffer.alloc(100, 1), group: ${JSON.stringify(g)}, port: ${port} });
      let n = 0;
      for (let round = 0; round < 400; round++) { n += await tx.sendBatch(batch); if (round % 4 === 3) await new Promise((r) => setTimeout(r, 1)); }
      tx.close();
      return n;`);
    expect(sent).toBe(20000);
    await sleep(300);
    const stats = rx.stats();
    // At most the queue's limit plus one batch reached JavaScript; the kernel dropped the rest.
    expect(stats.received).toBeGreaterThan(1000);
    expect(stats.received).toBeLessThanOrEqual(4096 + 1024);
    expect(stats.kernelDrops).toBeGreaterThan(0);
    let taken = 0;
    while ((await rx.receive({ timeout: 200 })) !== null) taken++;
    const after = rx.stats();
    expect(taken).toBe(after.received);
    expect(after.received + after.kernelDrops).toBeLessThanOrEqual(sent);
    rx.close();
  });
});
