#!/usr/bin/env node
'use strict';
// A multicast round trip over this machine's loopback interface, with the package as built here
// (PREBUILDS_ONLY=1: the prebuild): for the release workflow's macOS and Windows runners, which
// have no network lab. Both sockets name the loopback interface, so nothing leaves the machine.
// IPv4 and IPv6: the datagram must arrive with its data, group, port and interface.
//
//   PREBUILDS_ONLY=1 node scripts/dist/loopback-roundtrip.js      (after npm run build:ts)
//
// On Linux, run it in the lab (node lab/enter-lab.js node scripts/dist/loopback-roundtrip.js):
// the lab's loopback has the IPv6 route Linux needs, and it is not this machine's.
const path = require('node:path');

const mce = require(path.join(__dirname, '..', '..', 'dist'));

const GROUPS = { ipv4: '239.255.77.1', ipv6: 'ff15::77:1' };
let failures = 0;

async function roundTrip(family) {
  const lo = mce.scanInterfaces().find((i) => i.loopback && i.up && i[family].length > 0);
  if (lo === undefined) throw new Error(`no loopback interface with an ${family} address`);
  const group = GROUPS[family];
  const port = 40000 + Math.floor(Math.random() * 10000);
  const payload = `round trip ${family} ${process.pid}`;
  // The receiver first: Windows refuses to send to a group on loopback that nobody joined there.
  const rx = new mce.McastRxSocket({ groups: [group], port, iface: lo, family });
  const tx = new mce.McastTxSocket({ groups: [group], iface: lo, family });
  try {
    const got = rx.receive({ timeout: 5000 });
    // A few tries: the first datagram after a join can be lost on some systems.
    for (let i = 0; i < 3; i++) {
      await tx.send(payload, group, port);
      await new Promise((r) => setTimeout(r, 100));
    }
    const msg = await got;
    if (msg === null) throw new Error(`nothing arrived in 5 s on ${lo.name}`);
    const problems = [];
    if (msg.data.toString() !== payload) problems.push(`data ${JSON.stringify(msg.data.toString())}`);
    if (msg.group !== group) problems.push(`group ${msg.group}`);
    if (msg.port !== port) problems.push(`port ${msg.port}`);
    if (msg.ifaceIndex !== lo.index) problems.push(`interface ${msg.ifaceIndex} (${msg.ifaceName}), not ${lo.index}`);
    if (problems.length > 0) throw new Error(`arrived with the wrong ${problems.join(', ')}`);
    return `${group}:${port} on ${lo.name} (index ${lo.index}) from ${msg.source.address}:${msg.source.port}`;
  } finally {
    tx.close();
    rx.close();
  }
}

async function main() {
  const addon = require('node-gyp-build').path(path.join(__dirname, '..', '..'));
  console.log(`loopback round trip: node ${process.version} ${process.platform}-${process.arch}, addon ${path.relative(process.cwd(), addon)}`);
  for (const family of ['ipv4', 'ipv6']) {
    try {
      console.log(`  ok: ${family}: ${await roundTrip(family)}`);
    } catch (err) {
      failures += 1;
      console.log(`  FAILED: ${family}: ${err.code ? `${err.code} ` : ''}${err.message}`);
    }
  }
  process.exitCode = failures === 0 ? 0 : 1;
}

main();
