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
const { McastTxSocket } = require('multicast-expert');

function parseArgs(argv, env) {
  const args = {
    groups: env.MCE_GROUP ? env.MCE_GROUP.split(',') : [],
    port: Number(env.MCE_PORT || 12345),
    iface: env.MCE_IFACE || undefined,
    ttl: Number(env.MCE_TTL || 1),
    count: Number(env.MCE_COUNT || 5),
    interval: Number(env.MCE_INTERVAL || 1000),
    message: env.MCE_MESSAGE || 'hello',
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--group') args.groups.push(value);
    else if (flag === '--port') args.port = Number(value);
    else if (flag === '--iface') args.iface = value;
    else if (flag === '--ttl') args.ttl = Number(value);
    else if (flag === '--count') args.count = Number(value);
    else if (flag === '--interval') args.interval = Number(value);
    else if (flag === '--message') args.message = value;
    else throw new Error(`unknown argument ${flag}`);
    i++;
  }
  if (args.groups.length === 0) args.groups.push('239.1.2.3');
  return args;
}

async function main() {
  const args = parseArgs(process.argv.slice(2), process.env);
  // The socket's family follows the groups'; `groups` also guards against sending anywhere else.
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

main().catch((err) => {
  console.error(`error: ${err.message}`);
  process.exit(1);
});
