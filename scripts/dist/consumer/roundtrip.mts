// An ESM TypeScript consumer of the installed package, run on two lab hosts by
// scripts/dist/consumer-check.js: one receives, one sends, and the receiver prints what it got (with the
// group and interface of each datagram) as JSON lines.
//
//   node roundtrip.mjs rx <iface> <groupA> <groupB> <port> <count>
//   node roundtrip.mjs tx <iface> <groupA> <groupB> <port>
import { createRequire } from 'node:module';

import * as mce from 'multicast-expert';
import { McastRxSocket, McastTxSocket, MulticastExpertError, type McastMessage } from 'multicast-expert';

// import and require give the same module: one addon, one class, instanceof across both.
const required = createRequire(import.meta.url)('multicast-expert') as typeof mce;
if (required.McastRxSocket !== McastRxSocket || required.MulticastExpertError !== MulticastExpertError)
  throw new Error('import and require loaded two copies of multicast-expert');

const [role, iface = 'eth0', groupA = '239.77.0.1', groupB = '239.77.0.2', portText = '47000', countText = '2'] = process.argv.slice(2);
const port = Number(portText);

function describe(msg: McastMessage): string {
  return JSON.stringify({ text: msg.data.toString(), group: msg.group, port: msg.port, iface: msg.ifaceName, source: msg.source.address });
}

async function receive(): Promise<void> {
  using rx = new McastRxSocket({ groups: [groupA], port, iface, timeout: 15000 });
  rx.join(groupB);
  console.log(`ready ${rx.groups.join(',')} on ${rx.ifaces.map((i) => i.name).join(',')}`);
  const first = await rx.receive();
  if (first === null) throw new Error('nothing received within 15 s');
  console.log(describe(first));
  let left = Number(countText) - 1;
  const timer = setTimeout(() => rx.close(), 15000);
  let stats: ReturnType<typeof rx.stats> | undefined;
  for await (const msg of rx) {
    console.log(describe(msg));
    if (--left <= 0) {
      // Read before the break: breaking out of the loop closes the socket.
      stats = rx.stats();
      break;
    }
  }
  clearTimeout(timer);
  if (!rx.closed) throw new Error('breaking out of for await left the socket open');
  console.log(JSON.stringify({ stats }));
}

async function send(): Promise<void> {
  using tx = new McastTxSocket({ groups: [groupA, groupB], iface, ttl: 1 });
  await tx.send(`to ${groupA}`, groupA, port);
  const sent = await tx.sendBatch([{ data: Buffer.from(`to ${groupB}`), group: groupB, port }]);
  console.log(JSON.stringify({ from: tx.address(), sent: sent + 1 }));
}

if (role === 'rx') await receive();
else if (role === 'tx') await send();
else throw new Error(`role must be rx or tx, got ${String(role)}`);
