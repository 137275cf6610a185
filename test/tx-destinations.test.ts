// A sender's destination table under more distinct destinations than it holds (4096): every
// datagram must reach exactly the group and port its caller named, through send(), sendBatch() and
// both mixed, with calls in flight at once. A lab host sends 48 groups x 100 ports (4800
// destinations), each twice, in a shuffled order and in batches of shuffled sizes, so that the table
// fills up in the middle of batches and destinations leave it and come back; receivers here cover
// every destination, so that a datagram sent to the wrong one is seen where it lands, and each
// datagram says in its bytes where it was meant to go. The sender is paced by what has arrived, so
// that nothing is lost to a full buffer; no timing is asserted.
import { McastRxSocket, type McastMessage } from '../lib';
import { type Agent, Lab } from '../lab/lab';
import { describeLab, freshGroup, freshPort, sleep } from './helpers';

const GROUPS = 48;
const PORTS = 100;
const DESTINATIONS = GROUPS * PORTS;
/** Datagrams the sender has in flight before it waits for the receivers to catch up. */
const CHUNK = 400;

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], next: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

type Mode = 'send' | 'sendBatch' | 'mixed' | 'whole';
/** One call of the sender: a send() of one destination, or a sendBatch() of several. */
type Call = { kind: 'send' | 'batch'; items: number[] };

/** Every destination twice (each pass shuffled), cut into calls; `items` are sequence numbers. */
function plan(mode: Mode, seed: number): { destinationOf: number[]; chunks: Call[][] } {
  const next = random(seed);
  const all = Array.from({ length: DESTINATIONS }, (_, d) => d);
  const destinationOf = [...shuffled(all, next), ...shuffled(all, next)];
  const chunks: Call[][] = [];
  let chunk: Call[] = [];
  let inChunk = 0;
  for (let seq = 0; seq < destinationOf.length; ) {
    const batch = mode === 'sendBatch' || mode === 'whole' || (mode === 'mixed' && next() < 0.5);
    // Batch sizes that do not divide the table's size, so that it fills up inside a batch; or each
    // pass in one batch, that holds more destinations than the table.
    const size = mode === 'whole' ? DESTINATIONS : batch ? 1 + Math.floor(next() * 97) : 1;
    const items: number[] = [];
    for (let k = 0; k < size && seq < destinationOf.length; k++) items.push(seq++);
    chunk.push({ kind: batch ? 'batch' : 'send', items });
    inChunk += items.length;
    if (inChunk >= CHUNK) {
      chunks.push(chunk);
      chunk = [];
      inChunk = 0;
    }
  }
  if (chunk.length > 0) chunks.push(chunk);
  return { destinationOf, chunks };
}

describeLab('the sender reaches exactly the destinations named, beyond its table', () => {
  let lab: Lab;
  let ifname: string;
  let agent: Agent;
  const groups: string[] = [];
  const ports: number[] = [];
  const receivers: McastRxSocket[] = [];
  /** Per sequence number: how often it arrived. */
  let arrivals = new Map<number, number>();
  let arrived = 0;
  let destinationOf: number[] = [];
  const problems: string[] = [];

  function problem(text: string): void {
    if (problems.length < 20) problems.push(text);
  }

  function take(msg: McastMessage): void {
    arrived++;
    const [seqText, destText] = msg.data.toString().split(':');
    const seq = Number(seqText);
    const dest = Number(destText);
    arrivals.set(seq, (arrivals.get(seq) ?? 0) + 1);
    if (destinationOf[seq] !== dest) problem(`#${seq}: payload names destination ${destText}, the plan ${destinationOf[seq]}`);
    const want = `${groups[Math.floor(dest / PORTS)]}:${ports[dest % PORTS]}`;
    const got = `${msg.group}:${msg.port}`;
    if (got !== want) problem(`#${seq}: sent to ${want}, arrived at ${got}`);
  }

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('dest');
    ifname = await lab.connect(lab.self, lan, { ipv4: '10.72.0.100/24' });
    const h1 = await lab.host('h1');
    await lab.connect(h1, lan, { ipv4: '10.72.0.1/24' });
    agent = await h1.agent();
    for (let g = 0; g < GROUPS; g++) groups.push(freshGroup());
    for (let p = 0; p < PORTS; p++) ports.push(freshPort());
    expect(new Set(ports).size).toBe(PORTS);
    // Every destination has a receiver: a datagram sent to the wrong one is seen where it lands.
    for (const port of ports) {
      const rx = new McastRxSocket({ groups, port, iface: ifname });
      rx.on('message', take);
      receivers.push(rx);
    }
  }, 60000);
  afterAll(async () => {
    for (const rx of receivers) rx.close();
    await agent?.stop();
    await lab?.close();
  });

  /** Sends the plan chunk by chunk, every call of a chunk in flight at once; waits for the arrivals. */
  async function run(mode: Mode, seed: number): Promise<void> {
    const p = plan(mode, seed);
    destinationOf = p.destinationOf;
    arrivals = new Map();
    arrived = 0;
    problems.length = 0;
    const drops = (): number => receivers.reduce((sum, rx) => sum + rx.stats().kernelDrops, 0);
    const dropsBefore = drops();
    // A new sender per run: its table starts empty.
    await agent.run(`state.tx?.close(); state.tx = new mce.McastTxSocket({ iface: 'eth0' });
      state.groups = ${JSON.stringify(groups)}; state.ports = ${JSON.stringify(ports)}; state.dest = ${JSON.stringify(destinationOf)};`);
    let sent = 0;
    for (const chunk of p.chunks) {
      const results = await agent.run<unknown[]>(`
        const message = (seq) => {
          const d = state.dest[seq];
          return { data: seq + ':' + d, group: state.groups[Math.floor(d / ${PORTS})], port: state.ports[d % ${PORTS}] };
        };
        const calls = ${JSON.stringify(chunk)}.map((call) => {
          if (call.kind === 'send') {
            const m = message(call.items[0]);
            return state.tx.send(m.data, m.group, m.port).then(() => 1);
          }
          return state.tx.sendBatch(call.items.map(message));
        });
        return (await Promise.allSettled(calls)).map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)));`);
      results.forEach((r, i) => {
        const call = chunk[i] as Call;
        if (r !== call.items.length) problem(`${call.kind} of ${call.items.length} datagrams resolved ${JSON.stringify(r)}`);
      });
      sent += chunk.reduce((n, c) => n + c.items.length, 0);
      // Paced by the receivers: wait until the chunk has arrived (or nothing more comes).
      let last = -1;
      for (let still = 0; arrived < sent && still < 100; ) {
        still = arrived === last ? still + 1 : 0;
        last = arrived;
        await sleep(10);
      }
      if (problems.length > 0) break;
    }
    expect(problems).toEqual([]);
    expect(drops()).toBe(dropsBefore);
    const missing = destinationOf.map((_, seq) => seq).filter((seq) => arrivals.get(seq) !== 1);
    expect(missing.slice(0, 10).map((seq) => `#${seq} arrived ${arrivals.get(seq) ?? 0} times`)).toEqual([]);
    expect(arrived).toBe(2 * DESTINATIONS);
  }

  it(`send(): ${2 * DESTINATIONS} datagrams to ${DESTINATIONS} destinations, each where it was sent`, async () => {
    await run('send', 1);
  }, 120000);

  it(`sendBatch(): the same in batches of 1 to 97, several in flight at once`, async () => {
    await run('sendBatch', 2);
  }, 120000);

  it('send() and sendBatch() mixed, in flight at once', async () => {
    await run('mixed', 3);
  }, 120000);

  it(`sendBatch() of ${DESTINATIONS} distinct destinations at once, more than the table holds`, async () => {
    await run('whole', 4);
  }, 120000);
});
