// The batched paths under a flood: recvmmsg batches handed to JavaScript through 'message',
// 'batch' and receive(), and sendBatch() over sendmmsg. Two senders on other lab hosts flood two
// groups with numbered datagrams; every datagram must arrive exactly once, in order per sender and
// group, with its group, interface, source and bytes; and every datagram sent is accounted for: it
// arrived, or the kernel dropped it and counted it in stats().kernelDrops. Each group has an OS
// socket of its own and, as between any two UDP sockets, the kernel keeps no order between them: so
// order is checked per sender and group. The Buffers are kept to the end and checked again: a later
// batch never overwrites an earlier one's. 'batch-view' (the columnar form) is checked field by field
// against the array form of the same batch. No timing is asserted.
import { type McastBatchView, McastRxSocket, type McastMessage, MulticastExpertError } from '../lib';
import { type Agent, Lab } from '../lab/lab';
import { describeLab, freshGroup, freshPort, sleep } from './helpers';

const SIZE = 100;
const PER_SENDER = 3000;

/** Agent code: sends `count` numbered datagrams from sender `id`, alternately to the two groups. */
function floodCode(id: number, groups: string[], port: number, count: number, chunk = 50): string {
  return `
    const tx = (state.tx ??= new mce.McastTxSocket({ iface: 'eth0' }));
    const groups = ${JSON.stringify(groups)};
    let sent = 0;
    for (let seq = 0; seq < ${count}; ) {
      const batch = [];
      for (let k = 0; k < ${chunk} && seq < ${count}; k++, seq++) {
        const b = Buffer.alloc(${SIZE});
        b.writeUInt32LE(${id}, 0);
        b.writeUInt32LE(seq, 4);
        b[8] = seq % 2;
        for (let i = 9; i < ${SIZE}; i++) b[i] = (seq + i) & 255;
        batch.push({ data: b, group: groups[seq % 2], port: ${port} });
      }
      sent += await tx.sendBatch(batch);
      // A breath between chunks, so that the receiver's buffer seldom overflows.
      await new Promise((r) => setTimeout(r, 1));
    }
    return sent;`;
}

/** Checks every datagram of a flood as it arrives, and keeps it to check its bytes again at the end. */
class FloodCheck {
  /** Per stream (sender and group): the least sequence number still allowed, and the count. */
  readonly next = new Map<number, number>();
  readonly streams = new Map<number, number>();
  /** Every datagram, with who sent it and its number when it arrived. */
  readonly kept: Array<{ msg: McastMessage; id: number; seq: number }> = [];
  readonly problems: string[] = [];
  count = 0;

  constructor(
    readonly groups: string[],
    readonly ifaceName: string,
    readonly port: number,
    readonly sources: Map<number, string>,
  ) {}

  take(msg: McastMessage): void {
    this.count++;
    const d = msg.data;
    if (d.length !== SIZE) return void this.problem(`length ${d.length}`);
    const id = d.readUInt32LE(0);
    const seq = d.readUInt32LE(4);
    this.kept.push({ msg, id, seq });
    // A stream is one sender's datagrams to one group (even or odd numbers).
    const stream = id * 2 + (seq % 2);
    const expected = this.next.get(stream) ?? seq % 2;
    if (seq < expected) this.problem(`sender ${id}: ${seq} after ${expected - 2} (duplicate or out of order)`);
    this.next.set(stream, seq + 2);
    this.streams.set(stream, (this.streams.get(stream) ?? 0) + 1);
    if (msg.group !== this.groups[seq % 2]) this.problem(`sender ${id} #${seq}: group ${msg.group}`);
    if (msg.ifaceName !== this.ifaceName) this.problem(`sender ${id} #${seq}: interface ${msg.ifaceName}`);
    if (msg.source.address !== this.sources.get(id)) this.problem(`sender ${id} #${seq}: source ${msg.source.address}`);
    if (msg.port !== this.port || msg.truncated) this.problem(`sender ${id} #${seq}: port ${msg.port}, truncated ${msg.truncated}`);
    if (!this.bytesIntact(msg, id, seq)) this.problem(`sender ${id} #${seq}: bytes`);
  }

  /** Whether `msg` holds datagram `seq` of sender `id`. */
  bytesIntact(msg: McastMessage, id: number, seq: number): boolean {
    const d = msg.data;
    if (d.length !== SIZE || d.readUInt32LE(0) !== id || d.readUInt32LE(4) !== seq || d[8] !== seq % 2) return false;
    for (let i = 9; i < SIZE; i++) if (d[i] !== ((seq + i) & 255)) return false;
    return true;
  }

  problem(text: string): void {
    if (this.problems.length < 20) this.problems.push(text);
  }

  /** Every kept Buffer still holds its own datagram. */
  recheck(): void {
    for (const { msg, id, seq } of this.kept) {
      if (!this.bytesIntact(msg, id, seq)) this.problem(`the kept Buffer of sender ${id} #${seq} was overwritten`);
    }
  }
}

describeLab('batched receiving and sending under a flood', () => {
  let lab: Lab;
  let ifA: string;
  let a1: Agent;
  let a2: Agent;
  const sources = new Map([
    [1, '10.69.0.1'],
    [2, '10.69.0.2'],
  ]);
  const open: McastRxSocket[] = [];

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('flood');
    ifA = await lab.connect(lab.self, lan, { ipv4: '10.69.0.100/24' });
    const [h1, h2] = await Promise.all([lab.host('h1'), lab.host('h2')]);
    await lab.connect(h1, lan, { ipv4: '10.69.0.1/24' });
    await lab.connect(h2, lan, { ipv4: '10.69.0.2/24' });
    [a1, a2] = await Promise.all([h1.agent(), h2.agent()]);
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await Promise.all([a1, a2].map((a) => a?.stop()));
    await lab?.close();
  });

  function receiver(groups: string[], port: number): McastRxSocket {
    const rx = new McastRxSocket({ groups, port, iface: ifA, receiveBufferSize: 4 << 20 });
    open.push(rx);
    return rx;
  }

  /** Waits until `total` datagrams were counted, or nothing more came for a second. */
  async function settle(counted: () => number, total: number): Promise<void> {
    let last = -1;
    let still = 0;
    while (counted() < total && still < 50) {
      still = counted() === last ? still + 1 : 0;
      last = counted();
      await sleep(20);
    }
  }

  /** Floods from both senders, then checks what `check` saw. */
  async function floodAndCheck(rx: McastRxSocket, check: FloodCheck, groups: string[], port: number): Promise<void> {
    const sent = await Promise.all([a1.run<number>(floodCode(1, groups, port, PER_SENDER)), a2.run<number>(floodCode(2, groups, port, PER_SENDER))]);
    expect(sent).toEqual([PER_SENDER, PER_SENDER]);
    await settle(() => check.count, 2 * PER_SENDER);
    const stats = rx.stats();
    expect(check.problems).toEqual([]);
    // Every datagram sent is accounted for: it arrived, or the kernel dropped it and said so.
    expect(check.count + stats.kernelDrops).toBe(2 * PER_SENDER);
    if (stats.kernelDrops === 0) {
      expect([...check.streams.values()]).toEqual([PER_SENDER / 2, PER_SENDER / 2, PER_SENDER / 2, PER_SENDER / 2]);
    } else {
      console.log(`the kernel dropped ${stats.kernelDrops} datagrams under load; the rest arrived in order, once each, intact`);
    }
    expect(stats.received).toBe(check.count);
    check.recheck();
    expect(check.problems).toEqual([]);
  }

  it("'message': every datagram exactly once, in order per sender and group, with its group, interface, source and bytes", async () => {
    const groups = [freshGroup(), freshGroup()];
    const port = freshPort();
    const rx = receiver(groups, port);
    const check = new FloodCheck(groups, ifA, port, sources);
    rx.on('message', (msg) => check.take(msg));
    await floodAndCheck(rx, check, groups, port);
  });

  it("'batch': the same datagrams as arrays, and nothing per datagram besides", async () => {
    const groups = [freshGroup(), freshGroup()];
    const port = freshPort();
    const rx = receiver(groups, port);
    const check = new FloodCheck(groups, ifA, port, sources);
    const emitted = new Map<string | symbol, number>();
    // Untyped: it counts every event, of any name.
    const emit = rx.emit.bind(rx) as (event: string | symbol, ...args: unknown[]) => boolean;
    rx.emit = (event: string | symbol, ...args: unknown[]): boolean => {
      emitted.set(event, (emitted.get(event) ?? 0) + 1);
      return emit(event, ...args);
    };
    let batches = 0;
    let empty = 0;
    rx.on('batch', (msgs: McastMessage[]) => {
      batches++;
      if (!Array.isArray(msgs) || msgs.length === 0) empty++;
      for (const msg of msgs) check.take(msg);
    });
    await floodAndCheck(rx, check, groups, port);
    expect(empty).toBe(0);
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThanOrEqual(check.count);
    // With only a 'batch' listener no 'message' is emitted, and nothing is queued for receive().
    expect(emitted.get('message') ?? 0).toBe(0);
    expect(emitted.get('batch')).toBe(batches);
    expect(await rx.receive({ timeout: 0 })).toBeNull();
  });

  /** Datagram i of a view, put together from its per-index accessors alone. */
  function fromColumns(view: McastBatchView, i: number): McastMessage {
    const scopeId = view.sourceScopeId(i);
    const msg: McastMessage = {
      data: view.data(i),
      source: scopeId !== 0 ? { address: view.sourceAddress(i), port: view.sourcePort(i), family: 'ipv4', scopeId } : { address: view.sourceAddress(i), port: view.sourcePort(i), family: 'ipv4' },
      group: view.group(i),
      port: 0,
      ifaceIndex: view.ifaceIndex(i),
      ifaceName: view.ifaceName(i),
      truncated: view.truncated(i),
    };
    const timestamp = view.timestamp(i);
    if (timestamp !== undefined) msg.timestamp = timestamp;
    return msg;
  }

  /** Checks a view field by field against its array form, and takes each datagram as the columns give it. */
  function takeView(view: McastBatchView, check: FloodCheck, port: number): void {
    const array = view.toArray();
    if (array.length !== view.length) check.problem(`toArray() has ${array.length} datagrams, the view ${view.length}`);
    for (let i = 0; i < view.length; i++) {
      const columns = { ...fromColumns(view, i), port };
      const expected = array[i] as McastMessage;
      const { data: a, ...restA } = columns;
      const { data: b, ...restB } = expected;
      if (JSON.stringify(restA) !== JSON.stringify(restB)) check.problem(`datagram ${i}: columns ${JSON.stringify(restA)}, array ${JSON.stringify(restB)}`);
      if (!a.equals(b) || !view.message(i).data.equals(b)) check.problem(`datagram ${i}: data differs from the array form`);
      // The zero-object form names the same bytes.
      if (!Buffer.from(view.buffer(i), view.byteOffset(i), view.byteLength(i)).equals(b)) check.problem(`datagram ${i}: buffer/byteOffset/byteLength name other bytes`);
      check.take(columns);
    }
  }

  it("'batch-view': the same datagrams by index, every field as in the array form; one view, valid only during the call", async () => {
    const groups = [freshGroup(), freshGroup()];
    const port = freshPort();
    const rx = receiver(groups, port);
    const check = new FloodCheck(groups, ifA, port, sources);
    const emitted = new Map<string | symbol, number>();
    const emit = rx.emit.bind(rx) as (event: string | symbol, ...args: unknown[]) => boolean;
    rx.emit = (event: string | symbol, ...args: unknown[]): boolean => {
      emitted.set(event, (emitted.get(event) ?? 0) + 1);
      return emit(event, ...args);
    };
    const views = new Set<McastBatchView>();
    let empty = 0;
    rx.on('batch-view', (view) => {
      views.add(view);
      if (view.length === 0) empty++;
      takeView(view, check, port);
    });
    await floodAndCheck(rx, check, groups, port);
    expect(empty).toBe(0);
    // One view, reused for every batch: nothing per datagram, nothing per batch.
    expect(views.size).toBe(1);
    expect(emitted.get('batch-view')).toBeGreaterThan(0);
    expect(emitted.get('message') ?? 0).toBe(0);
    expect(emitted.get('batch') ?? 0).toBe(0);
    expect(await rx.receive({ timeout: 0 })).toBeNull();
    // After the call, the view is empty and says so loudly.
    const [view] = [...views] as [McastBatchView];
    expect(view.length).toBe(0);
    expect(view.toArray()).toEqual([]);
    for (const read of [() => view.data(0), () => view.group(0), () => view.sourceAddress(0), () => view.message(0)]) {
      let thrown: unknown;
      try {
        read();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(MulticastExpertError);
      expect((thrown as MulticastExpertError).code).toBe('ERR_INVALID_OPTION');
      expect((thrown as Error).message).toMatch(/valid only during the 'batch-view' listener call/);
    }
  });

  it("'batch-view' beside 'message': both get every datagram, and an index out of range is refused", async () => {
    const groups = [freshGroup(), freshGroup()];
    const port = freshPort();
    const rx = receiver(groups, port);
    const check = new FloodCheck(groups, ifA, port, sources);
    const byMessage = new FloodCheck(groups, ifA, port, sources);
    const refused: string[] = [];
    rx.on('batch-view', (view) => {
      takeView(view, check, port);
      for (const bad of [-1, view.length, 0.5, Number.NaN]) {
        try {
          view.group(bad);
          refused.push(`index ${bad} was accepted`);
        } catch (err) {
          if ((err as MulticastExpertError).code !== 'ERR_INVALID_OPTION') refused.push(String(err));
        }
      }
    });
    rx.on('message', (msg) => byMessage.take(msg));
    await floodAndCheck(rx, check, groups, port);
    expect(refused).toEqual([]);
    expect(byMessage.problems).toEqual([]);
    expect(byMessage.count).toBe(check.count);
  });

  it("'batch-view' added while datagrams wait in the queue: it gets them first, in order", async () => {
    const groups = [freshGroup(), freshGroup()];
    const port = freshPort();
    const rx = receiver(groups, port);
    // Nobody listens: the datagrams wait in the queue (a pending receive() keeps the socket reading).
    const first = rx.receive({ timeout: 10000 });
    expect(await a1.run<number>(floodCode(1, groups, port, 200))).toBe(200);
    const check = new FloodCheck(groups, ifA, port, sources);
    const head = await first;
    expect(head).not.toBeNull();
    check.take(head as McastMessage);
    await sleep(300);
    rx.on('batch-view', (view) => takeView(view, check, port));
    await settle(() => check.count, 200);
    expect(check.problems).toEqual([]);
    expect(check.count + rx.stats().kernelDrops).toBe(200);
  });

  it('receive(): the same datagrams, one call at a time', async () => {
    const groups = [freshGroup(), freshGroup()];
    const port = freshPort();
    const rx = receiver(groups, port);
    const check = new FloodCheck(groups, ifA, port, sources);
    let reading = true;
    const reader = (async () => {
      while (reading || check.count < 2 * PER_SENDER) {
        const msg = await rx.receive({ timeout: 200 });
        if (msg === null) {
          if (!reading) break;
          continue;
        }
        check.take(msg);
      }
    })();
    try {
      await floodAndCheck(rx, check, groups, port);
    } finally {
      reading = false;
      await reader;
    }
  });

  it('sendBatch of a thousand datagrams to two groups: resolves to 1000, and all arrive', async () => {
    const groups = [freshGroup(), freshGroup()];
    const port = freshPort();
    const rx = receiver(groups, port);
    const check = new FloodCheck(groups, ifA, port, sources);
    rx.on('message', (msg) => check.take(msg));
    // One call, one chunk: the whole thousand in a single sendBatch().
    expect(await a1.run<number>(floodCode(1, groups, port, 1000, 1000))).toBe(1000);
    await settle(() => check.count, 1000);
    expect(check.problems).toEqual([]);
    const stats = rx.stats();
    // Every datagram of the batch is accounted for: it arrived, or the kernel dropped it and said so.
    expect(check.count + stats.kernelDrops).toBe(1000);
    expect(stats.received).toBe(check.count);
    if (stats.kernelDrops === 0) {
      expect(check.kept.filter((k) => k.msg.group === groups[0])).toHaveLength(500);
    } else {
      console.log(`the kernel dropped ${stats.kernelDrops} of a 1000-datagram batch under load; the rest arrived in order, once each, intact`);
    }
    check.recheck();
    expect(check.problems).toEqual([]);
  });

  it("a datagram's buffer cannot be taken from under the batches that follow it", async () => {
    const groups = [freshGroup(), freshGroup()];
    const port = freshPort();
    const rx = receiver(groups, port);
    const check = new FloodCheck(groups, ifA, port, sources);
    let tried = false;
    rx.on('message', (msg) => {
      check.take(msg);
      if (tried) return;
      tried = true;
      // Transferring the shared memory would detach it: Node copies it instead, or refuses. Should
      // a runtime detach it anyway, the Buffers made so far are the caller's loss, not later ones.
      try {
        structuredClone(msg.data.buffer, { transfer: [msg.data.buffer as ArrayBuffer] });
      } catch {
        // refused: as good
      }
      if (msg.data.length === 0) check.kept.length = 0;
    });
    expect(await a1.run<number>(floodCode(1, groups, port, 2000))).toBe(2000);
    await settle(() => check.count, 2000);
    expect(tried).toBe(true);
    expect(check.problems).toEqual([]);
    expect(check.count).toBeGreaterThan(0);
    expect(check.count + rx.stats().kernelDrops).toBe(2000);
    check.recheck();
    expect(check.problems).toEqual([]);
  });
});
