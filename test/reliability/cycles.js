'use strict';
// Opens and closes Tx and Rx sockets many times and prints, as one JSON line, the process's open
// descriptors, libuv handles and RSS at checkpoints. Run by test/lifecycle.test.ts in the lab:
//   node --expose-gc cycles.js <iface> <cycles> <checkpointEvery>
const fs = require('node:fs');
const path = require('node:path');
const mce = require(process.env.MCE_DIST || path.join(__dirname, '..', '..', 'dist'));

const [iface, cyclesText, everyText] = process.argv.slice(2);
const cycles = Number(cyclesText);
const every = Number(everyText);

const fds = () => fs.readdirSync('/proc/self/fd').length;
// Every handle on the loop (libuv's own walk, as the diagnostic report lists it): the addon's poll
// and check handles included, whatever JavaScript knows about them.
const handles = () => process.report.getReport().libuv.filter((h) => h.type !== 'loop').length;
// Closed descriptors are released in libuv's close callbacks: a few loop turns later.
const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  global.gc();
  await new Promise((r) => setTimeout(r, 10));
  global.gc();
};
const sample = (done) => ({ done, fds: fds(), handles: handles(), rss: process.memoryUsage().rss });

async function main() {
  const port = 20000 + (process.pid % 20000);
  const rxSamples = [];
  const txSamples = [];
  await settle();
  rxSamples.push(sample(0));
  for (let i = 1; i <= cycles; i++) {
    const rx = new mce.McastRxSocket({ groups: ['239.77.0.1', '239.77.0.2'], port, iface });
    rx.join('239.77.0.3');
    rx.leave('239.77.0.1');
    rx.stats();
    rx.close();
    if (i % every === 0) {
      await settle();
      rxSamples.push(sample(i));
    }
  }
  txSamples.push(sample(0));
  for (let i = 1; i <= cycles; i++) {
    const tx = new mce.McastTxSocket({ iface, groups: ['239.77.0.9'] });
    await tx.send('x', '239.77.0.9', port);
    tx.address();
    tx.close();
    if (i % every === 0) {
      await settle();
      txSamples.push(sample(i));
    }
  }
  console.log(JSON.stringify({ rx: rxSamples, tx: txSamples }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
