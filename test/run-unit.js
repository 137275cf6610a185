#!/usr/bin/env node
'use strict';
// npm run test:unit: the jest suites with the network lab declared unavailable, so that exactly the
// tests that need neither the lab nor a socket run (every test that joins or sends is inside
// describeLab, by the project's network rule) and the rest show as skipped. New unit tests join by
// themselves. Runs on any OS, and under Windows node in Wine (scripts/cross/wine-smoke.sh).
//
//   node test/run-unit.js [jest arguments...]       (after npm run build:ts)
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const env = { ...process.env };
if (!env.MCE_LAB_UNAVAILABLE) env.MCE_LAB_UNAVAILABLE = 'npm run test:unit runs only the tests that need no lab';
// CI demands the lab for `npm test` (MCE_REQUIRE_LAB=1, see test/helpers.ts); here its absence is the point.
delete env.MCE_REQUIRE_LAB;
const jest = require.resolve('jest/bin/jest');
const r = spawnSync(process.execPath, [jest, '--runInBand', ...process.argv.slice(2)], {
  cwd: path.join(__dirname, '..'),
  env,
  stdio: 'inherit',
});
if (r.error) throw r.error;
process.exit(r.status === null ? 1 : r.status);
