#!/usr/bin/env node
'use strict';
// iperf 2 over multicast, both ways: receives what `iperf -c GROUP -u` sends and counts it exactly
// (per sender: datagrams, lost, out of order, duplicates, from iperf's sequence numbers), or sends
// to a group at a set rate in iperf 2's UDP format, so that `iperf -s -u -B GROUP` measures it.
//
//   node examples/iperf2.js receive --group 239.1.1.1 [--port 5001] [--iface eth0] [--streams N]
//   node examples/iperf2.js send --group 239.1.1.1 --iface eth0 [--port 5001] [--rate 1M]
//                                [--length 1470] [--seconds 10 | --count N] [--ttl 1]
//
// The datagram iperf 2 sends starts with a 32-bit sequence number (1, 2, ...), the send time
// (seconds, microseconds) and the sequence number's upper 32 bits; its last datagram of a run
// carries the sequence number negated, which tells the receiver the run is over.
const { parseArgs } = require('node:util');
const { McastRxSocket, McastTxSocket } = require('multicast-expert');

const USAGE = `Usage: node examples/iperf2.js receive|send --group G [options]

Speaks iperf 2's UDP format over multicast.
  receive  counts what \`iperf -c G -u\` sends, per sender, and prints a report when
           a run ends (its final datagram arrives)
  send     sends to G at a set rate, for \`iperf -s -u -B G\` to measure

Options:
  --group G      the group (required)
  --port P       the port (default 5001, iperf's)
  --iface X      the interface (receive: default every multicast interface;
                 send: default the default route's)
  --streams N    receive: exit after N runs (default: run until Ctrl-C)
  --rate R       send: bits per second, with k, M or G (default 1M)
  --length L     send: datagram length in bytes (default 1470, iperf's)
  --seconds S    send: for S seconds (default 10)
  --count N      send: exactly N datagrams (instead of --seconds)
  --ttl T        send: the TTL (default 1)
  -h, --help     show this help
`;

const HEADER = 16; // id, tv_sec, tv_usec, id2 (all 32-bit, network order)
const MIN_LENGTH = 40; // the header and iperf's (zeroed) client header after it

function options(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      group: { type: 'string' },
      port: { type: 'string' },
      iface: { type: 'string' },
      streams: { type: 'string' },
      rate: { type: 'string' },
      length: { type: 'string' },
      seconds: { type: 'string' },
      count: { type: 'string' },
      ttl: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return { help: true };
  const [mode, ...rest] = positionals;
  if (mode !== 'receive' && mode !== 'send') throw new Error('say receive or send');
  if (rest.length > 0) throw new Error(`unexpected argument: ${rest[0]}`);
  if (values.group === undefined) throw new Error('give --group G');
  const rate = /^(\d+(?:\.\d+)?)([kMG]?)$/.exec(values.rate ?? '1M');
  if (rate === null) throw new Error(`--rate ${values.rate}: a number of bits per second, with k, M or G`);
  const args = {
    help: false,
    mode,
    group: values.group,
    port: Number(values.port ?? 5001),
    iface: values.iface,
    streams: Number(values.streams ?? Infinity),
    rate: Number(rate[1]) * { '': 1, k: 1e3, M: 1e6, G: 1e9 }[rate[2]],
    length: Number(values.length ?? 1470),
    seconds: Number(values.seconds ?? 10),
    count: values.count === undefined ? undefined : Number(values.count),
    ttl: Number(values.ttl ?? 1),
  };
  if (!(args.length >= MIN_LENGTH && args.length <= 65507)) throw new Error(`--length takes ${MIN_LENGTH} to 65507 bytes`);
  if (!(args.rate > 0)) throw new Error('--rate must be above 0');
  if (args.count !== undefined && !(Number.isInteger(args.count) && args.count > 0)) throw new Error('--count takes a positive whole number');
  return args;
}

/** One iperf run from one sender, counted as its datagrams arrive. */
class Run {
  constructor(from) {
    this.from = from;
    this.datagrams = 0;
    this.bytes = 0;
    this.maxId = 0;
    this.outOfOrder = 0;
    this.duplicates = 0;
    this.seen = new Set(); // recent ids only, for duplicates (see add())
    this.first = null;
    this.last = null;
  }

  add(id, length, now) {
    this.first ??= now;
    this.last = now;
    if (this.seen.has(id)) {
      this.duplicates += 1;
      return;
    }
    this.seen.add(id);
    if (this.seen.size > 65536) for (const old of this.seen) if (old < this.maxId - 32768) this.seen.delete(old); // bounded memory
    this.datagrams += 1;
    this.bytes += length;
    if (id < this.maxId) this.outOfOrder += 1;
    else this.maxId = id;
  }

  report(finalId) {
    // The final datagram's id, negated, is one past the last one sent: that many were sent before it.
    const sent = finalId === null ? this.maxId : -finalId - 1;
    const seconds = this.first === null ? 0 : Number(this.last - this.first) / 1e9;
    const mbits = seconds > 0 ? ((this.bytes * 8) / seconds / 1e6).toFixed(2) : '-';
    return `${this.from}: ${this.datagrams} of ${sent} datagrams (${this.bytes} bytes) in ${seconds.toFixed(2)} s, ${mbits} Mbit/s; lost ${sent - this.datagrams}, out of order ${this.outOfOrder}, duplicates ${this.duplicates}`;
  }
}

async function receive(args) {
  const rx = new McastRxSocket({ groups: [args.group], port: args.port, receiveBufferSize: 4 * 1024 * 1024, ...(args.iface ? { iface: args.iface } : {}) });
  process.once('SIGINT', () => rx.close());
  process.once('SIGTERM', () => rx.close());
  console.log(`receiving iperf 2 on ${args.group} port ${rx.port} on ${rx.ifaces.map((i) => i.name).join(', ')}`);
  const runs = new Map(); // "address:port" -> Run
  let finished = 0;
  for await (const msg of rx) {
    if (msg.data.length < HEADER) continue;
    const from = `${msg.source.address}:${msg.source.port}`;
    const id = msg.data.readInt32BE(0);
    if (id < 0) {
      // The end of a run (iperf sends its final datagram more than once at times: count it once).
      const run = runs.get(from);
      if (run === undefined) continue;
      runs.delete(from);
      console.log(run.report(id));
      finished += 1;
      if (finished >= args.streams) break;
      continue;
    }
    let run = runs.get(from);
    if (run === undefined) {
      run = new Run(from);
      runs.set(from, run);
      console.log(`${from}: a run starts, on ${msg.ifaceName}`);
    }
    run.add(id, msg.data.length, process.hrtime.bigint());
  }
  for (const run of runs.values()) console.log(`${run.report(null)} (no final datagram)`);
  rx.close();
}

/** iperf 2's datagram: the header, a zeroed client header (no options), then its digit filler. */
function datagram(length, id) {
  const buf = Buffer.alloc(length);
  for (let i = MIN_LENGTH; i < length; i++) buf[i] = 0x30 + ((i - MIN_LENGTH) % 10);
  stamp(buf, id);
  return buf;
}

// The wall clock in nanoseconds, at the resolution of the monotonic one.
const EPOCH_OFFSET = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

function stamp(buf, id) {
  const us = (process.hrtime.bigint() + EPOCH_OFFSET) / 1000n;
  buf.writeInt32BE(id, 0);
  buf.writeUInt32BE(Number(us / 1_000_000n), 4);
  buf.writeUInt32BE(Number(us % 1_000_000n), 8);
  buf.writeInt32BE(0, 12);
}

async function send(args) {
  const tx = new McastTxSocket({ groups: [args.group], ttl: args.ttl, ...(args.iface ? { iface: args.iface } : {}) });
  const { port } = tx.address();
  const interval = (args.length * 8) / args.rate; // seconds between datagrams
  const count = args.count ?? Math.max(1, Math.round(args.seconds / interval));
  console.log(`sending ${count} datagrams of ${args.length} bytes to ${args.group} port ${args.port} on ${tx.iface.name} from port ${port}, ${args.rate / 1e6} Mbit/s`);
  let stopped = false;
  process.once('SIGINT', () => (stopped = true));
  const buf = datagram(args.length, 0);
  const start = process.hrtime.bigint();
  let id = 0;
  while (id < count && !stopped) {
    // Paced against the start, not the previous datagram: timer lateness does not add up.
    const due = start + BigInt(Math.round(id * interval * 1e9));
    const ahead = Number(due - process.hrtime.bigint()) / 1e6;
    if (ahead >= 1) await new Promise((r) => setTimeout(r, ahead));
    id += 1;
    stamp(buf, id);
    await tx.send(buf, args.group, args.port);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  // The final datagram: one past the last id, negated.
  stamp(buf, -(id + 1));
  await tx.send(buf, args.group, args.port);
  console.log(`sent ${id} datagrams (${id * args.length} bytes) in ${seconds.toFixed(2)} s, then the final one`);
  tx.close();
}

let args;
try {
  args = options(process.argv.slice(2));
} catch (err) {
  console.error(`${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(USAGE);
} else {
  (args.mode === 'receive' ? receive(args) : send(args)).catch((err) => {
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  });
}
