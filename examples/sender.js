#!/usr/bin/env node
'use strict';
// Sends a numbered message to one or more multicast groups, once a second.
//
//   node examples/sender.js [--group 239.1.2.3]... [--port 12345] [--iface eth0] [--ttl 1]
//                           [--count 5] [--interval 1000] [--message hello]
//
// Each option can also come from the environment: MCE_GROUP (comma-separated), MCE_PORT, MCE_IFACE,
// MCE_TTL, MCE_COUNT, MCE_INTERVAL, MCE_MESSAGE. Without --iface the datagrams leave through the
// interface of the default route.
const { parseArgs } = require('node:util');
const { McastTxSocket } = require('multicast-expert');

const USAGE = `Usage: node examples/sender.js [options]

Sends "<message> #<n>" to each group, --count times, --interval ms apart.

Options (environment variable in brackets):
  --group G      a group to send to; repeatable (MCE_GROUP, comma-separated; default 239.1.2.3)
  --port P       the destination port (MCE_PORT; default 12345)
  --iface X      the interface: name, index or address (MCE_IFACE; default: the default route's)
  --ttl N        hops the datagrams may take, 0..255 (MCE_TTL; default 1)
  --count N      rounds to send (MCE_COUNT; default 5)
  --interval MS  milliseconds between rounds (MCE_INTERVAL; default 1000)
  --message M    the text (MCE_MESSAGE; default hello)
  -h, --help     show this help
`;

function options(argv, env) {
  const { values } = parseArgs({
    args: argv,
    options: {
      group: { type: 'string', multiple: true },
      port: { type: 'string' },
      iface: { type: 'string' },
      ttl: { type: 'string' },
      count: { type: 'string' },
      interval: { type: 'string' },
      message: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return {
    help: values.help === true,
    groups: values.group ?? (env.MCE_GROUP ? env.MCE_GROUP.split(',') : ['239.1.2.3']),
    port: Number(values.port ?? env.MCE_PORT ?? 12345),
    iface: values.iface ?? (env.MCE_IFACE || undefined),
    ttl: Number(values.ttl ?? env.MCE_TTL ?? 1),
    count: Number(values.count ?? env.MCE_COUNT ?? 5),
    interval: Number(values.interval ?? env.MCE_INTERVAL ?? 1000),
    message: values.message ?? env.MCE_MESSAGE ?? 'hello',
  };
}

async function main(args) {
  // The socket's family follows the groups'; `groups` also guards against sending anywhere else.
  // Bad values (a port of 70000, a group that is no multicast address) throw a MulticastExpertError here.
  const tx = new McastTxSocket({ groups: args.groups, iface: args.iface, ttl: args.ttl });
  try {
    console.log(`sending to ${args.groups.join(', ')} port ${args.port} on ${tx.iface.name} (source port ${tx.address().port})`);
    for (let n = 1; n <= args.count; n++) {
      for (const group of args.groups) {
        await tx.send(`${args.message} #${n}`, group, args.port); // resolves once the kernel has it
        console.log(`sent "${args.message} #${n}" to ${group}`);
      }
      if (n < args.count) await new Promise((resolve) => setTimeout(resolve, args.interval));
    }
  } finally {
    tx.close();
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
