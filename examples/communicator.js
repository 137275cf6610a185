#!/usr/bin/env node
'use strict';
// The three-machine communicator (after multicast_expert's mcast_communicator.py): machine N of
// 1..3 sends every second to group 0 and to group N, and listens, on one port, to group 0 and to
// group N%3+1. So each machine sees everyone's group-0 traffic and only its neighbour's own group,
// and prints, for every datagram, the sender, the group it was sent to and the interface it came in
// on: what no other Node.js multicast API can tell you.
//
//   node examples/communicator.js --machine 1 [--ipv6] [--iface eth0] [--tx-iface eth1] [--count 5]
//
// --iface limits listening (and sending) to one interface; --tx-iface picks the sending one only.
const { McastRxSocket, McastTxSocket } = require('multicast-expert');

const PORT = 45454;
const GROUPS = {
  ipv4: ['239.255.77.0', '239.255.77.1', '239.255.77.2', '239.255.77.3'],
  ipv6: ['ff15::7700', 'ff15::7701', 'ff15::7702', 'ff15::7703'],
};

function parseArgs(argv) {
  const args = { machine: 0, family: 'ipv4', iface: undefined, txIface: undefined, count: Infinity, externalLoopback: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--machine') args.machine = Number(argv[++i]);
    else if (a === '--ipv6') args.family = 'ipv6';
    else if (a === '--iface') args.iface = argv[++i];
    else if (a === '--tx-iface') args.txIface = argv[++i];
    else if (a === '--count') args.count = Number(argv[++i]);
    else if (a === '--loopback') args.externalLoopback = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (![1, 2, 3].includes(args.machine)) throw new Error('--machine must be 1, 2 or 3');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const groups = GROUPS[args.family];
  const n = args.machine;
  const listenTo = [groups[0], groups[(n % 3) + 1]];
  const rx = new McastRxSocket({
    groups: listenTo,
    port: PORT,
    family: args.family,
    ...(args.iface ? { iface: args.iface } : {}),
    externalLoopback: args.externalLoopback,
  });
  const tx = new McastTxSocket({
    groups: [groups[0], groups[n]],
    family: args.family,
    ...(args.txIface || args.iface ? { iface: args.txIface || args.iface } : {}),
    externalLoopback: args.externalLoopback,
  });
  console.log(`machine ${n}: listening to ${listenTo.join(' and ')} on ${rx.ifaces.map((i) => i.name).join(', ')}; sending on ${tx.iface.name}`);

  rx.on('message', (msg) => {
    console.log(`machine ${n} got "${msg.data.toString()}" from ${msg.source.address}, sent to ${msg.group}, arrived on ${msg.ifaceName}`);
  });

  let sent = 0;
  const timer = setInterval(async () => {
    if (sent >= args.count) {
      clearInterval(timer);
      // Give the last datagrams of the others a moment before leaving.
      setTimeout(() => {
        rx.close();
        tx.close();
      }, 1500);
      return;
    }
    sent += 1;
    await tx.send(`machine ${n} to everyone #${sent}`, groups[0], PORT);
    await tx.send(`machine ${n} to group ${n} #${sent}`, groups[n], PORT);
  }, 1000);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    rx.close();
    tx.close();
  });
}

main().catch((err) => {
  console.error(`error: ${err.message}`);
  process.exit(1);
});
