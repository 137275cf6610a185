'use strict';
// A benchmark sender in Node.js, run on a lab host by bench/run.js (never outside the lab):
//   node bench/tx-node.js --kind send|sendBatch|dgram --group G --port P --iface NAME --addr A
//                         --size BYTES --seconds S [--chunk 64]
// Sends flat out for S seconds, `chunk` datagrams at a time, waiting for each chunk to be accepted:
//   send:      McastTxSocket.send() per datagram, awaiting the chunk's last promise;
//   sendBatch: McastTxSocket.sendBatch() of `chunk` messages, awaited;
//   dgram:     dgram socket.send() per datagram, waiting for the chunk's last callback.
// Prints one JSON line: { sent, seconds, rate, cpuUser, cpuSys }.
const { parseWorkerArgs } = require('./worker-args');
const dgram = require('node:dgram');
const path = require('node:path');

const args = parseWorkerArgs(process.argv.slice(2), { kind: '', group: '', port: 0, iface: '', addr: '', size: 64, seconds: 2, chunk: 64 });
const payloads = [];
for (let i = 0; i < args.chunk; i++) {
  const b = Buffer.alloc(args.size, i);
  b.writeUInt32LE(0x4d434542, 0);
  b.writeUInt32LE(2, 4);
  payloads.push(b);
}

async function main() {
  let sendChunk;
  let close;
  if (args.kind === 'send' || args.kind === 'sendBatch') {
    const { McastTxSocket } = require(path.join(__dirname, '..', 'dist'));
    const tx = new McastTxSocket({ iface: args.iface });
    close = () => tx.close();
    if (args.kind === 'send') {
      sendChunk = () => {
        let last;
        for (let i = 0; i < payloads.length; i++) last = tx.send(payloads[i], args.group, args.port);
        return last;
      };
    } else {
      const messages = payloads.map((data) => ({ data, group: args.group, port: args.port }));
      sendChunk = () => tx.sendBatch(messages);
    }
  } else if (args.kind === 'dgram') {
    const sock = dgram.createSocket({ type: 'udp4' });
    await new Promise((resolve) => sock.bind(0, resolve));
    sock.setMulticastInterface(args.addr);
    sock.setMulticastTTL(1);
    sock.setMulticastLoopback(false);
    close = () => sock.close();
    sendChunk = () =>
      new Promise((resolve, reject) => {
        const last = payloads.length - 1;
        for (let i = 0; i < last; i++) sock.send(payloads[i], args.port, args.group);
        sock.send(payloads[last], args.port, args.group, (err) => (err ? reject(err) : resolve()));
      });
  } else {
    throw new Error(`unknown --kind ${args.kind}`);
  }
  // A short warm-up, so that the figures are of optimised code.
  const warmUntil = process.hrtime.bigint() + 200_000_000n;
  while (process.hrtime.bigint() < warmUntil) await sendChunk();

  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(args.seconds * 1e9));
  let sent = 0;
  let now = start;
  while (now < end) {
    await sendChunk();
    sent += payloads.length;
    now = process.hrtime.bigint();
  }
  const seconds = Number(now - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  close();
  process.stdout.write(`${JSON.stringify({ sent, seconds, rate: sent / seconds, cpuUser: cpu.user / 1e6, cpuSys: cpu.system / 1e6 })}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
