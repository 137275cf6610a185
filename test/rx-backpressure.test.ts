// A receiver nobody reads for a while: its queue fills up (4096 datagrams), it stops reading and
// the kernel drops what its buffer cannot hold, counted in stats().kernelDrops. A consumer that comes later, of any
// kind ('message', 'batch', receive(), for await), must get what was queued first, in order, and
// then everything sent after it came: the receiver reads again. A lab host sends numbered datagrams
// before the consumer (5000, and 5000 more while the queue is not yet full) and 1000 after, those paced by what arrives (so that none is
// dropped); no timing is asserted.
import { McastRxSocket, type McastMessage } from '../lib';
import { type Agent, Lab } from '../lab/lab';
import { describeLab, freshGroup, freshPort, sleep } from './helpers';

const BEFORE = 5000;
const AFTER = 1000;
/** The receiver's queue bound (lib/rx-socket.ts). */
const QUEUE_LIMIT = 4096;

type Consumer = 'message' | 'batch' | 'receive' | 'iterator';

describeLab('a consumer that comes after the queue filled up', () => {
  let lab: Lab;
  let ifname: string;
  let agent: Agent;

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('bp');
    ifname = await lab.connect(lab.self, lan, { ipv4: '10.74.0.100/24' });
    const h1 = await lab.host('h1');
    await lab.connect(h1, lan, { ipv4: '10.74.0.1/24' });
    agent = await h1.agent();
    await agent.run(`state.tx = new mce.McastTxSocket({ iface: 'eth0' });`);
  });
  afterAll(async () => {
    await agent?.stop();
    await lab?.close();
  });

  /** Sends datagrams `from` to `to` - 1 (each holds its number), in chunks of 100 with a breath between. */
  async function send(group: string, port: number, from: number, to: number): Promise<void> {
    const sent = await agent.run<number>(`
      let sent = 0;
      for (let seq = ${from}; seq < ${to}; ) {
        const batch = [];
        for (let k = 0; k < 100 && seq < ${to}; k++, seq++) {
          const b = Buffer.alloc(64);
          b.writeUInt32LE(seq, 0);
          batch.push({ data: b, group: '${group}', port: ${port} });
        }
        sent += await state.tx.sendBatch(batch);
        await new Promise((r) => setTimeout(r, 2));
      }
      return sent;`);
    expect(sent).toBe(to - from);
  }

  /** Starts `kind` of consumer on `rx`; every datagram it gets goes to `got`. Returns a stop function. */
  function consume(rx: McastRxSocket, kind: Consumer, got: number[]): () => Promise<void> {
    const take = (msg: McastMessage): void => {
      got.push(msg.data.readUInt32LE(0));
    };
    if (kind === 'message') {
      rx.on('message', take);
      return async () => void rx.off('message', take);
    }
    if (kind === 'batch') {
      const onBatch = (msgs: McastMessage[]): void => msgs.forEach(take);
      rx.on('batch', onBatch);
      return async () => void rx.off('batch', onBatch);
    }
    let reading = true;
    const loop =
      kind === 'receive'
        ? (async () => {
            while (reading) {
              const msg = await rx.receive({ timeout: 50 });
              if (msg !== null) take(msg);
            }
          })()
        : (async () => {
            for await (const msg of rx) {
              take(msg);
              if (!reading) break;
            }
          })();
    return async () => {
      reading = false;
      if (kind === 'iterator') rx.close();
      await loop;
    };
  }

  /** Waits until `got` has `count` datagrams, or nothing more came for a second. */
  async function settle(got: number[], count: number): Promise<void> {
    for (let still = 0, last = -1; got.length < count && still < 50; still = got.length === last ? still + 1 : 0, last = got.length) await sleep(20);
  }

  it.each(['message', 'batch', 'receive', 'iterator'] as const)('%s: what was queued first, in order, then everything sent after', async (kind) => {
    const group = freshGroup();
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [group], port, iface: ifname });
    const got: number[] = [];
    let stop: (() => Promise<void>) | null = null;
    try {
      // Nobody reads: the queue fills up, the socket stops reading, the kernel buffers and drops.
      // On a loaded machine the kernel may also drop while the receiver still reads, so more are
      // sent until the receiver has queued its bound's worth and then stopped taking more.
      let sentBefore = 0;
      let queued = 0;
      do {
        await send(group, port, sentBefore, sentBefore + BEFORE);
        sentBefore += BEFORE;
        for (let still = 0, last = -1; still < 10; still = rx.stats().received === last ? still + 1 : 0, last = rx.stats().received) await sleep(20);
        queued = rx.stats().received;
      } while (queued < QUEUE_LIMIT && sentBefore < 10 * BEFORE);
      expect(queued).toBeGreaterThanOrEqual(QUEUE_LIMIT);
      expect(queued).toBeLessThan(sentBefore);

      stop = consume(rx, kind, got);
      // What the queue and the kernel held: each datagram sent before, once, in order.
      await settle(got, QUEUE_LIMIT);
      expect(got.length).toBeGreaterThanOrEqual(QUEUE_LIMIT);
      await sleep(100);
      const before = got.length;
      // In the order sent, none twice (the kernel may have dropped some at any time, counted below).
      expect(got.filter((seq, i) => i > 0 && seq <= (got[i - 1] as number))).toEqual([]);
      expect(got[before - 1]).toBeLessThan(sentBefore);
      // Every one sent before was delivered, or dropped by the kernel and counted.
      const stats = rx.stats();
      expect(before + stats.kernelDrops).toBe(sentBefore);
      console.log(`${kind}: ${before} of the ${sentBefore} sent before the consumer delivered, ${stats.kernelDrops} dropped by the kernel`);

      // The receiver reads again: everything sent now arrives, in order.
      for (let from = sentBefore; from < sentBefore + AFTER; from += 100) {
        await send(group, port, from, from + 100);
        await settle(got, before + (from + 100 - sentBefore));
      }
      expect(got.length - before).toBe(AFTER);
      expect(got.slice(before)).toEqual(Array.from({ length: AFTER }, (_, i) => sentBefore + i));
      expect(rx.stats().kernelDrops).toBe(stats.kernelDrops);
      expect(rx.stats().received).toBe(got.length);
    } finally {
      await stop?.();
      rx.close();
    }
  }, 60000);

  it("once('message') takes one datagram; the rest of its batch waits for the next consumer", async () => {
    const group = freshGroup();
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [group], port, iface: ifname });
    try {
      const first = new Promise<number>((resolve) => rx.once('message', (msg) => resolve(msg.data.readUInt32LE(0))));
      const sending = send(group, port, 0, 20);
      // Held up while they arrive, so that they are read as one batch.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      await sending;
      expect(await first).toBe(0);
      const rest: number[] = [];
      for (let msg = await rx.receive({ timeout: 1000 }); msg !== null; msg = await rx.receive({ timeout: 200 })) rest.push(msg.data.readUInt32LE(0));
      expect(rest).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    } finally {
      rx.close();
    }
  });
});
