// What the memory behind a received Buffer holds. Datagrams are read straight into 64 KiB slabs that
// JavaScript sees whole (msg.data.buffer), so:
// - a datagram the receiver's filter dropped must leave no trace there (it reached the OS socket, but
//   is not the receiver's to see);
// - datagrams of every size in one burst (each read into room sized for the ones before it, so that
//   the larger ones overflow it) arrive whole, each in one slab, those over 32 KiB in a buffer of
//   their own, every one at a multiple of 8 in its block;
// - a slab whose ArrayBuffer JavaScript detached still delivers what comes after.
// The receiver's event loop is held up while the datagrams arrive, so that they are read in large
// batches, many per system call. No timing is asserted.
import { McastRxSocket, type McastMessage } from '../lib';
import { type Agent, Lab } from '../lab/lab';
import { describeLab, freshGroup, freshPort, settle } from './helpers';

const kSlab = 64 * 1024;

/** Holds this process's event loop up for `ms`: the kernel queues what arrives meanwhile. */
function holdLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Agent code: sends datagrams of the given sizes, each `seq` (uint32) then bytes (seq + i) & 255, with one sendBatch. */
function sendSized(family: 'ipv4' | 'ipv6', group: string, port: number, sizes: number[], tag: number): string {
  return `const tx = new mce.McastTxSocket({ iface: 'eth0', family: '${family}' });
    const sizes = ${JSON.stringify(sizes)};
    const batch = sizes.map((size, seq) => {
      const b = Buffer.alloc(size);
      b.writeUInt32LE(seq, 0);
      for (let i = 4; i < size; i++) b[i] = (seq + i + ${tag}) & 255;
      return { data: b, group: '${group}', port: ${port} };
    });
    const sent = await tx.sendBatch(batch);
    tx.close();
    return sent;`;
}

/** Whether `data` is datagram `seq` of sendSized(..., sizes, tag). */
function intact(data: Buffer, sizes: number[], tag: number): boolean {
  if (data.length < 4) return false;
  const seq = data.readUInt32LE(0);
  if (data.length !== sizes[seq]) return false;
  for (let i = 4; i < data.length; i++) if (data[i] !== ((seq + i + tag) & 255)) return false;
  return true;
}

describeLab('what the memory behind a received Buffer holds', () => {
  let lab: Lab;
  let ifA: string;
  let ifB: string;
  let onA: Agent; // on LAN A, where the receivers join
  let onB: Agent; // on LAN B, where they do not

  beforeAll(async () => {
    lab = await Lab.create();
    const [lanA, lanB] = await Promise.all([lab.lan('sa'), lab.lan('sb')]);
    ifA = await lab.connect(lab.self, lanA, { ipv4: '10.74.1.100/24', ipv6: 'fd74:1::100/64' });
    ifB = await lab.connect(lab.self, lanB, { ipv4: '10.74.2.100/24', ipv6: 'fd74:2::100/64' });
    const [h1, h2] = await Promise.all([lab.host('h1'), lab.host('h2')]);
    await lab.connect(h1, lanA, { ipv4: '10.74.1.1/24', ipv6: 'fd74:1::1/64' });
    await lab.connect(h2, lanB, { ipv4: '10.74.2.2/24', ipv6: 'fd74:2::2/64' });
    [onA, onB] = await Promise.all([h1.agent(), h2.agent()]);
  });
  afterAll(async () => {
    await Promise.all([onA, onB].map((a) => a?.stop()));
    await lab?.close();
  });

  // Linux's IPv6 membership check ignores the interface (see receiver-promise.test.ts): once the host
  // has joined the group on B too (another receiver did), the group's datagrams from LAN B reach the
  // OS socket of a receiver that joined on A, and its native filter drops them, between datagrams it
  // keeps.
  it("ipv6: a datagram the filter dropped is nowhere in the memory of the receiver's Buffers", async () => {
    const group = freshGroup('ipv6');
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [group], port, iface: ifA, receiveBufferSize: 4 << 20 });
    const onLanB = new McastRxSocket({ groups: [group], port, iface: ifB, receiveBufferSize: 4 << 20 });
    const kept: McastMessage[] = [];
    rx.on('message', (msg) => kept.push(msg));
    const keptOnB: McastMessage[] = [];
    onLanB.on('batch', (msgs) => keptOnB.push(...msgs));
    try {
      const sizes = Array.from({ length: 200 }, () => 300);
      // Both LANs at once, so that dropped and kept datagrams are read in the same batches. The
      // foreign ones carry a text that must not be found anywhere.
      const foreign = `FOREIGN-${port}-`;
      const sendingA = onA.run<number>(sendSized('ipv6', group, port, sizes, 1));
      const sendingB = onB.run<number>(`const tx = new mce.McastTxSocket({ iface: 'eth0', family: 'ipv6' });
        const batch = Array.from({ length: 200 }, () => ({ data: Buffer.from('${foreign}'.repeat(20)), group: '${group}', port: ${port} }));
        const sent = await tx.sendBatch(batch);
        tx.close();
        return sent;`);
      holdLoop(500);
      expect(await sendingA).toBe(200);
      expect(await sendingB).toBe(200);
      await settle(() => kept.length + rx.stats().filtered + keptOnB.length);

      const { received, filtered, kernelDrops } = rx.stats();
      // The foreign datagrams did reach the receiver's socket (and were dropped by its filter), and
      // its own arrived, so that they shared slabs.
      expect(filtered).toBeGreaterThan(100);
      expect(kept.length).toBe(received);
      expect(received + kernelDrops).toBeGreaterThanOrEqual(100);
      expect(kept.filter((m) => !intact(m.data, sizes, 1))).toEqual([]);
      const blocks = new Set(kept.map((m) => m.data.buffer));
      expect(blocks.size).toBeGreaterThan(0);
      const traces = [...blocks].filter((block) => Buffer.from(block).includes(foreign));
      expect(traces.length).toBe(0);
      // The same search finds the text in the memory of the receiver it was delivered to.
      expect(keptOnB.length).toBeGreaterThan(0);
      expect(Buffer.from((keptOnB[0] as McastMessage).data.buffer).includes(foreign)).toBe(true);
    } finally {
      rx.close();
      onLanB.close();
    }
  });

  it.each(['message', 'batch'] as const)("'%s': datagrams of every size in one burst arrive whole, each in one block, at a multiple of 8", async (how) => {
    const group = freshGroup();
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [group], port, iface: ifA, receiveBufferSize: 4 << 20 });
    const kept: McastMessage[] = [];
    if (how === 'message') rx.on('message', (msg) => kept.push(msg));
    else rx.on('batch', (msgs) => kept.push(...msgs));
    try {
      // Small ones first, so that the room given to each datagram shrinks to theirs; then each larger
      // size, which overflows it, a few times over; the largest an IPv4 datagram can be; and small
      // ones again between them.
      const pattern = [64, 64, 64, 1200, 64, 9000, 1200, 20000, 64, 32768, 32769, 4, 60000, 65507, 100, 8, 65507, 64];
      const sizes = Array.from({ length: 12 }, () => pattern).flat();
      const sending = onA.run<number>(sendSized('ipv4', group, port, sizes, 7));
      holdLoop(500);
      expect(await sending).toBe(sizes.length);
      await settle(() => kept.length);

      const { received, kernelDrops } = rx.stats();
      expect(kept.length).toBe(received);
      expect(received + kernelDrops).toBe(sizes.length);
      expect(received).toBeGreaterThan(sizes.length / 2);
      expect(kept.filter((m) => !intact(m.data, sizes, 7)).map((m) => m.data.length)).toEqual([]);
      // In the order sent (one sender, one group).
      const seqs = kept.map((m) => m.data.readUInt32LE(0));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      for (const m of kept) {
        expect(m.data.buffer.byteLength).toBeLessThanOrEqual(kSlab);
        if (m.data.length > kSlab / 2) expect(m.data.buffer.byteLength).toBe(m.data.length);
        expect(m.data.byteOffset % 8).toBe(0);
      }
      // Every size did arrive (else some path went untested).
      const arrived = new Set(kept.map((m) => m.data.length));
      expect([...new Set(pattern)].filter((s) => !arrived.has(s))).toEqual([]);
    } finally {
      rx.close();
    }
  });

  // ArrayBuffer.prototype.transfer (Node 21 and later) detaches any ArrayBuffer without a detach key,
  // a slab's too, although the slab is not full: the next batches must still arrive whole.
  const canTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function';
  (canTransfer ? it : it.skip)(
    `a slab whose ArrayBuffer was detached still delivers the batches after it${canTransfer ? '' : ` (skipped: Node.js ${process.version} has no ArrayBuffer.prototype.transfer)`}`,
    async () => {
      const group = freshGroup();
      const port = freshPort();
      const rx = new McastRxSocket({ groups: [group], port, iface: ifA, receiveBufferSize: 4 << 20 });
      const kept: McastMessage[] = [];
      rx.on('message', (msg) => kept.push(msg));
      try {
        const first = [1000];
        expect(await onA.run<number>(sendSized('ipv4', group, port, first, 2))).toBe(1);
        await settle(() => kept.length);
        expect(kept.length).toBe(1);
        const slab = (kept[0] as McastMessage).data.buffer as ArrayBuffer & { transfer(): ArrayBuffer; detached: boolean };
        expect(slab.byteLength).toBe(kSlab);
        slab.transfer();
        expect(slab.detached).toBe(true);

        const sizes = Array.from({ length: 20 }, () => 1000);
        expect(await onA.run<number>(sendSized('ipv4', group, port, sizes, 3))).toBe(20);
        await settle(() => kept.length);
        const later = kept.slice(1);
        expect(later.length + rx.stats().kernelDrops).toBe(20);
        expect(later.filter((m) => !intact(m.data, sizes, 3)).length).toBe(0);
      } finally {
        rx.close();
      }
    },
  );
});
