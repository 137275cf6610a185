#!/usr/bin/env node
'use strict';
// `npm run bench`: measures multicast-expert against Node's dgram and against C programs (what the
// kernel can do), side by side in one run, inside the private network lab, so that no packet ever
// reaches this machine's network. See docs/performance.md.
//
//   npm run bench [-- --full | --smoke] [--runs N] [--seconds S] [--rss-seconds S] [--rate R] [--paced-rate R]
//                 [--sizes 64,1200] [--only rx,drain,tx,latency,open,rss] [--topology lo|lan]
//                 [--rcvbuf BYTES] [--pings N] [--no-pin] [--out FILE]
//
// Quick by default (3 runs, 2-second floods, a 6-second memory run); --full: 5 runs, 5-second
// floods, the 30-second memory run. Every figure is the median of its runs. Floods come from a C
// sendmmsg flooder (flat out, or --rate R datagrams/s; 64-byte payloads also at --paced-rate,
// default 100000/s, 0: off, once in bursts of 64 and once one datagram per send) on a lab host's
// loopback interface
// (--topology lo, as the issue's baseline was measured) or from another lab host over a virtual LAN
// (--topology lan); the latency ping-pong always runs between two lab hosts, in C
// (bench/pingpong.c), dgram and ours. Receivers run in
// processes of their own, pinned (taskset) to one CPU and every sender to another (--no-pin: not
// pinned; one CPU: not pinned). Drain capacity: the receiver stops reading, the flooder fills its
// kernel queue, and the receiver's rate through the full queue is measured. The table goes to
// stdout, every ratio against dgram and against C beside each figure; the same figures (and every
// run, with the load average when it started) to bench/out/latest.json.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { Lab } = require('../lab/lab.js');

const ROOT = path.join(__dirname, '..');
const BIN = path.join(__dirname, 'bin');
const PING_ADDR = '10.77.0.1';
const PONG_ADDR = '10.77.0.2';
const RX_GROUP = '239.77.0.1';
const RX_PORT = 40000;

// ---- Options ------------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { full: false, smoke: false, runs: 0, seconds: 0, rssSeconds: 0, rate: 0, pacedRate: 100000, sizes: [64, 1200], only: null, rcvbuf: 0, out: path.join(__dirname, 'out', 'latest.json'), pings: 0, topology: 'lo', pin: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--full') o.full = true;
    else if (a === '--smoke') o.smoke = true;
    else if (a === '--runs') o.runs = Number(value());
    else if (a === '--seconds') o.seconds = Number(value());
    else if (a === '--rss-seconds') o.rssSeconds = Number(value());
    else if (a === '--rate') o.rate = Number(value());
    else if (a === '--paced-rate') o.pacedRate = Number(value());
    else if (a === '--sizes') o.sizes = value().split(',').map(Number);
    else if (a === '--only') o.only = new Set(value().split(','));
    else if (a === '--rcvbuf') o.rcvbuf = Number(value());
    else if (a === '--pings') o.pings = Number(value());
    else if (a === '--topology') o.topology = value();
    else if (a === '--no-pin') o.pin = false;
    else if (a === '--out') o.out = path.resolve(value());
    else if (a === '--help' || a === '-h') {
      // The comment at the top of this file.
      const lines = fs.readFileSync(__filename, 'utf8').split('\n');
      const end = lines.findIndex((line, i) => i >= 2 && !line.startsWith('//'));
      console.log(lines.slice(2, end).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (o.smoke) {
    // CI's check that the benchmark still runs from a fresh clone: every part, briefly; the figures
    // mean nothing and go to their own file.
    Object.assign(o, { runs: 1, seconds: 0.3, rssSeconds: 2, pings: 100 });
    if (!argv.includes('--out')) o.out = path.join(__dirname, 'out', 'smoke.json');
  }
  o.runs ||= o.full ? 5 : 3;
  o.seconds ||= o.full ? 5 : 2;
  o.rssSeconds ||= o.full ? 30 : 6;
  o.pings ||= o.full ? 5000 : 2000;
  if (o.topology !== 'lo' && o.topology !== 'lan') throw new Error('--topology is lo or lan');
  if (o.runs < 1 || o.seconds <= 0 || o.rssSeconds < 2) throw new Error('--runs, --seconds and --rss-seconds must be positive (--rss-seconds at least 2)');
  return o;
}

// ---- Helpers ------------------------------------------------------------------------------------

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const lastJson = (text) => {
  const line = text.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (line === undefined) throw new Error(`no JSON result in output: ${text}`);
  return JSON.parse(line);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuModel() {
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1].trim() : os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

/** The system's C compiler: $CC, else the first of cc, gcc, clang that runs. */
function cCompiler() {
  const candidates = process.env.CC ? [process.env.CC] : ['cc', 'gcc', 'clang'];
  for (const cc of candidates) {
    try {
      execFileSync(cc, ['--version'], { stdio: 'ignore' });
      return cc;
    } catch {
      // not this one
    }
  }
  throw new Error(`no C compiler found (tried ${candidates.join(', ')}); install gcc or set CC`);
}

/** Builds the C programs with the system compiler when their sources are newer than the binaries. */
function buildC() {
  fs.mkdirSync(BIN, { recursive: true });
  let cc;
  for (const name of ['flood', 'sink', 'pingpong']) {
    const src = path.join(__dirname, `${name}.c`);
    const bin = path.join(BIN, name);
    const newestSource = Math.max(fs.statSync(src).mtimeMs, fs.statSync(path.join(__dirname, 'bench-common.h')).mtimeMs);
    if (fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= newestSource) continue;
    cc ??= cCompiler();
    execFileSync(cc, ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' });
  }
}

async function runOrThrow(host, cmd, args, timeoutMs) {
  const r = await host.run(cmd, args, { timeoutMs });
  if (r.code !== 0) throw new Error(`${host.name}: ${path.basename(cmd)} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return lastJson(r.stdout);
}

async function stopAndCollect(proc, timeoutMs = 20000) {
  proc.child.stdin.write('stop\n');
  proc.child.stdin.end();
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const r = await proc.exited;
  clearTimeout(timer);
  if (r.code !== 0) throw new Error(`${proc.description} exited ${r.code}: ${r.stderr}`);
  return lastJson(r.stdout);
}

// ---- CPU pinning -------------------------------------------------------------------------------

/**
 * The CPUs receivers and senders run on: the last CPU for receivers, the first for senders (so
 * that neither takes the other's time), or null when not pinned (--no-pin, or a single CPU).
 */
let pins = null;

/** [cmd, args] run pinned to the CPU of `role` ('rx' or 'tx'), with taskset. */
function pinned(role, cmd, args) {
  if (pins === null) return [cmd, args];
  return ['taskset', ['-c', String(pins[role]), cmd, ...args]];
}

function spawnPinned(host, role, cmd, args) {
  const [c, a] = pinned(role, cmd, args);
  return host.spawn(c, a);
}

function runPinned(host, role, cmd, args, timeoutMs) {
  const [c, a] = pinned(role, cmd, args);
  return runOrThrow(host, c, a, timeoutMs);
}

// ---- Receive throughput -------------------------------------------------------------------------

const RX_KINDS = [
  { kind: 'sink', label: 'C recvmmsg(64), blocking' },
  { kind: 'sink-epoll', label: 'C epoll + recvmmsg(64)' },
  { kind: 'dgram', label: "Node dgram 'message'" },
  { kind: 'message', label: "ours 'message'" },
  { kind: 'batch', label: "ours 'batch'" },
  { kind: 'view', label: "ours 'batch-view'" },
  { kind: 'view-coalesce', label: "ours 'batch-view', coalesce 200 us / 64" },
];

function startReceiver(hosts, kind, o, sampleMs, holdMs = 0, rcvbuf = o.rcvbuf) {
  const host = hosts.rx;
  if (kind === 'sink' || kind === 'sink-epoll') {
    const args = ['--group', RX_GROUP, '--port', String(RX_PORT), '--iface', hosts.rxIface, '--mode', kind === 'sink' ? 'block' : 'epoll'];
    if (rcvbuf > 0) args.push('--rcvbuf', String(rcvbuf));
    if (holdMs > 0) args.push('--hold-ms', String(holdMs));
    return spawnPinned(host, 'rx', path.join(BIN, 'sink'), args);
  }
  const args = [path.join(__dirname, 'rx-node.js'), '--kind', kind, '--group', RX_GROUP, '--port', String(RX_PORT), '--iface', hosts.rxIface, '--addr', hosts.rxAddr];
  if (sampleMs > 0) args.push('--sampleMs', String(sampleMs));
  if (rcvbuf > 0) args.push('--rcvbuf', String(rcvbuf));
  if (holdMs > 0) args.push('--holdMs', String(holdMs));
  return spawnPinned(host, 'rx', process.execPath, args);
}

/** The warm-up flood (another sender id), so that what is measured is compiled code. */
async function warmUp(hosts, size) {
  await runPinned(hosts.tx, 'tx', path.join(BIN, 'flood'), ['--group', RX_GROUP, '--port', String(RX_PORT), '--ifaddr', hosts.txAddr, '--size', String(size), '--seconds', '0.3', '--rate', '100000', '--sender', '9'], 30000);
  await sleep(150);
}

/** Datagrams per sendmmsg of the flooder, unless a series says otherwise. */
const FLOOD_BATCH = 64;

/** How a flood was sent: "flat out", "at 100,000/s in bursts of 64", "at 100,000/s one per send". */
function floodName(rate, perSend) {
  if (!(rate > 0)) return 'flat out';
  return `at ${fmt(rate, 0)}/s ${perSend === 1 ? 'one per send' : `in bursts of ${perSend}`}`;
}

/** One flood of `seconds` into one receiver; returns the receiver's figures. */
async function receiveRun(hosts, kind, size, seconds, rate, o, sampleMs = 0, perSend = FLOOD_BATCH) {
  const loadBefore = load();
  const receiver = startReceiver(hosts, kind, o, sampleMs);
  await receiver.waitFor('ready', 15000);
  // A warm-up flood first, then "mark": the receiver counts from there.
  await warmUp(hosts, size);
  receiver.child.stdin.write('mark\n');
  await receiver.waitFor('marked', 15000);
  const floodArgs = ['--group', RX_GROUP, '--port', String(RX_PORT), '--ifaddr', hosts.txAddr, '--size', String(size), '--seconds', String(seconds), '--sender', '1'];
  if (rate > 0) floodArgs.push('--rate', String(rate));
  floodArgs.push('--batch', String(perSend));
  const flood = await runPinned(hosts.tx, 'tx', path.join(BIN, 'flood'), floodArgs, (seconds + 30) * 1000);
  const r = await stopAndCollect(receiver);
  const cpu = r.cpuUser + r.cpuSys;
  return {
    kind,
    size,
    load: loadBefore,
    sent: flood.sent,
    floodRate: flood.rate,
    received: r.received,
    deliveredPerSec: r.activeSeconds > 0 ? r.countAtLast / r.activeSeconds : null,
    loss: flood.sent > 0 ? 1 - r.received / flood.sent : null,
    cpuUsPerDatagram: r.received > 0 ? (cpu * 1e6) / r.received : null,
    cpuSeconds: cpu,
    gaps: r.gaps,
    disorder: r.disorder,
    kernelDrops: r.kernelDrops,
    datagramsPerWakeup: r.wakeups > 0 ? r.received / r.wakeups : null,
    peakRssMb: r.maxRssKb / 1024,
    rssSamples: r.rssSamples,
  };
}

async function measureReceive(hosts, o, results) {
  // Each size flooded at o.rate (flat out by default), and 64-byte payloads also at a paced rate
  // that every receiver can follow: there the CPU time per datagram is not simply what a receiver
  // that never sleeps spends (1 / rate), but what each one needs. Paced twice: in bursts of 64 (one
  // sendmmsg each, as a batching sender sends), where a receiver that wakes finds many datagrams
  // queued; and one datagram per send, evenly spaced (as a feed or a sensor sends), where each
  // wake-up finds one or two.
  const series = o.sizes.map((size) => ({ size, rate: o.rate, perSend: FLOOD_BATCH }));
  if (o.pacedRate > 0 && o.sizes.includes(64) && o.rate !== o.pacedRate) series.splice(1, 0, { size: 64, rate: o.pacedRate, perSend: FLOOD_BATCH }, { size: 64, rate: o.pacedRate, perSend: 1 });
  for (const { size, rate, perSend } of series) {
    const runs = [];
    for (let round = 0; round < o.runs; round++) {
      // The order of the receivers turns each round, and reverses every other round, so that none
      // always runs first, last, or after the same other one.
      let kinds = RX_KINDS.map((_, i) => RX_KINDS[(i + round) % RX_KINDS.length].kind);
      if (round % 2 === 1) kinds = kinds.reverse();
      for (const kind of kinds) {
        const run = await receiveRun(hosts, kind, size, o.seconds, rate, o, 0, perSend);
        delete run.rssSamples;
        runs.push(run);
        progress(`rx ${size} B ${floodName(rate, perSend)} ${kind.padEnd(10)} run ${round + 1}: ${fmt(run.deliveredPerSec, 0)}/s, loss ${pct(run.loss)}, ${fmt(run.cpuUsPerDatagram, 2)} us/dgram (load ${run.load[0]})`);
      }
    }
    const rows = RX_KINDS.map(({ kind, label }) => {
      const mine = runs.filter((r) => r.kind === kind);
      return {
        kind,
        label,
        deliveredPerSec: median(mine.map((r) => r.deliveredPerSec)),
        loss: median(mine.map((r) => r.loss)),
        cpuUsPerDatagram: median(mine.map((r) => r.cpuUsPerDatagram)),
        peakRssMb: median(mine.map((r) => r.peakRssMb)),
        floodRate: median(mine.map((r) => r.floodRate)),
        datagramsPerWakeup: median(mine.map((r) => r.datagramsPerWakeup)),
        disorder: mine.reduce((s, r) => s + r.disorder, 0),
      };
    });
    results.receive.push({ size, rate, perSend, rows, runs });
  }
}

// ---- Drain capacity -----------------------------------------------------------------------------

/** How long a receiver stops reading while its queue is filled, and how long the flood that fills it runs. */
const DRAIN_HOLD_MS = 1000;
const DRAIN_FLOOD_SECONDS = 0.3;
/** The receive buffer asked for (the kernel grants up to net.core.rmem_max, doubled). */
const DRAIN_RCVBUF = 64 << 20;

/**
 * One drain: the receiver stops reading (its event loop blocked, or the C sink asleep), a flat-out
 * flood fills its kernel queue (the rest is dropped), the flood ends, and the receiver reads the
 * full queue: its rate through it, with nothing else running, is its drain capacity.
 */
async function drainRun(hosts, kind, size, o) {
  const loadBefore = load();
  const receiver = startReceiver(hosts, kind, o, 0, DRAIN_HOLD_MS, o.rcvbuf > 0 ? o.rcvbuf : DRAIN_RCVBUF);
  await receiver.waitFor('ready', 15000);
  await warmUp(hosts, size);
  receiver.child.stdin.write('mark\n');
  await receiver.waitFor('marked', 15000);
  const t0 = Date.now();
  await runPinned(hosts.tx, 'tx', path.join(BIN, 'flood'), ['--group', RX_GROUP, '--port', String(RX_PORT), '--ifaddr', hosts.txAddr, '--size', String(size), '--seconds', String(DRAIN_FLOOD_SECONDS), '--sender', '1'], 30000);
  // A flood that ended after the receiver woke up mixes arrival with draining: said in the result.
  const floodEndedInHold = Date.now() - t0 < DRAIN_HOLD_MS;
  const r = await stopAndCollect(receiver);
  return { kind, size, load: loadBefore, queued: r.received, drainedPerSec: r.activeSeconds > 0 ? r.countAtLast / r.activeSeconds : null, floodEndedInHold };
}

async function measureDrain(hosts, o, results) {
  for (const size of o.sizes) {
    const runs = [];
    for (let round = 0; round < o.runs; round++) {
      let kinds = RX_KINDS.map((_, i) => RX_KINDS[(i + round) % RX_KINDS.length].kind);
      if (round % 2 === 1) kinds = kinds.reverse();
      for (const kind of kinds) {
        const run = await drainRun(hosts, kind, size, o);
        runs.push(run);
        progress(`drain ${size} B ${kind.padEnd(13)} run ${round + 1}: ${run.queued} queued, ${fmt(run.drainedPerSec, 0)}/s${run.floodEndedInHold ? '' : ' (the flood outlasted the hold)'} (load ${run.load[0]})`);
      }
    }
    const rows = RX_KINDS.map(({ kind, label }) => {
      const mine = runs.filter((r) => r.kind === kind);
      return { kind, label, queued: median(mine.map((r) => r.queued)), drainedPerSec: median(mine.map((r) => r.drainedPerSec)), floodOutlastedHold: mine.filter((r) => !r.floodEndedInHold).length };
    });
    results.drain.push({ size, rows, runs });
  }
}

// ---- Send throughput ----------------------------------------------------------------------------

const TX_KINDS = [
  { kind: 'c', label: 'C sendmmsg(64) (limit)' },
  { kind: 'dgram', label: 'Node dgram send()' },
  { kind: 'send', label: 'ours send()' },
  { kind: 'sendBatch', label: 'ours sendBatch(64)' },
];

async function sendRun(hosts, kind, size, seconds) {
  const loadBefore = load();
  let r;
  if (kind === 'c') {
    r = await runPinned(hosts.tx, 'tx', path.join(BIN, 'flood'), ['--group', RX_GROUP, '--port', String(RX_PORT + 1), '--ifaddr', hosts.txAddr, '--size', String(size), '--seconds', String(seconds), '--batch', '64'], (seconds + 30) * 1000);
  } else {
    r = await runPinned(
      hosts.tx,
      'tx',
      process.execPath,
      [path.join(__dirname, 'tx-node.js'), '--kind', kind, '--group', RX_GROUP, '--port', String(RX_PORT + 1), '--iface', hosts.txIface, '--addr', hosts.txAddr, '--size', String(size), '--seconds', String(seconds)],
      (seconds + 30) * 1000,
    );
  }
  return { kind, size, load: loadBefore, rate: r.rate, cpuUsPerDatagram: ((r.cpuUser + r.cpuSys) * 1e6) / r.sent };
}

async function measureSend(hosts, o, results) {
  for (const size of o.sizes) {
    const runs = [];
    for (let round = 0; round < o.runs; round++) {
      const kinds = TX_KINDS.map((_, i) => TX_KINDS[(i + round) % TX_KINDS.length].kind);
      for (const kind of kinds) {
        const run = await sendRun(hosts, kind, size, o.seconds);
        runs.push(run);
        progress(`tx ${size} B ${kind.padEnd(10)} run ${round + 1}: ${fmt(run.rate, 0)}/s (load ${run.load[0]})`);
      }
    }
    const rows = TX_KINDS.map(({ kind, label }) => {
      const mine = runs.filter((r) => r.kind === kind);
      return { kind, label, rate: median(mine.map((r) => r.rate)), cpuUsPerDatagram: median(mine.map((r) => r.cpuUsPerDatagram)) };
    });
    results.send.push({ size, rows, runs });
  }
}

// ---- Latency ------------------------------------------------------------------------------------

/**
 * C (bench/pingpong.c: blocking sockets, the floor), dgram, ours, and ours with the 'batch-view'
 * bench's coalescing (what a held batch costs a lone ping).
 */
const LATENCY_IMPLS = ['c', 'dgram', 'ours', 'ours-coalesce'];

/** [cmd, args] of one side of the round trip. */
function pingpongCommand(impl, role, common, addr) {
  const args = ['--role', role, ...common, '--iface', 'eth0', '--addr', addr];
  return impl === 'c' ? [path.join(BIN, 'pingpong'), args] : [process.execPath, [path.join(__dirname, 'pingpong.js'), ...args]];
}

async function latencyRun(hosts, impl, count) {
  const loadBefore = load();
  const common = ['--impl', impl, '--groupA', '239.77.1.1', '--groupB', '239.77.1.2', '--port', String(RX_PORT + 2), '--count', String(count)];
  const ponger = spawnPinned(hosts.pong, 'rx', ...pingpongCommand(impl, 'pong', common, PONG_ADDR));
  try {
    await ponger.waitFor('ready', 15000);
    const r = await runPinned(hosts.ping, 'tx', ...pingpongCommand(impl, 'ping', common, PING_ADDR), 120000);
    return { impl, load: loadBefore, ...r };
  } finally {
    ponger.child.stdin.end();
    await ponger.stop();
  }
}

async function measureLatency(hosts, o, results) {
  const runs = [];
  for (let round = 0; round < o.runs; round++) {
    for (const impl of round % 2 === 0 ? LATENCY_IMPLS : [...LATENCY_IMPLS].reverse()) {
      const run = await latencyRun(hosts, impl, o.pings);
      runs.push(run);
      progress(`latency ${impl.padEnd(13)} run ${round + 1}: p50 ${fmt(run.p50, 1)} us, p99 ${fmt(run.p99, 1)} us, lost ${run.lost} (load ${run.load[0]})`);
    }
  }
  const rows = LATENCY_IMPLS.map((impl) => {
    const mine = runs.filter((r) => r.impl === impl);
    return { impl, p50: median(mine.map((r) => r.p50)), p99: median(mine.map((r) => r.p99)), lost: mine.reduce((s, r) => s + r.lost, 0) };
  });
  results.latency = { rows, runs };
}

// ---- Opening receivers, scanning interfaces -----------------------------------------------------

async function measureOpen(hosts, o, results) {
  const loadBefore = load();
  const r = await runOrThrow(hosts.pong, process.execPath, [path.join(__dirname, 'open-node.js'), '--ifaces', 'eth0,eth1,eth2,eth3', '--addrs', `${PONG_ADDR},10.78.1.2,10.78.2.2,10.78.3.2`, '--port', String(RX_PORT + 3), '--reps', String(o.smoke ? 1 : Math.max(o.runs, 5))], 300000);
  results.open = { load: loadBefore, ...r };
  progress(`open: 100 groups x 4 ifaces ${fmt(r.open.at(-1).oursMs, 2)} ms, ${r.many.groups} groups x 1 ${fmt(r.many.oursMs, 1)} ms, scanInterfaces ${fmt(r.scanUs, 1)} us (load ${loadBefore[0]})`);
}

// ---- Memory over a long flood -------------------------------------------------------------------

function rssGrowth(samples, activeUntil) {
  // RSS after the first second of the flood, against RSS at its end.
  const during = samples.filter(([t]) => t <= activeUntil + 0.01);
  const first = during.find(([t]) => t >= 1) ?? during[0];
  const last = during[during.length - 1];
  if (first === undefined || last === undefined) return { rssAt1sMb: null, rssAtEndMb: null, growth: null };
  return { rssAt1sMb: first[1] / 1048576, rssAtEndMb: last[1] / 1048576, growth: last[1] / first[1] - 1 };
}

async function measureRss(hosts, o, results) {
  const runs = [];
  for (let round = 0; round < o.runs; round++) {
    for (const kind of ['message', 'batch']) {
      const run = await receiveRun(hosts, kind, 64, o.rssSeconds, o.rate, o, 250);
      const activeUntil = run.deliveredPerSec ? run.received / run.deliveredPerSec : o.rssSeconds;
      const g = rssGrowth(run.rssSamples, activeUntil);
      runs.push({ kind, load: run.load, received: run.received, seconds: o.rssSeconds, ...g, peakRssMb: run.peakRssMb, samples: run.rssSamples });
      progress(`rss ${kind.padEnd(8)} run ${round + 1}: ${fmt(g.rssAt1sMb, 1)} MB after 1 s, ${fmt(g.rssAtEndMb, 1)} MB after ${o.rssSeconds} s (${pct(g.growth)}) (load ${run.load[0]})`);
    }
  }
  const rows = ['message', 'batch'].map((kind) => {
    const mine = runs.filter((r) => r.kind === kind);
    return { kind, rssAt1sMb: median(mine.map((r) => r.rssAt1sMb)), rssAtEndMb: median(mine.map((r) => r.rssAtEndMb)), growth: median(mine.map((r) => r.growth)), peakRssMb: median(mine.map((r) => r.peakRssMb)) };
  });
  results.rss = { seconds: o.rssSeconds, rows, runs };
}

// ---- Report -------------------------------------------------------------------------------------

function fmt(x, digits = 2) {
  if (x === null || x === undefined || !Number.isFinite(x)) return '-';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
const pct = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(x * 100).toFixed(1)}%`);
const ratio = (a, b) => (a === null || b === null || !b ? null : a / b);
const progress = (line) => process.stderr.write(`  ${line}\n`);

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n');
}

function report(results) {
  const out = [];
  const m = results.meta;
  out.push(`CPU: ${m.cpu} (${m.cores} cores), Linux ${m.kernel}, Node.js ${m.node}`);
  out.push(`Load average: ${m.loadStart.join(' ')} at the start, ${m.loadEnd.join(' ')} at the end; ${m.pins === null ? 'nothing pinned' : `receivers pinned to CPU ${m.pins.rx}, senders to CPU ${m.pins.tx}`}`);
  out.push(`Command: ${m.command}; ${m.runs} runs each, medians; ${m.seconds}-second floods from a C sendmmsg flooder ${m.topology === 'lo' ? "on a lab host's loopback interface" : 'on another lab host, over a virtual LAN'}`);
  out.push('CPU time per datagram: user + system time of the receiving process over the flood, divided by the datagrams it got; per wake-up: datagrams per sleep in the kernel; limit: the better of the two C receivers');
  const targets = [];
  for (const rx of results.receive) {
    const by = Object.fromEntries(rx.rows.map((r) => [r.kind, r]));
    // The kernel's limit: the better of the two C receivers.
    const limit = Math.min(by.sink.cpuUsPerDatagram ?? Infinity, by['sink-epoll'].cpuUsPerDatagram ?? Infinity);
    out.push('', `Receive, ${rx.size}-byte payloads, flood ${floodName(rx.rate, rx.perSend ?? FLOOD_BATCH)}`, '');
    const bestRate = Math.max(by.sink.deliveredPerSec ?? 0, by['sink-epoll'].deliveredPerSec ?? 0) || null;
    out.push(
      table(
        ['receiver', 'delivered/s', 'loss', 'CPU us/datagram', 'per wake-up', 'peak RSS MB', 'CPU vs dgram', 'CPU vs C', 'rate vs dgram', 'rate vs C'],
        rx.rows.map((r) => [r.label, fmt(r.deliveredPerSec, 0), pct(r.loss), fmt(r.cpuUsPerDatagram, 2), fmt(r.datagramsPerWakeup, 1), fmt(r.peakRssMb, 1), fmt(ratio(r.cpuUsPerDatagram, by.dgram.cpuUsPerDatagram), 2), fmt(ratio(r.cpuUsPerDatagram, limit), 2), fmt(ratio(r.deliveredPerSec, by.dgram.deliveredPerSec), 2), fmt(ratio(r.deliveredPerSec, bestRate), 2)]),
      ),
    );
    if (rx.size === 64) {
      const at = ` ${floodName(rx.rate, rx.perSend ?? FLOOD_BATCH)}`;
      targets.push([`flood 64 B${at}: 'message' CPU/datagram <= 0.7 x dgram`, ratio(by.message.cpuUsPerDatagram, by.dgram.cpuUsPerDatagram), (x) => x <= 0.7]);
      targets.push([`flood 64 B${at}: 'batch-view' CPU/datagram <= 1.3 x C`, ratio(by.view.cpuUsPerDatagram, limit), (x) => x <= 1.3]);
      targets.push([`flood 64 B${at}: 'batch-view' coalesced CPU/datagram <= 1.15 x C`, ratio(by['view-coalesce'].cpuUsPerDatagram, limit), (x) => x <= 1.15]);
    }
  }
  for (const dr of results.drain) {
    const by = Object.fromEntries(dr.rows.map((r) => [r.kind, r]));
    const best = Math.max(by.sink.drainedPerSec ?? 0, by['sink-epoll'].drainedPerSec ?? 0) || null;
    out.push('', `Drain capacity, ${dr.size}-byte payloads: the receiver stopped, its kernel queue filled, then read (C: the better of the two C receivers)`, '');
    out.push(table(['receiver', 'queued', 'drained/s', 'vs dgram', 'vs C'], dr.rows.map((r) => [r.label, fmt(r.queued, 0), fmt(r.drainedPerSec, 0), fmt(ratio(r.drainedPerSec, by.dgram.drainedPerSec), 2), fmt(ratio(r.drainedPerSec, best), 2)])));
    if (dr.size === 64) targets.push([`drain 64 B: 'message' >= 0.85 x C`, ratio(by.message.drainedPerSec, best), (x) => x >= 0.85]);
    targets.push([`drain ${dr.size} B: 'batch-view' >= 0.95 x C`, ratio(by.view.drainedPerSec, best), (x) => x >= 0.95]);
  }
  for (const tx of results.send) {
    const by = Object.fromEntries(tx.rows.map((r) => [r.kind, r]));
    out.push('', `Send, ${tx.size}-byte payloads`, '');
    // Datagrams/s depends on how much CPU the sender got; on a busy machine the CPU time per
    // datagram (as datagrams per CPU-second) compares the senders' own costs more steadily.
    out.push(
      table(
        ['sender', 'datagrams/s', 'CPU us/datagram', 'vs dgram', 'vs limit', 'vs dgram (CPU)', 'vs limit (CPU)'],
        tx.rows.map((r) => [r.label, fmt(r.rate, 0), fmt(r.cpuUsPerDatagram, 2), fmt(ratio(r.rate, by.dgram.rate), 2), fmt(ratio(r.rate, by.c.rate), 2), fmt(ratio(by.dgram.cpuUsPerDatagram, r.cpuUsPerDatagram), 2), fmt(ratio(by.c.cpuUsPerDatagram, r.cpuUsPerDatagram), 2)]),
      ),
    );
    targets.push([`send ${tx.size} B: sendBatch >= 0.9 x C sendmmsg`, ratio(by.sendBatch.rate, by.c.rate), (x) => x >= 0.9, 'x', ratio(by.c.cpuUsPerDatagram, by.sendBatch.cpuUsPerDatagram)]);
    if (tx.size === 64) targets.push(['send 64 B: send() >= 1.2 x dgram', ratio(by.send.rate, by.dgram.rate), (x) => x >= 1.2, 'x', ratio(by.dgram.cpuUsPerDatagram, by.send.cpuUsPerDatagram)]);
  }
  if (results.latency) {
    const by = Object.fromEntries(results.latency.rows.map((r) => [r.impl, r]));
    const { c, dgram: d, ours, 'ours-coalesce': coalesced } = by;
    out.push('', 'Round trip between two lab hosts over two groups (64-byte ping, echoed), microseconds', '');
    const row = (label, r) => [label, fmt(r.p50, 1), fmt(r.p99, 1), r.lost, fmt(ratio(r.p50, c.p50), 2), fmt(ratio(r.p50, d.p50), 2), fmt(ratio(r.p99, d.p99), 2)];
    out.push(
      table(
        ['', 'p50', 'p99', 'lost', 'p50 vs C', 'p50 vs dgram', 'p99 vs dgram'],
        [row('C, blocking sockets', c), row('Node dgram', d), row('ours', ours), row('ours, coalesce 200 us / 64 (both ends)', coalesced)],
      ),
    );
    targets.push(['latency (coalescing off): p50 <= 1.15 x C', ratio(ours.p50, c.p50), (x) => x <= 1.15]);
    targets.push(['latency (coalescing off): p99 <= 0.8 x dgram', ratio(ours.p99, d.p99), (x) => x <= 0.8]);
  }
  if (results.open) {
    const op = results.open;
    out.push('', 'Opening a receiver joined to every group on every interface (median ms; descriptors held)', '');
    out.push(table(['groups x interfaces', 'ours ms', 'ours fds', 'dgram ms', 'dgram fds', 'vs dgram'], op.open.map((r) => [`${r.groups} x ${r.ifaces}`, fmt(r.oursMs, 2), r.oursFds, fmt(r.dgramMs, 2), r.dgramFds, fmt(ratio(r.oursMs, r.dgramMs), 2)])));
    out.push('', `A receiver on ${op.many.groups.toLocaleString('en')} groups on one interface: ${fmt(op.many.oursMs, 1)} ms to open (${op.many.oursFds} descriptors)`);
    out.push('', `scanInterfaces(): ${fmt(op.scanUs, 1)} us per call (${op.interfaces} interfaces); os.networkInterfaces(): ${fmt(op.nodeScanUs, 1)} us`);
    const big = op.open.find((r) => r.groups === 100 && r.ifaces === 4);
    targets.push(['open 100 groups x 4 interfaces < 50 ms', big.oursMs, (x) => x < 50, 'ms']);
    targets.push([`open ${op.many.groups.toLocaleString('en')} groups x 1 interface < 500 ms`, op.many.oursMs, (x) => x < 500, 'ms']);
    targets.push(['scanInterfaces() < 1 ms', op.scanUs / 1000, (x) => x < 1, 'ms']);
  }
  if (results.rss) {
    out.push('', `Memory over a ${results.rss.seconds}-second flood (64-byte payloads)`, '');
    out.push(table(['receiver', 'RSS after 1 s MB', 'RSS at end MB', 'growth', 'peak RSS MB'], results.rss.rows.map((r) => [`ours '${r.kind}'`, fmt(r.rssAt1sMb, 1), fmt(r.rssAtEndMb, 1), pct(r.growth), fmt(r.peakRssMb, 1)])));
    for (const r of results.rss.rows) targets.push([`memory: '${r.kind}' RSS growth over the flood <= 10%`, r.growth, (x) => x <= 0.1, '%']);
  }
  if (targets.length > 0) {
    out.push('', 'Targets (issue 14)', '');
    const shown = (value, unit) => (value === null || value === undefined ? '-' : unit === '%' ? pct(value) : unit === 'ms' ? `${fmt(value, 3)} ms` : `${fmt(value, 2)} x`);
    results.targets = targets.map(([name, value, ok, , byCpu]) => ({ name, value, met: value === null ? null : ok(value), byCpu: byCpu ?? null, metByCpu: byCpu === undefined || byCpu === null ? null : ok(byCpu) }));
    out.push(
      table(
        ['target', 'measured', 'met', 'by CPU time', 'met'],
        targets.map(([name, value, ok, unit, byCpu]) => [name, shown(value, unit), value === null ? '-' : ok(value) ? 'yes' : 'NO', shown(byCpu, unit), byCpu === undefined || byCpu === null ? '' : ok(byCpu) ? 'yes' : 'NO']),
      ),
    );
  }
  return out.join('\n');
}

// ---- Main ---------------------------------------------------------------------------------------

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const reason = Lab.unavailableReason();
  if (reason !== null) {
    console.error(`The benchmark runs only inside the private network lab (npm run bench): ${reason}`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) throw new Error('dist/ is missing: run npm run build:ts (npm run bench does)');
  buildC();
  if (o.pin && os.cpus().length >= 2) {
    execFileSync('taskset', ['-c', '0', 'true']);
    pins = { rx: os.cpus().length - 1, tx: 0 };
  }
  const want = (part) => o.only === null || o.only.has(part);
  const results = {
    meta: {
      date: new Date().toISOString(),
      cpu: cpuModel(),
      cores: os.cpus().length,
      kernel: os.release(),
      node: process.version,
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      runs: o.runs,
      seconds: o.seconds,
      rssSeconds: o.rssSeconds,
      rate: o.rate,
      pacedRate: o.pacedRate,
      rcvbuf: o.rcvbuf,
      topology: o.topology,
      loadStart: load(),
      loadEnd: null,
      pins: null,
    },
    receive: [],
    drain: [],
    send: [],
    latency: null,
    open: null,
    rss: null,
  };
  const lab = await Lab.create();
  try {
    // Two hosts on a LAN (ping and pong of the latency test; pong also has three more interfaces
    // for the cost of opening receivers). Floods run on one host's loopback interface by default
    // (--topology lo), as the issue's baseline was measured, or from one host to the other.
    const lan = await lab.lan('bench');
    const side = await lab.lan('side');
    const ping = await lab.host('ping');
    const pong = await lab.host('pong');
    await lab.connect(ping, lan, { ipv4: `${PING_ADDR}/24` });
    await lab.connect(pong, lan, { ipv4: `${PONG_ADDR}/24` });
    for (const n of [1, 2, 3]) await lab.connect(pong, side, { ipv4: `10.78.${n}.2/24` });
    // dgram joins every group on every interface with one socket: 400 memberships for 100 x 4.
    await pong.sysctl('net.ipv4.igmp_max_memberships', 1024);
    const hosts =
      o.topology === 'lo'
        ? { ping, pong, tx: pong, rx: pong, txIface: 'lo', txAddr: '127.0.0.1', rxIface: 'lo', rxAddr: '127.0.0.1' }
        : { ping, pong, tx: ping, rx: pong, txIface: 'eth0', txAddr: PING_ADDR, rxIface: 'eth0', rxAddr: PONG_ADDR };
    console.error(`multicast-expert benchmark: ${o.runs} runs, ${o.seconds}-second floods (${results.meta.cpu}, load ${results.meta.loadStart.join(' ')})`);
    results.meta.pins = pins;
    if (want('rx')) await measureReceive(hosts, o, results);
    if (want('drain')) await measureDrain(hosts, o, results);
    if (want('tx')) await measureSend(hosts, o, results);
    if (want('latency')) await measureLatency(hosts, o, results);
    if (want('open')) await measureOpen(hosts, o, results);
    if (want('rss')) await measureRss(hosts, o, results);
  } finally {
    await lab.close();
  }
  results.meta.loadEnd = load();
  const text = report(results);
  console.log(`\n${text}`);
  fs.mkdirSync(path.dirname(o.out), { recursive: true });
  fs.writeFileSync(o.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n(written to ${path.relative(process.cwd(), o.out)})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
