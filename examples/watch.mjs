#!/usr/bin/env node
// An ES module: follows the machine's interfaces, and a receiver on them. It prints every interface
// change as it happens (added, removed, renamed, up, down, an address added or removed), the
// receiver losing an interface and joining its groups there again when it is back, and every
// datagram with its group and arrival interface.
//
//   node examples/watch.mjs [--group 239.1.2.3]... [--port 12345] [--iface eth0]... [--timeout MS]
//
// Pull a cable, or `ip link set eth0 down` and up again, while it runs.
import { parseArgs } from 'node:util';
import { McastRxSocket, MulticastExpertError, watchInterfaces } from 'multicast-expert';

const USAGE = `Usage: node examples/watch.mjs [options]

Prints interface changes as they happen, and what they mean for a receiver of the groups.

Options:
  --group G     a group to join; repeatable (default 239.1.2.3)
  --port P      the port (default 12345)
  --iface X     an interface to listen on; repeatable (default: every multicast interface)
  --timeout MS  stop after MS milliseconds (default: run until Ctrl-C)
  -h, --help    show this help
`;

let values;
try {
  ({ values } = parseArgs({
    options: {
      group: { type: 'string', multiple: true },
      port: { type: 'string' },
      iface: { type: 'string', multiple: true },
      timeout: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  console.error(`${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

const time = () => new Date().toISOString().slice(11, 23);

let rx;
try {
  rx = new McastRxSocket({ groups: values.group ?? ['239.1.2.3'], port: Number(values.port ?? 12345), ...(values.iface ? { ifaces: values.iface } : {}) });
} catch (err) {
  // Every error of the library is a MulticastExpertError with a stable code.
  if (!(err instanceof MulticastExpertError)) throw err;
  console.error(`error (${err.code}): ${err.message}`);
  process.exit(1);
}

// The machine's interfaces, whatever any socket does with them.
const watcher = watchInterfaces(({ type, iface, address }) => {
  console.log(`${time()} interface ${iface.name}: ${type}${address ? ` ${address.address}/${address.prefixLength}` : ''}`);
});
// What they mean for this receiver: it rejoins its groups on an interface that comes back.
rx.on('iface-lost', (iface, why) => console.log(`${time()} receiver lost ${iface.name} (${why}): its groups wait for it`));
rx.on('iface-joined', (iface, why) => console.log(`${time()} receiver joined ${rx.groups.join(', ')} on ${iface.name} (${why})`));

const timer = values.timeout === undefined ? undefined : setTimeout(() => stop(), Number(values.timeout));
function stop() {
  clearTimeout(timer);
  watcher.close();
  rx.close();
}
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

console.log(`listening to ${rx.groups.join(', ')} port ${rx.port} on ${rx.ifaces.map((i) => i.name).join(', ')}; watching the interfaces`);
// Top-level await: the loop ends when the socket closes.
for await (const msg of rx) {
  console.log(`${time()} ${msg.group} from ${msg.source.address} on ${msg.ifaceName}: ${msg.data.toString()}`);
}
