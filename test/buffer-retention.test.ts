// What a kept datagram keeps alive: its Buffer is a view into a block of at most 64 KiB (the
// README's promise), however large the batch it came in. A lab host floods datagrams of 1200 and
// 60000 bytes while this process's event loop is held up, so that the receiver then reads them in
// batches of hundreds of kilobytes; every Buffer handed out must sit in a block of at most 64 KiB,
// and still hold its own bytes at the end. That the batches really were that large is checked too
// (else the test would prove nothing). And the memory of blocks that JavaScript let go of, used
// again for new ones, shows none of its old bytes. No timing is asserted.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { McastRxSocket, type McastMessage } from '../lib';
import { type Agent, Lab } from '../lab/lab';
import { describeLab, freshGroup, freshPort, settle, sleep } from './helpers';

const kBlock = 64 * 1024;
const COUNT = 300;

/** The size of datagram `seq`: mostly 1200 bytes, every tenth nearly 64 KiB. */
function sizeOf(seq: number): number {
  return seq % 10 === 9 ? 60000 : 1200;
}

/** Whether `data` holds datagram `seq` (its number, then a pattern of it). */
function intact(data: Buffer): boolean {
  if (data.length < 4) return false;
  const seq = data.readUInt32LE(0);
  if (data.length !== sizeOf(seq)) return false;
  for (let i = 4; i < data.length; i++) if (data[i] !== ((seq + i) & 255)) return false;
  return true;
}

/** A full garbage collection, and time for Node to run the finalizers of what it collected. */
async function collectGarbage(): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(50);
  }
}

/** Agent code: sends `count` datagrams of `size` bytes, each its number (uint32) then `fill` bytes, in one sendBatch. */
function sendFilled(group: string, port: number, count: number, size: number, fill: number): string {
  return `const tx = new mce.McastTxSocket({ iface: 'eth0' });
    const batch = [];
    for (let seq = 0; seq < ${count}; seq++) {
      const b = Buffer.alloc(${size}, ${fill});
      b.writeUInt32LE(seq, 0);
      batch.push({ data: b, group: '${group}', port: ${port} });
    }
    const sent = await tx.sendBatch(batch);
    tx.close();
    return sent;`;
}

describeLab('a kept Buffer keeps at most a 64 KiB block alive', () => {
  let lab: Lab;
  let ifname: string;
  let agent: Agent;

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('slab');
    ifname = await lab.connect(lab.self, lan, { ipv4: '10.73.0.100/24' });
    const h1 = await lab.host('h1');
    await lab.connect(h1, lan, { ipv4: '10.73.0.1/24' });
    agent = await h1.agent();
  });
  afterAll(async () => {
    await agent?.stop();
    await lab?.close();
  });

  it.each(['message', 'batch'] as const)("'%s': batches of hundreds of kilobytes, every Buffer in a block of at most 64 KiB", async (how) => {
    const group = freshGroup();
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [group], port, iface: ifname, receiveBufferSize: 4 << 20 });
    const kept: McastMessage[] = [];
    // Bytes per hand-over from the native side: the datagrams delivered in one go, before the
    // microtasks run.
    const batchBytes: number[] = [];
    let current = -1;
    const take = (msg: McastMessage): void => {
      kept.push(msg);
      if (current < 0) {
        current = batchBytes.push(0) - 1;
        queueMicrotask(() => (current = -1));
      }
      batchBytes[current] = (batchBytes[current] as number) + msg.data.length;
    };
    if (how === 'message') rx.on('message', take);
    else rx.on('batch', (msgs) => msgs.forEach(take));
    try {
      const sending = agent.run<number>(`
        const tx = new mce.McastTxSocket({ iface: 'eth0' });
        const batch = [];
        for (let seq = 0; seq < ${COUNT}; seq++) {
          const b = Buffer.alloc(seq % 10 === 9 ? 60000 : 1200);
          b.writeUInt32LE(seq, 0);
          for (let i = 4; i < b.length; i++) b[i] = (seq + i) & 255;
          batch.push({ data: b, group: '${group}', port: ${port} });
        }
        const sent = await tx.sendBatch(batch);
        tx.close();
        return sent;`);
      // Hold this event loop up while the datagrams arrive: the receiver then finds them all queued
      // in the kernel and reads them in a few large batches.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
      expect(await sending).toBe(COUNT);
      await settle(() => kept.length, 20);

      const drops = rx.stats().kernelDrops;
      console.log(`${how}: ${kept.length} of ${COUNT} datagrams (${drops} dropped by the kernel); largest batch ${Math.max(0, ...batchBytes)} bytes`);
      expect(kept.length).toBeGreaterThan(100);
      expect(kept.length + drops).toBeLessThanOrEqual(COUNT);
      // The batches were far larger than a block (else nothing was tested).
      const received = rx.stats().received;
      expect(received).toBe(kept.length);
      expect(Math.max(...batchBytes)).toBeGreaterThan(4 * kBlock);
      const oversized = kept.filter((m) => m.data.buffer.byteLength > kBlock).map((m) => m.data.buffer.byteLength);
      expect(oversized.slice(0, 5)).toEqual([]);
      // Each small datagram kept alone keeps at most a block: a 1200-byte one, not a batch.
      const small = kept.find((m) => m.data.length === 1200) as McastMessage;
      expect(small.data.buffer.byteLength).toBeLessThanOrEqual(kBlock);
      // And no later batch wrote over an earlier one's bytes.
      expect(kept.filter((m) => !intact(m.data)).length).toBe(0);
      expect(kept.filter((m) => m.data.length === 60000).length).toBeGreaterThan(0);
    } finally {
      rx.close();
    }
  });

  // A receiver keeps the memory of blocks that every owner let go of for its next blocks
  // (RxSlabPool in native/rx_batch.h): a block made from it must show the new datagrams and zeros,
  // never the bytes of the block it was before.
  it("a block's memory used again shows only the new datagrams and zeros", async () => {
    const group = freshGroup();
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [group], port, iface: ifname, receiveBufferSize: 4 << 20 });
    let kept: McastMessage[] = [];
    let seen = 0;
    rx.on('message', (msg) => {
      seen++;
      kept.push(msg);
    });
    try {
      // A few blocks' worth, let go of: their memory holds 0xaa bytes.
      expect(await agent.run<number>(sendFilled(group, port, 200, 1200, 0xaa))).toBe(200);
      await settle(() => seen);
      expect(kept.length).toBeGreaterThan(100);
      const oldBlocks = [...new Set(kept.map((m) => m.data.buffer as ArrayBuffer))].map((b) => new WeakRef(b));
      expect(oldBlocks.length).toBeGreaterThan(2);
      // One more, in a batch of its own, so that the receiver's last batch names only the block
      // still being filled; then nothing refers to the others.
      expect(await agent.run<number>(sendFilled(group, port, 1, 8, 0xab))).toBe(1);
      await settle(() => seen);
      kept = [];
      await collectGarbage();
      // Blocks were let go of (else the test below proves nothing): their memory went back to the receiver.
      expect(oldBlocks.filter((b) => b.deref() === undefined).length).toBeGreaterThan(0);

      // More than a block's worth, arriving at once: new blocks, from the memory let go of.
      const sending = agent.run<number>(sendFilled(group, port, 120, 1200, 0x55));
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      expect(await sending).toBe(120);
      await settle(() => seen);
      expect(kept.length).toBeGreaterThan(60);
      expect(kept.filter((m) => m.data.length !== 1200 || m.data.subarray(4).some((b) => b !== 0x55)).length).toBe(0);
      // Every block this burst started (not the one it went on filling) shows its datagrams and zeros.
      const blocks = new Map<ArrayBuffer, McastMessage[]>();
      for (const m of kept) {
        const block = m.data.buffer as ArrayBuffer;
        blocks.set(block, [...(blocks.get(block) ?? []), m]);
      }
      blocks.delete((kept[0] as McastMessage).data.buffer as ArrayBuffer);
      expect(blocks.size).toBeGreaterThan(0);
      let stray = 0;
      for (const [block, msgs] of blocks) {
        const bytes = new Uint8Array(block);
        const shown = new Uint8Array(block.byteLength);
        for (const m of msgs) shown.fill(1, m.data.byteOffset, m.data.byteOffset + m.data.length);
        for (let i = 0; i < bytes.length; i++) if (shown[i] === 0 && bytes[i] !== 0) stray++;
      }
      expect(stray).toBe(0);
    } finally {
      rx.close();
    }
  });
});
