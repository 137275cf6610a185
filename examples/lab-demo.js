#!/usr/bin/env node
'use strict';
// The README's demo (`npm run demo`): builds a private lab of three virtual hosts on two LANs and runs
// the three-machine communicator among them. It needs no network and touches none: the hosts are
// network namespaces inside the one that lab/enter-lab.js made. Where no lab can be made it
// runs the three machines on this host's loopback interface instead, and says so.
const path = require('node:path');
const { Lab } = require('../lab/lab.js');
const { scanInterfaces, getDefaultGatewayIface } = require('multicast-expert');

const COMMUNICATOR = path.join(__dirname, 'communicator.js');
const ROUNDS = Number(process.env.DEMO_ROUNDS || 3);

function show(title, lines) {
  console.log(`\n== ${title}`);
  for (const line of lines) console.log(`   ${line}`);
}

async function inLab() {
  const lab = await Lab.create();
  try {
    // Two LANs; every host is on both. Machine 2 sends on LAN B, the others on LAN A, so the
    // receivers' output shows datagrams arriving on different interfaces.
    const lanA = await lab.lan('a');
    const lanB = await lab.lan('b');
    const hosts = [];
    for (const n of [1, 2, 3]) {
      const h = await lab.host(`machine${n}`);
      await lab.connect(h, lanA, { ipv4: `10.77.1.${n}/24`, ipv6: `fd77:1::${n}/64` });
      await lab.connect(h, lanB, { ipv4: `10.77.2.${n}/24`, ipv6: `fd77:2::${n}/64` });
      hosts.push(h);
    }
    const h1 = hosts[0];
    const ifaces = JSON.parse((await h1.eval('console.log(JSON.stringify(mce.scanInterfaces()))')).stdout);
    show('machine1 interfaces (scanInterfaces)', ifaces.map((i) => `${i.index} ${i.name.padEnd(5)} ${i.up ? 'up' : 'down'} ${[...i.ipv4, ...i.ipv6].map((a) => `${a.address}/${a.prefixLength}`).join(' ')}`));
    console.log(`\nrunning the communicator on three lab hosts for ${ROUNDS} rounds...`);
    const runs = hosts.map((h, i) =>
      h.spawnNode([COMMUNICATOR, '--machine', String(i + 1), '--count', String(ROUNDS), '--tx-iface', i === 1 ? 'eth1' : 'eth0']),
    );
    const results = await Promise.all(runs.map((r) => r.exited));
    results.forEach((r, i) => show(`machine${i + 1} (exit ${r.code})`, `${r.stdout}${r.stderr}`.trim().split('\n')));
    return results.every((r) => r.code === 0);
  } finally {
    await lab.close();
  }
}

async function onLoopback(reason) {
  console.log(`No private lab here (${reason}); running the three machines on the loopback interface instead.`);
  const { spawn } = require('node:child_process');
  const runs = [1, 2, 3].map((n) => {
    const child = spawn(process.execPath, [COMMUNICATOR, '--machine', String(n), '--count', String(ROUNDS), '--iface', 'lo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
  });
  const results = await Promise.all(runs);
  results.forEach((r, i) => show(`machine${i + 1} (exit ${r.code})`, r.out.trim().split('\n')));
  return results.every((r) => r.code === 0);
}

const USAGE = `Usage: npm run demo, or node lab/enter-lab.js node examples/lab-demo.js

Builds a private lab of three virtual hosts on two LANs (network namespaces inside the one that
lab/enter-lab.js makes: no packet reaches a real network) and runs the three-machine communicator
(examples/communicator.js) among them. Where no lab can be made, it runs the three machines on this
host's loopback interface instead, and says so.

Environment: DEMO_ROUNDS, the rounds each machine sends (default 3).
Options:
  -h, --help  show this help
`;

async function main() {
  const gw = getDefaultGatewayIface('ipv4');
  console.log(`multicast-expert demo. This namespace has ${scanInterfaces().length} interface(s); IPv4 default route: ${gw ? gw.name : 'none'}.`);
  const reason = Lab.unavailableReason();
  const ok = reason === null ? await inLab() : await onLoopback(reason);
  process.exitCode = ok ? 0 : 1;
}

const extra = process.argv.slice(2);
if (extra.includes('--help') || extra.includes('-h')) {
  process.stdout.write(USAGE);
} else if (extra.length > 0) {
  console.error(`unknown argument ${JSON.stringify(extra[0])}\n\n${USAGE}`);
  process.exitCode = 2;
} else {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
