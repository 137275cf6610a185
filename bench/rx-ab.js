#!/usr/bin/env node
'use strict';
// An A/B of the receive path: the CPU time per datagram of two builds of the addon, measured in
// alternating runs on one lab host. For changes to the native receive path, which `npm run bench`
// (one build, against dgram and C, with a flooder competing for the same cores) cannot tell apart
// from the noise of a shared machine. Runs only inside the lab:
//
//   node lab/enter-lab.js node bench/rx-ab.js A.node B.node [--rounds N] [--cycles C]
//                          [--sizes 64,1200] [--kinds batch,message]
//
// A and B are addon files (e.g. a copy of build/Release/multicast_expert.node from before a change,
// and the current one), loaded through MULTICAST_EXPERT_INTERNAL_TEST_ADDON. Each round starts one
// receiver process per size, kind and build (A first in even rounds, B first in odd ones). A receiver
// runs C cycles (after two for warm-up): it holds its event loop up while the C flooder sends a
// burst into its socket buffer on the host's loopback interface, then takes the burst with nothing
// else running, and measures its own CPU time (user + system) from the moment it lets go to the last
// datagram. So what is measured is the receive path alone: wake-ups, system calls, the native side
// and the delivery to JavaScript, without a sender on the other core. A cycle in which the kernel
// dropped anything is not counted. Prints per size and kind the median CPU microseconds per
// datagram of A and of B and their ratio, and the same as JSON.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const BIN = path.join(__dirname, 'bin');
const GROUP = '239.77.0.9';
const PORT = 40100;
// Datagrams per burst: what a 4 MiB socket buffer holds with room to spare (the kernel charges
// about 0.8 KiB per 64-byte datagram and 2.3 KiB per 1200-byte one on the loopback interface).
const BURST = { 64: 4000, 1200: 1500 };
const HOLD_MS = 300;

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2;
};

// ---- The receiver (a child process: node bench/rx-ab.js --receiver KIND) ---------------------------

function receiver(kind) {
  const { McastRxSocket } = require(path.join(__dirname, '..', 'dist'));
  const rx = new McastRxSocket({ groups: [GROUP], port: PORT, iface: 'lo', receiveBufferSize: 4 << 20 });
  let expected = 0;
  let received = 0;
  let cpu0 = null;
  let dropsBefore = 0;
  const arrived = (n) => {
    received += n;
    if (cpu0 !== null && received >= expected) {
      const cpu = process.cpuUsage(cpu0);
      cpu0 = null;
      const drops = rx.stats().kernelDrops - dropsBefore;
      process.stdout.write(`${JSON.stringify({ received, drops, us: (cpu.user + cpu.system) / received })}\n`);
    }
  };
  if (kind === 'batch') rx.on('batch', (msgs) => arrived(msgs.length));
  else rx.on('message', () => arrived(1));
  let input = '';
  process.stdin.on('data', (chunk) => {
    input += chunk;
    let nl;
    while ((nl = input.indexOf('\n')) >= 0) {
      const [command, arg] = input.slice(0, nl).split(' ');
      input = input.slice(nl + 1);
      if (command === 'stop') {
        rx.close();
        process.stdin.destroy();
        return;
      }
      // "burst N": hold the loop up while the parent sends N, then take them.
      expected = Number(arg);
      received = 0;
      dropsBefore = rx.stats().kernelDrops;
      process.stdout.write('holding\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, HOLD_MS);
      cpu0 = process.cpuUsage();
    }
  });
  process.stdout.write('ready\n');
}

// ---- The parent --------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { builds: [], rounds: 9, cycles: 20, sizes: [64, 1200], kinds: ['batch', 'message'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i];
    if (a === '--rounds') o.rounds = Number(value());
    else if (a === '--cycles') o.cycles = Number(value());
    else if (a === '--sizes') o.sizes = value().split(',').map(Number);
    else if (a === '--kinds') o.kinds = value().split(',');
    else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else o.builds.push(path.resolve(a));
  }
  if (o.builds.length !== 2) throw new Error('usage: rx-ab.js A.node B.node [--rounds N] [--cycles C] [--sizes 64,1200] [--kinds batch,message]');
  for (const b of o.builds) if (!fs.existsSync(b)) throw new Error(`${b} does not exist`);
  for (const s of o.sizes) if (!(s in BURST)) throw new Error(`--sizes: one of ${Object.keys(BURST).join(', ')}`);
  return o;
}

/** One receiver process of `build`: the median CPU us per datagram over its counted cycles. */
async function measure(host, build, kind, size, o) {
  const child = host.spawnNode([__filename, '--receiver', kind], { env: { MULTICAST_EXPERT_INTERNAL_TEST_ADDON: build } });
  try {
    await child.waitFor('ready', 15000);
    const lines = [];
    let waiting = null;
    let buffered = '';
    child.child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let nl;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        lines.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        waiting?.();
      }
    });
    const next = async () => {
      while (lines.length === 0) await new Promise((r) => (waiting = r));
      return lines.shift();
    };
    const burst = BURST[size];
    const figures = [];
    for (let cycle = 0; cycle < o.cycles + 2; cycle++) {
      child.child.stdin.write(`burst ${burst}\n`);
      while ((await next()) !== 'holding');
      const sent = await host.run(path.join(BIN, 'flood'), ['--group', GROUP, '--port', String(PORT), '--ifaddr', '127.0.0.1', '--size', String(size), '--count', String(burst)]);
      if (sent.code !== 0) throw new Error(`flood exited ${sent.code}: ${sent.stderr}`);
      const result = JSON.parse(await next());
      if (cycle >= 2 && result.drops === 0) figures.push(result.us);
    }
    child.child.stdin.write('stop\n');
    if (figures.length === 0) throw new Error(`${kind} ${size} B: the kernel dropped datagrams in every cycle`);
    return median(figures);
  } finally {
    child.child.stdin.end();
    await child.exited;
  }
}

async function main() {
  if (process.argv[2] === '--receiver') return receiver(process.argv[3]);
  const o = parseArgs(process.argv.slice(2));
  const { Lab } = require('../lab/lab.js');
  const reason = Lab.unavailableReason();
  if (reason !== null) throw new Error(`runs only inside the lab (node lab/enter-lab.js node bench/rx-ab.js ...): ${reason}`);
  if (!fs.existsSync(path.join(BIN, 'flood'))) execFileSync(process.execPath, [path.join(__dirname, 'run.js'), '--smoke', '--only', 'open'], { stdio: 'inherit' });
  const lab = await Lab.create();
  const figures = {};
  try {
    const host = await lab.host('ab');
    for (let round = 0; round < o.rounds; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const size of o.sizes)
        for (const kind of o.kinds)
          for (const which of order) {
            const us = await measure(host, o.builds[which], kind, size, o);
            const key = `${size} B ${kind}`;
            figures[key] ??= [[], []];
            figures[key][which].push(us);
            console.error(`round ${round + 1}: ${key.padEnd(15)} ${which === 0 ? 'A' : 'B'} ${us.toFixed(3)} us/datagram`);
          }
    }
  } finally {
    await lab.close();
  }
  const summary = {};
  console.log(`A = ${o.builds[0]}\nB = ${o.builds[1]}\n${o.rounds} rounds of ${o.cycles} bursts; median CPU us per datagram (user + system, receiving process):`);
  for (const [key, [a, b]] of Object.entries(figures)) {
    const ma = median(a);
    const mb = median(b);
    summary[key] = { a: ma, b: mb, ratio: mb / ma, roundsA: a, roundsB: b };
    console.log(`  ${key.padEnd(16)} A ${ma.toFixed(3)}  B ${mb.toFixed(3)}  B/A ${(mb / ma).toFixed(3)}`);
  }
  console.log(JSON.stringify(summary));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
