#!/usr/bin/env node
'use strict';
// IPTV: records an MPEG transport stream (MPEG-TS over UDP, or over RTP) from a multicast group to a
// file, and checks each TS packet's 4-bit continuity counter per PID, which is what a broadcast
// engineer looks at first: a gap in the counter means TS packets were lost on the way.
//
//   node examples/iptv-record.js --group 239.1.1.1 --port 5000 --out channel.ts
//                                [--iface eth0] [--source 10.0.0.7] [--seconds N] [--idle MS]
//
// Every continuity error is printed when it is seen; at the end (Ctrl-C, --seconds, or --idle
// milliseconds without a datagram once the stream has started) a table per PID.
const fs = require('node:fs');
const { parseArgs } = require('node:util');
const { McastRxSocket } = require('multicast-expert');

const USAGE = `Usage: node examples/iptv-record.js --out FILE [options]

Records an MPEG-TS stream from a multicast group to FILE and reports continuity-counter
errors (lost TS packets) per PID.

Options:
  --group G     the group (default 239.1.1.1)
  --port P      the port (default 5000)
  --out FILE    where to write the stream (required)
  --iface X     the interface (default: every multicast interface)
  --source S    receive only from this sender (source-specific multicast); repeatable
  --seconds N   stop after N seconds (default: run until Ctrl-C)
  --idle MS     stop after MS milliseconds without a datagram, once the stream has started
  -h, --help    show this help
`;

const TS_PACKET = 188;
const SYNC_BYTE = 0x47;
const NULL_PID = 0x1fff; // stuffing: its continuity counter means nothing
const RTP_HEADER = 12;

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      group: { type: 'string' },
      port: { type: 'string' },
      out: { type: 'string' },
      iface: { type: 'string' },
      source: { type: 'string', multiple: true },
      seconds: { type: 'string' },
      idle: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const args = {
    help: values.help === true,
    group: values.group ?? '239.1.1.1',
    port: Number(values.port ?? 5000),
    out: values.out,
    iface: values.iface,
    sources: values.source ?? [],
    seconds: values.seconds === undefined ? undefined : Number(values.seconds),
    idleMs: values.idle === undefined ? undefined : Number(values.idle),
  };
  if (!args.help && args.out === undefined) throw new Error('give --out FILE: where to write the stream');
  for (const [name, v] of [['--seconds', args.seconds], ['--idle', args.idleMs]]) {
    if (v !== undefined && !(v > 0)) throw new Error(`${name} takes a positive number`);
  }
  return args;
}

/** The TS packets of a datagram: raw TS (7 x 188 bytes, usually) or TS in RTP (a 12-byte header first). */
function tsPayload(data) {
  if (data.length % TS_PACKET === 0 && data[0] === SYNC_BYTE) return data;
  const rtpVersion = data[0] >> 6;
  if (rtpVersion === 2 && (data.length - RTP_HEADER) % TS_PACKET === 0 && data[RTP_HEADER] === SYNC_BYTE) return data.subarray(RTP_HEADER);
  return null;
}

/**
 * Continuity per PID (ISO/IEC 13818-1, 2.4.3.3): the counter goes up by one, modulo 16, with each
 * packet that carries a payload and stays the same in one without; one repeated packet is allowed;
 * a packet whose adaptation field sets discontinuity_indicator starts counting afresh.
 */
class ContinuityChecker {
  constructor(onError) {
    this.pids = new Map(); // pid -> { packets, errors, lastCc, duplicateSeen }
    this.onError = onError;
    this.syncErrors = 0;
  }

  packet(ts) {
    if (ts[0] !== SYNC_BYTE) {
      this.syncErrors += 1;
      return;
    }
    const pid = ((ts[1] & 0x1f) << 8) | ts[2];
    const hasAdaptation = (ts[3] & 0x20) !== 0;
    const hasPayload = (ts[3] & 0x10) !== 0;
    const cc = ts[3] & 0x0f;
    const discontinuity = hasAdaptation && ts[4] > 0 && (ts[5] & 0x80) !== 0;
    let state = this.pids.get(pid);
    if (state === undefined) {
      state = { packets: 0, errors: 0, lastCc: null, duplicateSeen: false };
      this.pids.set(pid, state);
    }
    state.packets += 1;
    if (pid === NULL_PID) return;
    const last = state.lastCc;
    state.lastCc = cc;
    if (last === null || discontinuity) return;
    const expected = hasPayload ? (last + 1) & 0x0f : last;
    if (cc === expected) {
      state.duplicateSeen = false;
      return;
    }
    if (hasPayload && cc === last && !state.duplicateSeen) {
      state.duplicateSeen = true; // a packet sent twice: allowed once
      return;
    }
    state.errors += 1;
    this.onError(pid, expected, cc, (cc - expected) & 0x0f);
  }
}

const hex = (pid) => `0x${pid.toString(16).padStart(4, '0')}`;

async function main(args) {
  const rx = new McastRxSocket({
    groups: [args.group],
    port: args.port,
    ...(args.iface !== undefined ? { iface: args.iface } : {}),
    ...(args.sources.length > 0 ? { sources: args.sources } : {}),
    receiveBufferSize: 4 * 1024 * 1024, // a video stream comes in bursts
  });
  const out = fs.createWriteStream(args.out);
  const checker = new ContinuityChecker((pid, expected, got, lost) => {
    console.log(`continuity error on PID ${hex(pid)}: expected ${expected}, got ${got} (${lost} packet${lost === 1 ? '' : 's'} lost, or out of order)`);
  });
  let kernelDrops = 0;
  const stop = () => {
    if (rx.closed) return;
    kernelDrops = rx.stats().kernelDrops; // stats() needs an open socket
    rx.close(); // ends the loop below
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (args.seconds !== undefined) setTimeout(stop, args.seconds * 1000).unref();
  console.log(`recording ${args.group} port ${rx.port} on ${rx.ifaces.map((i) => i.name).join(', ')} to ${args.out}`);

  let datagrams = 0;
  let bytes = 0;
  let notTs = 0;
  let started;
  let lastAt;
  let idleTimer;
  for await (const msg of rx) {
    if (started === undefined) {
      started = Date.now();
      console.log(`stream from ${msg.source.address}:${msg.source.port} on ${msg.ifaceName}`);
    }
    if (args.idleMs !== undefined) {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(stop, args.idleMs);
    }
    datagrams += 1;
    lastAt = Date.now();
    const ts = tsPayload(msg.data);
    if (ts === null) {
      notTs += 1;
      continue;
    }
    bytes += ts.length;
    out.write(ts);
    for (let off = 0; off < ts.length; off += TS_PACKET) checker.packet(ts.subarray(off, off + TS_PACKET));
  }
  clearTimeout(idleTimer);
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())));

  const seconds = started === undefined ? 0 : (lastAt - started) / 1000; // first to last datagram
  let packets = 0;
  let errors = 0;
  for (const s of checker.pids.values()) {
    packets += s.packets;
    errors += s.errors;
  }
  console.log(`recorded ${datagrams} datagrams, ${packets} TS packets (${bytes} bytes) in ${seconds.toFixed(1)} s; kernel drops ${kernelDrops}, not MPEG-TS ${notTs}, sync errors ${checker.syncErrors}`);
  console.log('PID     PACKETS  CC ERRORS');
  for (const [pid, s] of [...checker.pids].sort((a, b) => a[0] - b[0])) {
    console.log(`${hex(pid)}  ${String(s.packets).padStart(7)}  ${String(pid === NULL_PID ? '-' : s.errors).padStart(9)}`);
  }
  console.log(`continuity errors: ${errors}`);
}

let args;
try {
  args = options(process.argv.slice(2));
} catch (err) {
  console.error(`${err.message}\n\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  process.stdout.write(USAGE);
} else {
  main(args).catch((err) => {
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  });
}
