#!/usr/bin/env node
'use strict';
// How quickly watchInterfaces() reports a change, and what the rescan behind each report costs, with
// few and with many interfaces. Runs inside the private network lab (it creates veths):
//
//   npm run build:ts && node lab/enter-lab.js node bench/iface-watch.js
//
// "latency" is the time from the `ip` command's return (the kernel has sent its netlink message by
// then) to the listener call: loop wake-up, netlink read, one scan, the diff. The `ip` process's own
// start-up is not in it.
const { execFileSync } = require('node:child_process');
const { Lab } = require('../lab/lab.js');
const { scanInterfaces, watchInterfaces } = require('..');

const ROUNDS = Number(process.env.ROUNDS || 40);

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function scanCost() {
  const runs = 500;
  for (let i = 0; i < 50; i++) scanInterfaces();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < runs; i++) scanInterfaces();
  return Number(process.hrtime.bigint() - t0) / runs / 1e6;
}

async function latencies(ifname) {
  const out = [];
  let resolveNext = null;
  const watcher = watchInterfaces((c) => {
    if (c.iface.name === ifname && (c.type === 'up' || c.type === 'down') && resolveNext !== null) {
      const done = resolveNext;
      resolveNext = null;
      done(process.hrtime.bigint());
    }
  });
  try {
    for (let i = 0; i < ROUNDS; i++) {
      const seen = new Promise((r) => (resolveNext = r));
      execFileSync('ip', ['link', 'set', ifname, i % 2 === 0 ? 'down' : 'up']);
      const t0 = process.hrtime.bigint();
      out.push(Number((await seen) - t0) / 1e6);
    }
  } finally {
    watcher.close();
  }
  return out.sort((a, b) => a - b);
}

async function main() {
  const lab = await Lab.create();
  try {
    const lan = await lab.lan('bench');
    const probe = await lab.connect(lab.self, lan, { ipv4: '10.90.0.1/24', ipv6: 'fd90::1/64' });
    for (const extra of [0, 60]) {
      for (let i = 0; i < extra; i++) await lab.connect(lab.self, lan, { ipv4: `10.91.${i}.1/24` });
      const count = scanInterfaces().length;
      const cost = scanCost();
      const lat = await latencies(probe);
      console.log(
        `${String(count).padStart(3)} interfaces: scan ${cost.toFixed(3)} ms; change -> listener latency over ${ROUNDS} up/down: ` +
          `median ${quantile(lat, 0.5).toFixed(3)} ms, p95 ${quantile(lat, 0.95).toFixed(3)} ms, max ${lat[lat.length - 1].toFixed(3)} ms`,
      );
    }
  } finally {
    await lab.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
