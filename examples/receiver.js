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
const { parseArgs } = require('node:util');
const { McastRxSocket } = require('multicast-expert');

const USAGE = `Usage: node examples/receiver.js [options]

Prints every datagram with the group it was sent to and the interface it arrived on.

Options (environment variable in brackets):
  --group G   a group to join; repeatable (MCE_GROUP, comma-separated; default 239.1.2.3)
  --port P    the port (MCE_PORT; default 12345)
  --iface X   an interface to listen on; repeatable (MCE_IFACE, comma-separated;
              default: every interface that is up, multicast-capable and not loopback)
  --count N   exit after N datagrams (MCE_COUNT; default: run until Ctrl-C)
  -h, --help  show this help
`;

function options(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      group: { type: 'string', multiple: true },
      port: { type: 'string' },
      iface: { type: 'string', multiple: true },
      count: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return {
    help: values.help === true,
    groups: values.group ?? (env.MCE_GROUP ? env.MCE_GROUP.split(',') : ['239.1.2.3']),
    port: Number(values.port ?? env.MCE_PORT ?? 12345),
    ifaces: values.iface ?? (env.MCE_IFACE ? env.MCE_IFACE.split(',') : []),
    count: Number(values.count ?? env.MCE_COUNT ?? Infinity),
  };
}

async function main(args) {
  const rx = new McastRxSocket({
    groups: args.groups,
    port: args.port,
    ...(args.ifaces.length > 0 ? { ifaces: args.ifaces } : {}),
  });
  process.once('SIGINT', () => rx.close());
  process.once('SIGTERM', () => rx.close());
  console.log(`listening to ${rx.groups.join(', ')} port ${rx.port} on ${rx.ifaces.map((i) => i.name).join(', ')}`);

  let received = 0;
  while (received < args.count) {
    const msg = await rx.receive(); // null once the socket is closed (Ctrl-C)
    if (msg === null) break;
    received += 1;
    const from = `${msg.source.address}:${msg.source.port}`;
    console.log(`${msg.group} from ${from} on ${msg.ifaceName}: ${msg.data.toString()}`);
  }
  if (!rx.closed) {
    // filtered: datagrams the OS socket got that were not for this receiver, dropped natively.
    const { received: total, kernelDrops, filtered } = rx.stats();
    console.log(`received ${total}, kernel drops ${kernelDrops}, filtered ${filtered}`);
    rx.close();
  }
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
