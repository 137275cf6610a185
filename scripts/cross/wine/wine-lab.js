#!/usr/bin/env node
'use strict';
// The Windows run, inside the network lab (scripts/cross/wine-smoke.sh starts it): a lab host with
// one known interface, a wineserver started in that host's network namespace (it owns every socket
// of the Windows processes, so they live there), and real node.exe run on it twice: smoke.js (the
// package as shipped, against the known setup), then the jest suites that need no lab
// (test/run-unit.js). Any "unimplemented function" from Wine fails the run.
//
//   node lab/enter-lab.js node scripts/cross/wine/wine-lab.js <stage dir> <node.exe>
//
// Environment: MCE_WINE (wine64), MCE_WINESERVER (the wineserver binary itself, not Debian's
// wrapper, which forces -p0), WINEPREFIX (made on first use, inside the lab host).
const fs = require('node:fs');
const path = require('node:path');
const { Lab } = require('../../../lab/lab.js');

const [stage, nodeExe] = process.argv.slice(2);
const { MCE_WINE: wine, MCE_WINESERVER: wineserver, WINEPREFIX: prefix } = process.env;
if (!stage || !nodeExe || !wine || !wineserver || !prefix) {
  console.error('usage: MCE_WINE=... MCE_WINESERVER=... WINEPREFIX=... wine-lab.js <stage dir> <node.exe>');
  process.exit(2);
}

// The lab host's one interface, which smoke.js must see exactly so.
const SETUP = { ipv4: '10.77.0.2', prefixLength: 24, ipv6: 'fd77::2', mac: '02:77:00:00:00:02', mtu: 1400 };
// Wine without a display, without offering to install Mono or Gecko, and quiet.
const WINE_ENV = { WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', WINEARCH: 'win64' };
const OUT = path.join(stage, 'wine-out');

let failures = 0;
function report(ok, what) {
  if (!ok) failures += 1;
  console.log(`  ${ok ? 'ok' : 'FAILED'}: ${what}`);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a Windows program under Wine on the host, stdout and stderr to files (node.exe under Wine
 * cannot write to a pipe: EBADF). Resolves to { code, stdout, stderr }. */
async function runWindows(host, name, args, env = {}, timeoutMs = 600000) {
  const stdout = path.join(OUT, `${name}.out`);
  const stderr = path.join(OUT, `${name}.err`);
  const r = await host.run('sh', ['-c', 'unset DISPLAY WAYLAND_DISPLAY; out="$1" err="$2"; shift 2; exec "$@" >"$out" 2>"$err"', 'sh', stdout, stderr, wine, ...args], {
    env: { ...WINE_ENV, ...env },
    cwd: stage,
    timeoutMs,
  });
  return { code: r.code, signal: r.signal, stdout: fs.readFileSync(stdout, 'utf8'), stderr: fs.readFileSync(stderr, 'utf8') };
}

async function main() {
  const reason = Lab.unavailableReason();
  if (reason !== null) throw new Error(`the Wine run needs the lab: ${reason}`);
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  fs.mkdirSync(prefix, { recursive: true });
  const lab = await Lab.create();
  let server = null;
  let win = null;
  try {
    const lan = await lab.lan('wine');
    win = await lab.host('win');
    const peer = await lab.host('peer');
    await lab.connect(peer, lan, { ipv4: '10.77.0.1/24' });
    await lab.connect(win, lan, { ipv4: `${SETUP.ipv4}/${SETUP.prefixLength}`, ipv6: `${SETUP.ipv6}/64` });
    await win.ipBatch([`link set eth0 address ${SETUP.mac}`, `link set eth0 mtu ${SETUP.mtu}`]);

    // The wineserver, started here in the host's namespace, in the foreground and persistent: if one
    // already serves this prefix (anywhere), this one exits at once, and the run stops.
    server = win.spawn(wineserver, ['-f', '-p'], { env: WINE_ENV });
    await sleep(1000);
    if (server.child.exitCode !== null) {
      throw new Error(`a wineserver for ${prefix} runs already (outside this lab host?): stop it with WINEPREFIX=${prefix} wineserver -k`);
    }
    const serverNs = fs.readlinkSync(`/proc/${server.child.pid}/ns/net`);
    const hostNs = fs.readlinkSync(`/proc/${win.pid}/ns/net`);
    report(serverNs === hostNs, `the wineserver (pid ${server.child.pid}) runs in the lab host's network namespace (${serverNs})`);
    if (serverNs !== hostNs) return;

    if (!fs.existsSync(path.join(prefix, 'system.reg'))) {
      const started = Date.now();
      const boot = await runWindows(win, 'wineboot', ['wineboot', '--init']);
      // node 20 refuses Windows 7, Wine's default.
      const cfg = await runWindows(win, 'winecfg', ['winecfg', '/v', 'win10']);
      report(boot.code === 0 && cfg.code === 0, `a new Wine prefix (Windows 10) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }

    const version = await runWindows(win, 'version', [nodeExe, '-p', 'process.version + " " + process.platform + " " + process.arch']);
    report(version.code === 0 && / win32 x64/.test(version.stdout), `node.exe runs: ${version.stdout.trim() || version.stderr.trim()}`);

    console.log('== the package under Windows node (scripts/cross/wine/smoke.js)');
    const smoke = await runWindows(win, 'smoke', [nodeExe, 'scripts/cross/wine/smoke.js'], { MCE_WINE_SETUP: JSON.stringify(SETUP) });
    let parsed = null;
    try {
      parsed = JSON.parse(smoke.stdout.trim().split('\n').pop());
    } catch {
      report(false, `smoke.js printed no result (exit ${smoke.code}): ${smoke.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    }
    if (parsed !== null) {
      for (const r of parsed.results) report(r.ok, `${r.name}${r.detail ? `: ${r.detail}` : ''}`);
      report(smoke.code === 0, `smoke.js exited ${smoke.code}`);
    }

    console.log('== the jest suites that need no lab, under Windows node (test/run-unit.js)');
    // Jest's resolver (unrs-resolver) cannot load in Wine 8: unrs-binding.js stands in for it.
    const started = Date.now();
    const unit = await runWindows(win, 'unit', [nodeExe, 'test/run-unit.js', '--ci'], {
      NAPI_RS_NATIVE_LIBRARY_PATH: path.join(stage, 'scripts', 'cross', 'wine', 'unrs-binding.js'),
    });
    const summary = (unit.stderr.match(/^Tests: .*$/m) || ['no summary'])[0];
    const suites = (unit.stderr.match(/^Test Suites: .*$/m) || ['no summary'])[0];
    for (const line of unit.stderr.split('\n').filter((l) => /^(PASS|FAIL) /.test(l))) console.log(`     ${line}`);
    report(unit.code === 0 && /\d+ passed/.test(summary) && !/failed/.test(summary), `${suites}; ${summary} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    if (unit.code !== 0) console.log(unit.stderr.split('\n').filter((l) => /●/.test(l)).slice(0, 20).join('\n'));

    const unimplemented = fs
      .readdirSync(OUT)
      .filter((f) => f.endsWith('.err'))
      .flatMap((f) => fs.readFileSync(path.join(OUT, f), 'utf8').split('\n').filter((l) => /unimplemented function/i.test(l)).map((l) => `${f}: ${l}`));
    report(unimplemented.length === 0, `no call to a function Wine does not implement${unimplemented.length ? `: ${unimplemented.join('; ')}` : ''}`);
  } finally {
    if (server !== null && win !== null) {
      await win.run(wineserver, ['-k'], { env: WINE_ENV, timeoutMs: 20000 });
      await Promise.race([server.exited, sleep(10000)]); // lab.close() kills it otherwise
    }
    await lab.close();
  }
}

main()
  .catch((err) => {
    report(false, err.message);
  })
  .finally(() => {
    console.log(failures === 0 ? 'wine: all checks passed' : `wine: ${failures} failed`);
    process.exitCode = failures === 0 ? 0 : 1;
  });
