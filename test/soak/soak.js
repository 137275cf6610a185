#!/usr/bin/env node
'use strict';
// npm run soak: 4 senders and 4 receivers on 16 groups, in the network lab, for a while (default 10
// minutes), then a report: datagrams sent, received, dropped (against the kernel's own counters:
// stats().kernelDrops per receiver and RcvbufErrors of the receiving host), and RSS and open
// descriptors of every process at start and end. Exits 1 on a crash, a datagram delivered to a
// receiver that did not join its group, a loss the kernel did not count, or descriptors that grew.
//
//   node lab/enter-lab.js node test/soak/soak.js [--seconds N] [--rate N]
//   (or MCE_SOAK_SECONDS / MCE_SOAK_RATE; rate: datagrams per second per sender, default 500)
const { Lab } = require('../../lab/lab.js');

function option(name, env, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at >= 0) return Number(process.argv[at + 1]);
  return process.env[env] !== undefined ? Number(process.env[env]) : fallback;
}
const SECONDS = option('seconds', 'MCE_SOAK_SECONDS', 600);
const RATE = option('rate', 'MCE_SOAK_RATE', 500);
const PORT = 4900;
const GROUPS = Array.from({ length: 16 }, (_, i) => `239.90.0.${i + 1}`);
const SENDERS = 4;
const RECEIVERS = 4;
// Receiver i joins 8 of the 16 groups (each group has two receivers, each receiver shares groups
// with two others): isolation is checked all along, not only delivery.
const groupsOf = (i) => GROUPS.filter((_, g) => ((g - i * 4 + 16) % 16) < 8);

// What every soak process reports about itself.
const SELF = `
  const fs = require('fs');
  const self = () => ({ rss: process.memoryUsage().rss, fds: fs.readdirSync('/proc/self/fd').length });
  const lines = require('readline').createInterface({ input: process.stdin });
`;

const receiverCode = (groups) => `
  ${SELF}
  const rx = new mce.McastRxSocket({ groups: ${JSON.stringify(groups)}, port: ${PORT}, iface: 'eth0', receiveBufferSize: 1 << 20 });
  const mine = new Set(${JSON.stringify(groups)});
  const perGroup = {};
  let foreign = 0;
  rx.on('batch', (batch) => {
    for (const m of batch) {
      if (!mine.has(m.group) || m.port !== ${PORT}) foreign++;
      perGroup[m.group] = (perGroup[m.group] || 0) + 1;
    }
  });
  rx.on('error', (e) => console.log('error ' + e.code + ' ' + e.message));
  lines.on('line', (l) => {
    if (l === 'report') console.log('report ' + JSON.stringify({ perGroup, foreign, stats: rx.stats(), ...self() }));
    if (l === 'close') { rx.close(); lines.close(); }
  });
  console.log('ready');
`;

const senderCode = (index) => `
  ${SELF}
  const groups = ${JSON.stringify(GROUPS)};
  const tx = new mce.McastTxSocket({ iface: 'eth0' });
  const perGroup = Object.fromEntries(groups.map((g) => [g, 0]));
  let seq = 0, running = false, errors = 0;
  const perTick = Math.max(1, Math.round(${RATE} / 100));
  async function tick() {
    if (!running) return;
    const batch = [];
    for (let k = 0; k < perTick; k++, seq++) {
      const group = groups[seq % groups.length];
      batch.push({ data: 's${index}:' + group + ':' + seq + ':' + 'x'.repeat(seq % 200), group, port: ${PORT} });
    }
    try {
      await tx.sendBatch(batch);
      for (const m of batch) perGroup[m.group]++;
    } catch (e) {
      errors++;
      console.log('send-error ' + e.code);
    }
    setTimeout(tick, 10);
  }
  lines.on('line', (l) => {
    if (l === 'start') { running = true; tick(); }
    if (l === 'report') console.log('report ' + JSON.stringify({ perGroup, errors, ...self() }));
    if (l === 'stop') { running = false; setTimeout(() => console.log('stopped'), 50); }
    if (l === 'close') { tx.close(); lines.close(); }
  });
  console.log('ready');
`;

/** Sends a command to a lab process and resolves with its next line starting with `prefix`. */
async function ask(proc, command, prefix, timeoutMs = 30000) {
  const from = proc.lines.length;
  proc.child.stdin.write(`${command}\n`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = proc.lines.slice(from).find((l) => l.startsWith(prefix));
    if (line !== undefined) return line.slice(prefix.length).trim();
    if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`a soak process died (${proc.child.exitCode ?? proc.child.signalCode}):\n${proc.stdout}\n${proc.output.stderr}`);
    if (Date.now() > deadline) throw new Error(`no answer to ${command} within ${timeoutMs} ms:\n${proc.stdout}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function udpCounters(host) {
  const lines = (await host.sh('cat /proc/net/snmp')).split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0].split(/\s+/).slice(1);
  const values = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((n, i) => [n, values[i]]));
}

const mib = (bytes) => `${(bytes / 1048576).toFixed(1)} MiB`;

async function main() {
  console.log(`soak: ${SENDERS} senders, ${RECEIVERS} receivers, ${GROUPS.length} groups, ${RATE} datagrams/s per sender, ${SECONDS} s`);
  const lab = await Lab.create();
  const failures = [];
  try {
    const lan = await lab.lan('soak');
    const rhost = await lab.host('soakr');
    await lab.connect(rhost, lan, { ipv4: '10.90.0.100/24' });
    const shosts = [];
    for (let i = 0; i < SENDERS; i++) {
      const h = await lab.host(`soaks${i}`);
      await lab.connect(h, lan, { ipv4: `10.90.0.${i + 1}/24` });
      shosts.push(h);
    }
    const receivers = [];
    for (let i = 0; i < RECEIVERS; i++) receivers.push(rhost.spawnEval(receiverCode(groupsOf(i))));
    const senders = shosts.map((h, i) => h.spawnEval(senderCode(i)));
    for (const p of [...receivers, ...senders]) await p.waitFor('ready', 20000);
    await new Promise((r) => setTimeout(r, 1000));
    const startR = [];
    for (const p of receivers) startR.push(JSON.parse(await ask(p, 'report', 'report ')));
    const startS = [];
    for (const p of senders) startS.push(JSON.parse(await ask(p, 'report', 'report ')));
    const udpBefore = await udpCounters(rhost);

    const began = Date.now();
    for (const p of senders) p.child.stdin.write('start\n');
    let next = began + 60000;
    while (Date.now() - began < SECONDS * 1000) {
      await new Promise((r) => setTimeout(r, 250));
      if (Date.now() >= next) {
        next += 60000;
        const r0 = JSON.parse(await ask(receivers[0], 'report', 'report '));
        console.log(`  ${Math.round((Date.now() - began) / 1000)} s: receiver 0 has ${Object.values(r0.perGroup).reduce((a, b) => a + b, 0)} datagrams, RSS ${mib(r0.rss)}, ${r0.fds} fds`);
      }
    }
    for (const p of senders) await ask(p, 'stop', 'stopped');
    const endS = [];
    for (const p of senders) endS.push(JSON.parse(await ask(p, 'report', 'report ')));
    // Whatever is still in flight arrives.
    await new Promise((r) => setTimeout(r, 1500));
    const endR = [];
    for (const p of receivers) endR.push(JSON.parse(await ask(p, 'report', 'report ')));
    const udpAfter = await udpCounters(rhost);
    const elapsed = (Date.now() - began) / 1000;

    const sentTo = Object.fromEntries(GROUPS.map((g) => [g, endS.reduce((sum, s) => sum + s.perGroup[g], 0)]));
    const totalSent = Object.values(sentTo).reduce((a, b) => a + b, 0);
    console.log(`\nsent: ${totalSent} datagrams in ${elapsed.toFixed(0)} s (${Math.round(totalSent / elapsed)}/s), send errors: ${endS.reduce((a, s) => a + s.errors, 0)}`);
    let kernelDropsTotal = 0;
    const rows = endR.map((r, i) => {
      const expected = groupsOf(i).reduce((sum, g) => sum + sentTo[g], 0);
      const received = Object.values(r.perGroup).reduce((a, b) => a + b, 0);
      const dropped = expected - received;
      kernelDropsTotal += r.stats.kernelDrops;
      const unaccounted = dropped - r.stats.kernelDrops;
      if (unaccounted !== 0) failures.push(`receiver ${i}: ${unaccounted} datagrams lost that the kernel did not count`);
      if (r.foreign !== 0) failures.push(`receiver ${i}: ${r.foreign} datagrams of groups it did not join`);
      if (r.fds > startR[i].fds) failures.push(`receiver ${i}: descriptors grew from ${startR[i].fds} to ${r.fds}`);
      return { receiver: i, expected, received, dropped, kernelDrops: r.stats.kernelDrops, unaccounted, foreign: r.foreign, rss: `${mib(startR[i].rss)} -> ${mib(r.rss)}`, fds: `${startR[i].fds} -> ${r.fds}` };
    });
    console.table(rows);
    console.table(endS.map((s, i) => ({ sender: i, sent: Object.values(s.perGroup).reduce((a, b) => a + b, 0), errors: s.errors, rss: `${mib(startS[i].rss)} -> ${mib(s.rss)}`, fds: `${startS[i].fds} -> ${s.fds}` })));
    endS.forEach((s, i) => s.fds > startS[i].fds && failures.push(`sender ${i}: descriptors grew from ${startS[i].fds} to ${s.fds}`));
    const rcvbufErrors = udpAfter.RcvbufErrors - udpBefore.RcvbufErrors;
    console.log(`kernel drops (stats().kernelDrops, all receivers): ${kernelDropsTotal}; RcvbufErrors on the receiving host: ${rcvbufErrors}`);
    if (rcvbufErrors !== kernelDropsTotal) failures.push(`RcvbufErrors (${rcvbufErrors}) differs from the receivers' kernelDrops (${kernelDropsTotal})`);
    for (const p of [...receivers, ...senders]) p.child.stdin.end('close\n');
    const exits = await Promise.all([...receivers, ...senders].map((p) => Promise.race([p.exited, new Promise((r) => setTimeout(() => r({ code: 'hung' }), 10000))])));
    exits.forEach((e, i) => (e.code !== 0 || e.signal) && failures.push(`process ${i} ended with ${e.code ?? e.signal}: ${e.stderr ?? ''}`));
    console.log(
      `SOAK ${JSON.stringify({ seconds: Math.round(elapsed), sent: totalSent, received: rows.reduce((a, r) => a + r.received, 0), expected: rows.reduce((a, r) => a + r.expected, 0), kernelDrops: kernelDropsTotal, rcvbufErrors, unaccounted: rows.reduce((a, r) => a + r.unaccounted, 0) })}`,
    );
  } catch (err) {
    failures.push(err.stack || String(err));
  } finally {
    await lab.close();
  }
  if (failures.length > 0) {
    console.error(`\nsoak FAILED:\n- ${failures.join('\n- ')}`);
    process.exit(1);
  }
  console.log('\nsoak passed: no crash, no foreign datagram, every loss counted by the kernel, descriptors flat');
}

main();
