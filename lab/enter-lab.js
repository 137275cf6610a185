#!/usr/bin/env node
'use strict';
// Runs a command inside the private network lab: a new network namespace with only a loopback
// interface, so that nothing it does can reach this machine's real network. Tests (and the demo and
// the benchmark) then build their own hosts and LANs inside it with lab/lab.js.
//
//   node lab/enter-lab.js <command> [args...]
//
// As root the namespace is made with `unshare --net`; otherwise with
// `unshare --user --map-root-user --net` (unprivileged user namespaces). Where neither works (not
// Linux, no util-linux/iproute2, namespaces forbidden) the command runs as is, with
// MCE_LAB_UNAVAILABLE set to the reason, and tests that need the lab skip with that reason.
//
// MCE_LAB_UNAVAILABLE set by the caller (any text: the reason) runs the command without a lab, as
// on a machine without namespaces. MCE_REQUIRE_LAB=1 (CI) makes a missing lab an error: the command
// does not run, and this exits with status 1.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin'];

function findTool(name) {
  const dirs = (process.env.PATH || '').split(path.delimiter).concat(SBIN);
  for (const dir of dirs) {
    const full = path.join(dir, name);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      return full;
    } catch {
      // not here
    }
  }
  return null;
}

function unshareFlags() {
  const unshare = findTool('unshare');
  const candidates = process.getuid && process.getuid() === 0 ? [['--net']] : [];
  candidates.push(['--user', '--map-root-user', '--net']);
  for (const flags of candidates) {
    const r = spawnSync(unshare, [...flags, 'true'], { stdio: 'ignore' });
    if (r.status === 0) return flags;
  }
  return null;
}

function whyNoLab() {
  if (process.env.MCE_LAB_UNAVAILABLE) return process.env.MCE_LAB_UNAVAILABLE;
  if (process.platform !== 'linux') return `network namespaces need Linux, this is ${process.platform}`;
  for (const tool of ['unshare', 'nsenter', 'ip']) {
    if (findTool(tool) === null) return `${tool} is not installed (util-linux / iproute2)`;
  }
  if (unshareFlags() === null) return 'this user may not create network namespaces (unshare failed)';
  return null;
}

function sh(command) {
  const r = spawnSync('sh', ['-c', command], { encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:${SBIN.join(':')}` } });
  if (r.status !== 0) throw new Error(`lab setup failed: ${command}: ${r.stderr}`);
}

// The lab's root namespace: loopback up (with the IPv6 route Linux needs to loop multicast back on
// lo), and no duplicate address detection, so that IPv6 addresses work the moment they are added.
function setUpRootNamespace() {
  sh('ip link set lo up');
  sh('ip -6 route add local ff00::/8 dev lo table local');
  for (const key of ['all', 'default']) {
    sh(`echo 0 > /proc/sys/net/ipv6/conf/${key}/accept_dad`);
  }
}

function run(argv, extraEnv) {
  if (argv.length === 0) {
    console.error('usage: node lab/enter-lab.js <command> [args...]');
    process.exit(2);
  }
  const env = { ...process.env, ...extraEnv, PATH: `${process.env.PATH}${path.delimiter}${SBIN.join(path.delimiter)}` };
  const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env, shell: process.platform === 'win32' });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => child.kill(sig));
  child.on('error', (err) => {
    console.error(`cannot run ${argv[0]}: ${err.message}`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => process.exit(code === null ? 128 + (require('node:os').constants.signals[signal] || 1) : code));
}

const argv = process.argv.slice(2);
if (process.env.MCE_LAB_INSIDE === '1') {
  setUpRootNamespace();
  const inode = fs.readlinkSync('/proc/self/ns/net');
  run(argv, { MCE_LAB: '1', MCE_LAB_NETNS: inode, MCE_LAB_INSIDE: '' });
} else {
  const reason = whyNoLab();
  if (reason !== null && process.env.MCE_REQUIRE_LAB === '1') {
    console.error(`multicast-expert lab unavailable: ${reason}. MCE_REQUIRE_LAB=1 demands it: not running ${argv.join(' ')}.`);
    process.exit(1);
  }
  if (reason !== null) {
    console.error(`multicast-expert lab unavailable: ${reason}. Tests that need it are skipped.`);
    run(argv, { MCE_LAB_UNAVAILABLE: reason });
  } else {
    const flags = unshareFlags();
    run([findTool('unshare'), ...flags, '--', process.execPath, __filename, ...argv], { MCE_LAB_INSIDE: '1' });
  }
}
