'use strict';
// A benchmark receiver in Node.js, run on a lab host by bench/run.js (never outside the lab):
//   node bench/rx-node.js --kind message|batch|view|view-coalesce|dgram --group G --port P --iface NAME
//                         --addr A [--rcvbuf BYTES] [--sampleMs MS] [--holdMs MS]
// message / batch / view: McastRxSocket with a 'message', 'batch' or 'batch-view' listener;
// view-coalesce: 'batch-view' with the README's coalescing setting (COALESCE below); dgram: Node's
// dgram socket (reuseAddr, addMembership on the interface's address), the baseline.
// --holdMs: after "mark", the receiver stops reading for that long (its event loop blocked), so that
// the kernel queue fills; what it then reads measures how fast it drains a full queue.
// Every receiver does the same work per datagram: it reads the sequence number and checks the order.
// The harness itself stays out of the way while datagrams flow: no timers (a timer makes every
// epoll_wait arm one), the clock read once per 1024 datagrams, RSS sampled only when asked.
// Protocol on stdin: "mark" (after a warm-up flood) restarts the counts; "stop" ends the run after
// 100 ms without data. Prints "ready" once joined, "marked", and at the end one JSON line: counts,
// sequence checks, CPU time since the mark, wake-ups, RSS samples and peak RSS.
const { parseWorkerArgs } = require('./worker-args');
const dgram = require('node:dgram');
const path = require('node:path');

const MAGIC = 0x4d434542;

const args = parseWorkerArgs(process.argv.slice(2), { kind: '', group: '', port: 0, iface: '', addr: '', rcvbuf: 0, sampleMs: 0, holdMs: 0 });
/** The coalescing setting the README recommends for a flood (and the bench measures). */
const COALESCE = { maxDelayMicros: 200, maxDatagrams: 64 };
let received = 0;
let gaps = 0;
let disorder = 0;
let foreign = 0;
let batches = 0;
let next = 0;
let firstAt = 0n;
let lastAt = 0n;
let countAtLast = 0;
const rssSamples = [];
let sampler;
let cpu0 = process.cpuUsage();
let switches0 = process.resourceUsage().voluntaryContextSwitches;

function account(data) {
  if (data.length < 16 || data.readUInt32LE(0) !== MAGIC) {
    foreign++;
    return;
  }
  const seq = data.readUInt32LE(8) + data.readUInt32LE(12) * 4294967296;
  if (seq < next) disorder++;
  else {
    gaps += seq - next;
    next = seq + 1;
  }
}

/** account(), over bytes in an ArrayBuffer (a DataView kept per ArrayBuffer: no object per datagram). */
let lastBuffer = null;
let lastView = null;
function accountIn(buffer, offset, length) {
  if (buffer !== lastBuffer) {
    lastBuffer = buffer;
    lastView = new DataView(buffer);
  }
  if (length < 16 || lastView.getUint32(offset, true) !== MAGIC) {
    foreign++;
    return;
  }
  const seq = lastView.getUint32(offset + 8, true) + lastView.getUint32(offset + 12, true) * 4294967296;
  if (seq < next) disorder++;
  else {
    gaps += seq - next;
    next = seq + 1;
  }
}

/**
 * Called with the count before and after some datagrams arrived: notes the clock now and then. In a
 * flood, from the first arrival on; in a drain (--holdMs), the clock started when the hold ended and
 * is read after every batch's work (a 'message' receiver's: after every 64th datagram's), so the rate
 * is the datagrams handled by the last reading over the time since the receiver woke, as in sink.c.
 */
function arrived(before, after) {
  if (args.holdMs > 0) {
    if (before >> 6 !== after >> 6 || after - before > 1) {
      lastAt = process.hrtime.bigint();
      countAtLast = after;
    }
    return;
  }
  if (before === 0) {
    firstAt = process.hrtime.bigint();
    lastAt = firstAt;
    countAtLast = after;
    if (args.sampleMs > 0) {
      rssSamples.push([0, process.memoryUsage.rss()]);
      sampler = setInterval(() => rssSamples.push([Number(process.hrtime.bigint() - firstAt) / 1e9, process.memoryUsage.rss()]), args.sampleMs);
    }
  } else if (before >> 10 !== after >> 10) {
    lastAt = process.hrtime.bigint();
    countAtLast = after;
  }
}

let stats = () => ({});
let close = () => {};

if (args.kind === 'message' || args.kind === 'batch' || args.kind === 'view' || args.kind === 'view-coalesce') {
  const { McastRxSocket } = require(path.join(__dirname, '..', 'dist'));
  const options = { groups: [args.group], port: args.port, iface: args.iface };
  if (args.rcvbuf > 0) options.receiveBufferSize = args.rcvbuf;
  if (args.kind === 'view-coalesce') options.coalesce = COALESCE;
  const rx = new McastRxSocket(options);
  if (args.kind === 'view' || args.kind === 'view-coalesce') {
    // The columnar form's fast way: the bytes read in place, no object per datagram.
    rx.on('batch-view', (view) => {
      const before = received;
      const n = view.length;
      batches++;
      for (let i = 0; i < n; i++) accountIn(view.buffer(i), view.byteOffset(i), view.byteLength(i));
      received += n;
      arrived(before, received);
    });
  } else if (args.kind === 'message') {
    rx.on('message', (msg) => {
      account(msg.data);
      arrived(received, ++received);
    });
  } else {
    rx.on('batch', (msgs) => {
      const before = received;
      batches++;
      for (let i = 0; i < msgs.length; i++) account(msgs[i].data);
      received += msgs.length;
      arrived(before, received);
    });
  }
  rx.on('error', (err) => {
    console.error(err);
    process.exit(1);
  });
  stats = () => rx.stats();
  close = () => rx.close();
  ready();
} else if (args.kind === 'dgram') {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: args.rcvbuf > 0 ? args.rcvbuf : undefined });
  sock.on('message', (data) => {
    account(data);
    arrived(received, ++received);
  });
  sock.bind(args.port, () => {
    sock.addMembership(args.group, args.addr);
    ready();
  });
  close = () => sock.close();
} else {
  throw new Error(`unknown --kind ${args.kind}`);
}

function ready() {
  cpu0 = process.cpuUsage();
  switches0 = process.resourceUsage().voluntaryContextSwitches;
  process.stdout.write('ready\n');
}

// The warm-up is over (the code is compiled): count from here.
function mark() {
  received = 0;
  countAtLast = 0;
  next = 0;
  gaps = 0;
  disorder = 0;
  foreign = 0;
  batches = 0;
  rssSamples.length = 0;
  if (sampler !== undefined) clearInterval(sampler);
  sampler = undefined;
  cpu0 = process.cpuUsage();
  switches0 = process.resourceUsage().voluntaryContextSwitches;
  process.stdout.write('marked\n');
  // Not reading at all (not even the event loop turns) while the harness fills the kernel queue.
  if (args.holdMs > 0) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, args.holdMs);
    firstAt = lastAt = process.hrtime.bigint();
  }
}

function stopWhenIdle() {
  // The socket drains first: finish after 100 ms without a new datagram.
  let seen = received;
  const idle = setInterval(() => {
    if (received !== seen) {
      seen = received;
      return;
    }
    clearInterval(idle);
    finish();
  }, 100);
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (text) => {
  if (text.includes('mark')) mark();
  if (text.includes('stop')) stopWhenIdle();
});

function finish() {
  const cpu = process.cpuUsage(cpu0);
  const usage = process.resourceUsage();
  if (sampler !== undefined) clearInterval(sampler);
  if (args.sampleMs > 0) rssSamples.push([Number(lastAt - firstAt) / 1e9, process.memoryUsage.rss()]);
  const s = stats();
  const out = {
    received,
    gaps,
    disorder,
    foreign,
    kernelDrops: s.kernelDrops ?? null,
    filtered: s.filtered ?? null,
    // The clock at the first datagram and at the last 1024th: countAtLast datagrams in activeSeconds.
    activeSeconds: Number(lastAt - firstAt) / 1e9,
    countAtLast,
    cpuUser: cpu.user / 1e6,
    cpuSys: cpu.system / 1e6,
    maxRssKb: usage.maxRSS,
    // Sleeps in the kernel while waiting for data: each one costs a wake-up.
    wakeups: usage.voluntaryContextSwitches - switches0,
    batches: args.kind === 'message' || args.kind === 'dgram' ? null : batches,
    rssSamples,
  };
  close();
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}
