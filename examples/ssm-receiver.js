#!/usr/bin/env node
'use strict';
// Source-specific multicast (SSM): receives a group's datagrams from the given senders only; the
// kernel (and the network, with IGMPv3/MLDv2) drops everyone else's. IPv4 and IPv6 alike.
//
//   node examples/ssm-receiver.js --group 232.1.2.3 --source 10.0.0.7 [--source ...]
//                                 [--port 12345] [--iface eth0] [--count N]
//
// Environment: MCE_GROUP, MCE_SOURCE (comma-separated), MCE_PORT, MCE_IFACE, MCE_COUNT. SSM groups
// are 232.0.0.0/8 for IPv4 and ff3x::/32 for IPv6, though any group can be joined source-specific.
const { McastRxSocket } = require('multicast-expert');

function parseArgs(argv, env) {
  const args = {
    group: env.MCE_GROUP || '232.1.2.3',
    sources: env.MCE_SOURCE ? env.MCE_SOURCE.split(',') : [],
    port: Number(env.MCE_PORT || 12345),
    iface: env.MCE_IFACE || undefined,
    count: Number(env.MCE_COUNT || Infinity),
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--group') args.group = value;
    else if (flag === '--source') args.sources.push(value);
    else if (flag === '--port') args.port = Number(value);
    else if (flag === '--iface') args.iface = value;
    else if (flag === '--count') args.count = Number(value);
    else throw new Error(`unknown argument ${flag}`);
    i++;
  }
  if (args.sources.length === 0) throw new Error('give at least one --source (the unicast address of a sender)');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), process.env);
  const rx = new McastRxSocket({ groups: [args.group], port: args.port, sources: args.sources, iface: args.iface });
  process.once('SIGINT', () => rx.close());
  process.once('SIGTERM', () => rx.close());
  console.log(`listening to ${args.group} from ${args.sources.join(', ')} port ${rx.port} on ${rx.ifaces.map((i) => i.name).join(', ')}`);

  let received = 0;
  for await (const msg of rx) {
    console.log(`${msg.group} from ${msg.source.address}:${msg.source.port} on ${msg.ifaceName}: ${msg.data.toString()}`);
    if (++received >= args.count) break;
  }
  rx.close();
}

main().catch((err) => {
  console.error(`error: ${err.message}`);
  process.exit(1);
});
