'use strict';
// The focused script that test/sanitizers/valgrind.sh runs under valgrind memcheck, inside the lab
// (the lab namespace's own loopback interface): open a receiver, join a second group, send to both,
// receive both, leave, close; open and close a sender; N cycles (argv[2], default 1000).
const path = require('node:path');
const mce = require(path.join(__dirname, '..', '..', 'dist'));

const cycles = Number(process.argv[2] || 1000);
const port = 47100;

async function cycle(i) {
  const rx = new mce.McastRxSocket({ groups: ['239.91.0.1'], port, iface: 'lo', timeout: 5000 });
  rx.join('239.91.0.2');
  const tx = new mce.McastTxSocket({ iface: 'lo' });
  await tx.send(`a${i}`, '239.91.0.1', port);
  await tx.sendBatch([{ data: `b${i}`, group: '239.91.0.2', port }]);
  const got = [await rx.receive(), await rx.receive()];
  const groups = got.map((m) => m && m.group).sort().join(',');
  if (groups !== '239.91.0.1,239.91.0.2') throw new Error(`cycle ${i}: received ${groups}`);
  rx.stats();
  rx.leave('239.91.0.2');
  rx.close();
  tx.close();
}

(async () => {
  const start = Date.now();
  for (let i = 0; i < cycles; i++) await cycle(i);
  console.log(`valgrind-cycles: ${cycles} cycles in ${((Date.now() - start) / 1000).toFixed(1)} s`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
