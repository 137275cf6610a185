#!/usr/bin/env node
'use strict';
// How quickly watchInterfaces() reports a change, and what the rescan behind each report costs, with
// few and with many interfaces (2, 62, 500), without and with a receiver listening on all of them.
// Runs inside the private network lab (it creates veths):
//
//   npm run build:ts && node lab/enter-lab.js node bench/iface-watch.js
//
// "scan" is scanInterfaces() alone (wall time, and the CPU time of this process, best of 20 runs of
// 10: the CPU figure holds up better on a loaded machine). "latency" is the time from the `ip`
// command's return (the kernel has sent its netlink message by then) to the listener call: loop
// wake-up, netlink read, one scan, the diff, every subscriber (with a receiver: its per-interface
// bookkeeping). The `ip` process's own start-up is not in it.
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const { Lab } = require('../lab/lab.js');
const { McastRxSocket, scanInterfaces, watchInterfaces } = require('..');

const ROUNDS = Number(process.env.ROUNDS || 40);
const COUNTS = (process.env.COUNTS || '2,62,500').split(',').map(Number);

function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function scanCost() {
  for (let i = 0; i < 20; i++) scanInterfaces();
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < 20; r++) {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 10; i++) scanInterfaces();
    wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 10e6);
    const c = process.cpuUsage(c0);
    cpu = Math.min(cpu, (c.user + c.system) / 10e3);
  }
  return { wall, cpu };
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

function describe(lat) {
  return `median ${quantile(lat, 0.5).toFixed(2)} ms, p95 ${quantile(lat, 0.95).toFixed(2)} ms, max ${lat[lat.length - 1].toFixed(2)} ms`;
}

async function main() {
  const lab = await Lab.create();
  try {
    const lan = await lab.lan('bench');
    // The peers of the extra interfaces: up, so that the extra interfaces are up and running too.
    const peers = await lab.host('bench-peers');
    const probe = await lab.connect(lab.self, lan, { ipv4: '10.90.0.1/24', ipv6: 'fd90::1/64' });
    // A receiver on 500 interfaces needs more memberships per socket than the kernel's default 20.
    fs.writeFileSync('/proc/sys/net/ipv4/igmp_max_memberships', '1024');
    let extra = 0;
    for (const wanted of COUNTS) {
      const lines = [];
      const peerLines = [];
      const existing = scanInterfaces().length;
      for (let added = 0; existing + added < wanted; added++, extra++) {
        const name = `bx${extra}`;
        lab.selfLinks.push(name);
        lines.push(`link add ${name} type veth peer name p${extra} netns ${peers.pid}`, `link set ${name} up`, `addr add 10.${100 + (extra >> 8)}.${extra & 255}.1/24 dev ${name}`);
        peerLines.push(`link set p${extra} up`);
      }
      await lab.self.ipBatch(lines);
      await peers.ipBatch(peerLines);
      const count = scanInterfaces().length;
      const cost = scanCost();
      const alone = await latencies(probe);
      const rx = new McastRxSocket({ groups: ['239.90.0.1'], port: 40999 });
      const listened = rx.ifaces.length;
      let withRx;
      try {
        withRx = await latencies(probe);
      } finally {
        rx.close();
      }
      console.log(
        `${String(count).padStart(3)} interfaces: scan ${cost.wall.toFixed(2)} ms (CPU ${cost.cpu.toFixed(2)} ms); change -> listener over ${ROUNDS} up/down: ` +
          `${describe(alone)}; with a receiver on all ${listened}: ${describe(withRx)}`,
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
