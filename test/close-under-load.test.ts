// Closing never crashes and never leaks: receivers closed while a flood comes in, inside their own
// 'message' handler, and a thousand open/close cycles leave the descriptor count where it was.
import { McastRxSocket, McastTxSocket } from '../lib';
import { type Agent, Lab } from './lab/lab';
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
});
