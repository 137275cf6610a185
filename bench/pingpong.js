'use strict';
// Round-trip latency between two lab hosts over two groups, run by bench/run.js (never outside
// the lab). The pinger sends to group A and waits for the echo on group B; the ponger echoes every
// datagram of group A to group B.
//   node bench/pingpong.js --role ping|pong --impl ours|ours-coalesce|dgram --groupA G --groupB G --port P
//                          --iface NAME --addr A [--count 2000] [--warmup 200]
// pong prints "ready" and echoes until stdin closes; ping prints one JSON line of round-trip times
// in microseconds: { count, lost, p50, p90, p99, max, mean }.
const { parseWorkerArgs } = require('./worker-args');
const dgram = require('node:dgram');
const path = require('node:path');

const args = parseWorkerArgs(process.argv.slice(2), { role: '', impl: '', groupA: '', groupB: '', port: 0, iface: '', addr: '', count: 2000, warmup: 200 });
const listenGroup = args.role === 'ping' ? args.groupB : args.groupA;
const sendGroup = args.role === 'ping' ? args.groupA : args.groupB;

/** Opens the implementation: resolves to { send(data), onData(fn), close() }. */
async function open() {
  if (args.impl === 'ours' || args.impl === 'ours-coalesce') {
    const { McastRxSocket, McastTxSocket } = require(path.join(__dirname, '..', 'dist'));
    // ours-coalesce: the setting the flood bench measures (bench/rx-node.js), at both ends.
    const coalesce = args.impl === 'ours-coalesce' ? { maxDelayMicros: 200, maxDatagrams: 64 } : undefined;
    const rx = new McastRxSocket({ groups: [listenGroup], port: args.port, iface: args.iface, coalesce });
    const tx = new McastTxSocket({ iface: args.iface });
    return {
      send: (data) => void tx.send(data, sendGroup, args.port),
      onData: (fn) => rx.on('message', (msg) => fn(msg.data)),
      close: () => (rx.close(), tx.close()),
    };
  }
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise((resolve) => sock.bind(args.port, resolve));
  sock.addMembership(listenGroup, args.addr);
  sock.setMulticastInterface(args.addr);
  sock.setMulticastLoopback(false);
  return {
    send: (data) => sock.send(data, args.port, sendGroup),
    onData: (fn) => sock.on('message', (data) => fn(data)),
    close: () => sock.close(),
  };
}

async function pong() {
  const io = await open();
  io.onData((data) => io.send(data));
  process.stdout.write('ready\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    io.close();
    process.exit(0);
  });
}

async function ping() {
  const io = await open();
  let waiting = null;
  io.onData((data) => {
    if (waiting !== null && data.readUInt32LE(0) === waiting.seq) waiting.resolve(process.hrtime.bigint());
  });
  const rtts = [];
  let lost = 0;
  const buf = Buffer.alloc(64);
  for (let i = 0; i < args.warmup + args.count; i++) {
    buf.writeUInt32LE(i, 0);
    const arrived = new Promise((resolve) => {
      waiting = { seq: i, resolve };
    });
    const timer = new Promise((resolve) => setTimeout(() => resolve(null), 500).unref());
    const t0 = process.hrtime.bigint();
    io.send(buf);
    const t1 = await Promise.race([arrived, timer]);
    waiting = null;
    if (i < args.warmup) continue;
    if (t1 === null) lost++;
    else rtts.push(Number(t1 - t0) / 1000);
  }
  io.close();
  rtts.sort((a, b) => a - b);
  const q = (p) => rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))];
  const mean = rtts.reduce((s, x) => s + x, 0) / rtts.length;
  process.stdout.write(`${JSON.stringify({ count: rtts.length, lost, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: rtts[rtts.length - 1], mean })}\n`);
}

(args.role === 'ping' ? ping() : pong()).catch((err) => {
  console.error(err);
  process.exit(1);
});
