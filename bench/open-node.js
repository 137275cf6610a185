'use strict';
// The cost of opening a receiver, and of listing interfaces, run on a lab host by bench/run.js
// (never outside the lab):
//   node bench/open-node.js --ifaces eth0,eth1,eth2,eth3 --addrs A,B,C,D --port P [--reps 5] [--manyGroups 10000]
// For 1, 10 and 100 groups on 1 and 4 interfaces: the time to open a McastRxSocket joined to every
// group on every interface (its constructor) and the descriptors it holds, against a dgram socket
// bound to the port with addMembership() for every group and interface address. Then a receiver on
// --manyGroups groups on one interface (ours only: a dgram socket holds at most
// net.ipv4.igmp_max_memberships groups), and scanInterfaces() against os.networkInterfaces(). Prints
// one JSON line.
const { parseWorkerArgs } = require('./worker-args');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { McastRxSocket, scanInterfaces } = require(path.join(__dirname, '..', 'dist'));

const args = parseWorkerArgs(process.argv.slice(2), { ifaces: '', addrs: '', port: 0, reps: 5, manyGroups: 10000 });
const ifaces = args.ifaces.split(',');
const addrs = args.addrs.split(',');
const fds = () => fs.readdirSync('/proc/self/fd').length;
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Descriptors are closed once libuv has let go of their poll handles: a few loop turns.
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const groupList = (n) => Array.from({ length: n }, (_, i) => `239.78.${i >> 8}.${i & 255}`);

async function openOurs(groups, ifaceNames) {
  const before = fds();
  const t0 = process.hrtime.bigint();
  const rx = new McastRxSocket({ groups, port: args.port, ifaces: ifaceNames });
  const time = ms(t0);
  const held = fds() - before;
  rx.close();
  await settle();
  return { time, fds: held };
}

async function openDgram(groups, ifaceAddrs) {
  const before = fds();
  const t0 = process.hrtime.bigint();
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise((resolve) => sock.bind(args.port, resolve));
  for (const g of groups) for (const a of ifaceAddrs) sock.addMembership(g, a);
  const time = ms(t0);
  const held = fds() - before;
  await new Promise((resolve) => sock.close(resolve));
  await settle();
  return { time, fds: held };
}

async function main() {
  const open = [];
  for (const nGroups of [1, 10, 100]) {
    for (const nIfaces of [1, 4]) {
      const groups = groupList(nGroups);
      const row = { groups: nGroups, ifaces: nIfaces, ours: [], oursFds: 0, dgram: [], dgramFds: 0 };
      // One warm-up of each, not counted.
      await openOurs(groups, ifaces.slice(0, nIfaces));
      await openDgram(groups, addrs.slice(0, nIfaces));
      for (let r = 0; r < args.reps; r++) {
        const o = await openOurs(groups, ifaces.slice(0, nIfaces));
        row.ours.push(o.time);
        row.oursFds = o.fds;
        const d = await openDgram(groups, addrs.slice(0, nIfaces));
        row.dgram.push(d.time);
        row.dgramFds = d.fds;
      }
      open.push({ groups: nGroups, ifaces: nIfaces, oursMs: median(row.ours), oursFds: row.oursFds, dgramMs: median(row.dgram), dgramFds: row.dgramFds, oursRuns: row.ours, dgramRuns: row.dgram });
    }
  }
  // One warm-up, then up to 3 runs: each opens and closes as many sockets as groups.
  const manyGroups = groupList(args.manyGroups);
  await openOurs(manyGroups, ifaces.slice(0, 1));
  const manyRuns = [];
  let manyFds = 0;
  for (let r = 0; r < Math.min(args.reps, 3); r++) {
    const o = await openOurs(manyGroups, ifaces.slice(0, 1));
    manyRuns.push(o.time);
    manyFds = o.fds;
  }
  const many = { groups: args.manyGroups, ifaces: 1, oursMs: median(manyRuns), oursFds: manyFds, oursRuns: manyRuns };
  const perCall = (fn, n) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    return (ms(t0) * 1000) / n;
  };
  perCall(scanInterfaces, 50);
  perCall(os.networkInterfaces, 50);
  const scan = [];
  const nodeScan = [];
  for (let r = 0; r < args.reps; r++) {
    scan.push(perCall(scanInterfaces, 200));
    nodeScan.push(perCall(os.networkInterfaces, 200));
  }
  const result = { open, many, scanUs: median(scan), nodeScanUs: median(nodeScan), scanRuns: scan, nodeScanRuns: nodeScan, interfaces: scanInterfaces().length };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
