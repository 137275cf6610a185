#!/usr/bin/env node
'use strict';
// What a sender opened without `iface` (and getDefaultGatewayIface()) costs on a lab host whose
// routing table holds few routes, and 1,000,000 (about a full BGP table). Runs inside the private
// network lab:
//
//   npm run build:ts && node lab/enter-lab.js node bench/default-route.js [routes]
//
// Each figure is over 20 calls in one process on the host, after one warm-up call; adding the routes
// (ip -batch) takes about half a minute.
const { DIST, Lab } = require('../lab/lab.js');

const ROUTES = Number(process.argv[2] || 1_000_000);

const probe = `
const mce = require(${JSON.stringify(DIST)});
function time(fn) {
  fn();
  const t = [];
  for (let i = 0; i < 20; i++) { const t0 = process.hrtime.bigint(); fn(); t.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  t.sort((a, b) => a - b);
  return 'median ' + t[10].toFixed(3) + ' ms, max ' + t[19].toFixed(3) + ' ms';
}
console.log('new McastTxSocket({}): ' + time(() => new mce.McastTxSocket({}).close()) + '; getDefaultGatewayIface(ipv4): ' + time(() => mce.getDefaultGatewayIface('ipv4')) + '; (ipv6): ' + time(() => mce.getDefaultGatewayIface('ipv6')));
`;

async function main() {
  const lab = await Lab.create();
  try {
    const lan = await lab.lan('routes');
    const host = await lab.host('routes');
    await lab.connect(host, lan, { ipv4: '10.90.0.2/24', ipv6: 'fd90::2/64' });
    await host.ip('route', 'add', 'default', 'via', '10.90.0.1');
    await host.ip('-6', 'route', 'add', 'default', 'via', 'fd90::1');
    const report = async (label) => {
      const r = await host.node(['-e', probe], { timeoutMs: 600_000 });
      if (r.code !== 0) throw new Error(r.stderr);
      console.log(`${label}: ${r.stdout.trim()}`);
    };
    await report('a few routes');
    const lines = [];
    for (let i = 0; i < ROUTES; i++) lines.push(`route add ${32 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24 via 10.90.0.1`);
    const added = await host.run('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n`, timeoutMs: 600_000 });
    if (added.code !== 0) throw new Error(added.stderr);
    await report(`${ROUTES.toLocaleString('en')} routes`);
  } finally {
    await lab.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
