#!/usr/bin/env node
'use strict';
// The three-machine communicator (after multicast_expert's mcast_communicator.py): machine N of
// 1..3 sends every second to group 0 and to group N, and listens, on one port, to group 0 and to
// group N%3+1, printing for every datagram the sender, the group it was sent to and the interface
// it came in on: what no other Node.js multicast API can tell you.
//
//   node examples/communicator.js --machine 1 [--ipv6] [--iface eth0] [--tx-iface eth1] [--count 5]
//
// It is the `multicast-expert chat` command; its code, written with the public API
// (McastRxSocket, McastTxSocket), is in lib/cli/commands/chat.ts. --help shows its options.
const { main } = require('../dist/cli/main.js');

const argv = process.argv.slice(2);
if (argv.includes('--help') || argv.includes('-h')) {
  process.stdout.write('node examples/communicator.js takes the options of `multicast-expert chat`, which runs the same code:\n\n');
}
main(['chat', ...argv]).then((code) => {
  process.exitCode = code;
});
