#!/usr/bin/env node
'use strict';
// The run-time half of scripts/dist/tarball.sh, inside the network lab: in a project that installed the
// packed tarball, under each given node runtime, it checks that
//   - require('multicast-expert') loads the shipped prebuild of the runtime's architecture (never a
//     local build) and lists interfaces, and the compiled CommonJS TypeScript consumer (api.cjs) runs;
//   - import('multicast-expert') loads and lists interfaces;
//   - a Tx/Rx round trip between two lab hosts delivers both datagrams with their group and interface
//     (the compiled ESM TypeScript consumer, roundtrip.mjs, on both ends).
//
//   node lab/enter-lab.js node scripts/dist/consumer-check.js <project dir> <runtimes json>
//
// A runtime is { name, command: [argv prefix that runs node], env?, emulated? }. Under emulation
// (qemu-user) a socket option the emulator does not translate fails with ENOPROTOOPT; that is
// reported, and the round trip is then skipped for that runtime with the reason.
const path = require('node:path');
const { Lab } = require('../../lab/lab.js');

const [projectDir, runtimesJson] = process.argv.slice(2);
const runtimes = JSON.parse(runtimesJson);
let failures = 0;
let passed = 0;
let skipped = 0;

function check(ok, what) {
  if (ok) {
    passed += 1;
    console.log(`  ok: ${what}`);
  } else {
    failures += 1;
    console.log(`  FAILED: ${what}`);
  }
}

function spawnOn(host, runtime, args) {
  const [cmd, ...prefix] = runtime.command;
  return host.spawn(cmd, [...prefix, ...args], { cwd: projectDir, env: runtime.env || {} });
}

async function runOn(host, runtime, args, timeoutMs = 60000) {
  const p = spawnOn(host, runtime, args);
  p.child.stdin.end();
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const r = await p.exited;
  clearTimeout(timer);
  return r;
}

function lastJson(stdout) {
  const line = stdout.trim().split('\n').pop() || '';
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

async function checkRuntime(lab, h1, h2, runtime) {
  console.log(`== ${runtime.name}`);
  const installed = path.join(projectDir, 'node_modules', 'multicast-expert');

  // 1. require, through the compiled CommonJS consumer.
  const api = await runOn(h1, runtime, ['out/api.cjs']);
  const info = lastJson(api.stdout);
  check(api.code === 0 && info !== null, `require: out/api.cjs ran (exit ${api.code})${api.code === 0 ? '' : `: ${api.stderr.trim().split('\n').slice(-3).join(' | ')}`}`);
  if (info === null) return;
  console.log(`     node ${info.node} ${info.arch}; interfaces: ${info.interfaces.join(', ')}; addon: ${path.relative(projectDir, info.addon)}`);
  check(info.resolved === path.join(installed, 'dist', 'index.js'), `require resolved the installed package (${path.relative(projectDir, info.resolved)})`);
  check(
    info.addon === path.join(installed, 'prebuilds', `linux-${info.arch}`, 'multicast-expert.glibc.node'),
    `the addon is the shipped prebuild for linux-${info.arch}`,
  );
  check(info.interfaces.includes('lo') && info.interfaces.includes('eth0'), 'scanInterfaces() lists lo and eth0');
  check(info.loopbackFound && info.addresses > 0 && info.ips > 0, 'findInterfaces() and getInterfaceIps() find the loopback interface and its addresses');
  check(Object.values(info.validation).every(Boolean), `validation and errors behave (${JSON.stringify(info.validation)})`);
  let socketsWork = info.sender.opened;
  if (info.sender.opened) check(true, 'a McastTxSocket opens on lo');
  else if (runtime.emulated && info.sender.code === 'ENOPROTOOPT') {
    console.log(`     note: under ${runtime.emulated}, ${info.sender.syscall} fails with ENOPROTOOPT (the emulator does not translate that socket option); the error arrived as a MulticastExpertError from the native code`);
    check(/^setsockopt\(/.test(info.sender.syscall), 'the native error path reports the failing syscall');
  } else check(false, `a McastTxSocket opens on lo (${info.sender.code} ${info.sender.syscall})`);

  // 2. import(), from an ES module.
  // The ESM entry re-exports the CommonJS module by name: the two must offer the same names.
  const esmCode = `const m = await import('multicast-expert');
    const c = (await import('node:module')).createRequire(process.cwd() + '/')('multicast-expert');
    console.log(JSON.stringify({
      names: m.scanInterfaces().map((i) => i.name),
      esmOnly: Object.keys(m).filter((k) => !(k in c)),
      cjsOnly: Object.keys(c).filter((k) => !(k in m)),
      same: m.McastRxSocket === c.McastRxSocket,
    }));`;
  const esm = await runOn(h1, runtime, ['--input-type=module', '-e', esmCode]);
  const e = lastJson(esm.stdout);
  check(esm.code === 0 && e !== null && e.names.includes('eth0'), `import('multicast-expert') lists interfaces (${e === null ? esm.stderr.trim().split('\n').pop() : e.names})`);
  if (e !== null) {
    check(e.esmOnly.length === 0 && e.cjsOnly.length === 0 && e.same, `import and require offer the same names and classes (only in ESM: [${e.esmOnly}], only in CJS: [${e.cjsOnly}])`);
  }

  // 3. The round trip between two hosts.
  if (!socketsWork) {
    skipped += 1;
    console.log(`  skipped: round trip under ${runtime.emulated || runtime.name} (sockets cannot be opened there, see above)`);
    return;
  }
  const [groupA, groupB, port] = ['239.61.0.1', '239.61.0.2', String(47000 + Math.floor(Math.random() * 1000))];
  const rx = spawnOn(h2, runtime, ['out/roundtrip.mjs', 'rx', 'eth0', groupA, groupB, port, '2']);
  try {
    await rx.waitFor('ready', 30000);
  } catch (err) {
    check(false, `receiver started: ${err.message}`);
    await rx.stop();
    return;
  }
  const tx = await runOn(h1, runtime, ['out/roundtrip.mjs', 'tx', 'eth0', groupA, groupB, port]);
  check(tx.code === 0, `sender ran (exit ${tx.code})${tx.code === 0 ? '' : `: ${tx.stderr.trim()}`}`);
  const timer = setTimeout(() => rx.child.kill('SIGKILL'), 30000);
  const r = await rx.exited;
  clearTimeout(timer);
  const got = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{"text"'))
    .map((l) => JSON.parse(l));
  const byText = new Map(got.map((m) => [m.text, m]));
  const a = byText.get(`to ${groupA}`);
  const b = byText.get(`to ${groupB}`);
  check(r.code === 0, `receiver exited cleanly (exit ${r.code})${r.code === 0 ? '' : `: ${r.stderr.trim()}`}`);
  check(a !== undefined && a.group === groupA && a.iface === 'eth0' && a.source === '10.61.0.1', `send() to ${groupA} arrived with its group, interface and source (${JSON.stringify(a)})`);
  check(b !== undefined && b.group === groupB && b.iface === 'eth0' && b.source === '10.61.0.1', `sendBatch() to ${groupB} (joined later) arrived likewise (${JSON.stringify(b)})`);
}

async function main() {
  const reason = Lab.unavailableReason();
  if (reason !== null) throw new Error(`the consumer check needs the lab: ${reason}`);
  const lab = await Lab.create();
  try {
    const lan = await lab.lan('dist');
    const h1 = await lab.host('h1');
    const h2 = await lab.host('h2');
    await lab.connect(h1, lan, { ipv4: '10.61.0.1/24' });
    await lab.connect(h2, lan, { ipv4: '10.61.0.2/24' });
    for (const runtime of runtimes) await checkRuntime(lab, h1, h2, runtime);
  } finally {
    await lab.close();
  }
  console.log(`consumers: ${passed} passed, ${failures} failed, ${skipped} skipped`);
  process.exitCode = failures === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
