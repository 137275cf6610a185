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
const { parseArgs } = require('node:util');
const { McastRxSocket } = require('multicast-expert');

const USAGE = `Usage: node examples/ssm-receiver.js --source S [options]

Prints the group's datagrams from the given senders only (source-specific multicast).

Options (environment variable in brackets):
  --group G   the group (MCE_GROUP; default 232.1.2.3)
  --source S  a sender's unicast address; repeatable, at least one (MCE_SOURCE, comma-separated)
  --port P    the port (MCE_PORT; default 12345)
  --iface X   the interface (MCE_IFACE; default: every multicast interface)
  --count N   exit after N datagrams (MCE_COUNT; default: run until Ctrl-C)
  -h, --help  show this help
`;

function options(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      group: { type: 'string' },
      source: { type: 'string', multiple: true },
      port: { type: 'string' },
      iface: { type: 'string' },
      count: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const args = {
    help: values.help === true,
    group: values.group ?? env.MCE_GROUP ?? '232.1.2.3',
    sources: values.source ?? (env.MCE_SOURCE ? env.MCE_SOURCE.split(',') : []),
    port: Number(values.port ?? env.MCE_PORT ?? 12345),
    iface: values.iface ?? (env.MCE_IFACE || undefined),
    count: Number(values.count ?? env.MCE_COUNT ?? Infinity),
  };
  if (!args.help && args.sources.length === 0) throw new Error('give at least one --source (the unicast address of a sender)');
  return args;
}

async function main(args) {
  const rx = new McastRxSocket({ groups: [args.group], port: args.port, sources: args.sources, iface: args.iface });
  process.once('SIGINT', () => rx.close());
  process.once('SIGTERM', () => rx.close());
  console.log(`listening to ${args.group} from ${args.sources.join(', ')} port ${rx.port} on ${rx.ifaces.map((i) => i.name).join(', ')}`);

  let received = 0;
  while (received < args.count) {
    const msg = await rx.receive(); // null once the socket is closed (Ctrl-C)
    if (msg === null) break;
    received += 1;
    console.log(`${msg.group} from ${msg.source.address}:${msg.source.port} on ${msg.ifaceName}: ${msg.data.toString()}`);
  }
  rx.close();
}

let args;
try {
  args = options(process.argv.slice(2), process.env);
} catch (err) {
  console.error(`${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(USAGE);
} else {
  main(args).catch((err) => {
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  });
}
