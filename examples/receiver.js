#!/usr/bin/env node
'use strict';
// Receives from one or more multicast groups and prints, for every datagram, the group it was sent
// to and the interface it arrived on, which Node's dgram cannot tell you.
//
//   node examples/receiver.js [--group 239.1.2.3]... [--port 12345] [--iface eth0]... [--count N]
//
// Environment: MCE_GROUP and MCE_IFACE (comma-separated), MCE_PORT, MCE_COUNT. Without --iface it
// listens on every interface that is up, multicast-capable and not loopback. With --count it exits
// after N datagrams; otherwise it runs until Ctrl-C.
const { McastRxSocket } = require('multicast-expert');

function parseArgs(argv, env) {
  const args = {
    groups: env.MCE_GROUP ? env.MCE_GROUP.split(',') : [],
    port: Number(env.MCE_PORT || 12345),
    ifaces: env.MCE_IFACE ? env.MCE_IFACE.split(',') : [],
    count: Number(env.MCE_COUNT || Infinity),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--group') args.groups.push(value);
    else if (flag === '--port') args.port = Number(value);
    else if (flag === '--iface') args.ifaces.push(value);
    else if (flag === '--count') args.count = Number(value);
    else throw new Error(`unknown argument ${flag}`);
    i++;
  }
  if (args.groups.length === 0) args.groups.push('239.1.2.3');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), process.env);
  const rx = new McastRxSocket({
    groups: args.groups,
    port: args.port,
    ...(args.ifaces.length > 0 ? { ifaces: args.ifaces } : {}),
  });
  process.once('SIGINT', () => rx.close());
  process.once('SIGTERM', () => rx.close());
  console.log(`listening to ${rx.groups.join(', ')} port ${rx.port} on ${rx.ifaces.map((i) => i.name).join(', ')}`);

  let received = 0;
  // The loop ends when the socket closes.
  for await (const msg of rx) {
    const from = `${msg.source.address}:${msg.source.port}`;
    console.log(`${msg.group} from ${from} on ${msg.ifaceName}: ${msg.data.toString()}`);
    if (++received >= args.count) break;
  }
  if (!rx.closed) {
    // filtered: datagrams the OS socket got that were not for this receiver, dropped natively.
    const { received: total, kernelDrops, filtered } = rx.stats();
    console.log(`received ${total}, kernel drops ${kernelDrops}, filtered ${filtered}`);
    rx.close();
  }
}

main().catch((err) => {
  console.error(`error: ${err.message}`);
  process.exit(1);
});
