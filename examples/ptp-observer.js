#!/usr/bin/env node
'use strict';
// PTP (IEEE 1588) over UDP/IPv4, watched: every message on 224.0.1.129 (and 224.0.0.107, the peer
// delay group), event port 319 and general port 320, with its type, sequence, domain, sender's
// clock, the group and the interface it arrived on, and the kernel's receive timestamp. For each
// two-step Sync it also prints how long after the master's precise origin time (from the
// Follow_Up) the Sync reached this host: between hosts whose clocks agree, the path delay.
//
//   node examples/ptp-observer.js [--iface eth0]... [--count N] [--seconds N]
//
// It only listens: it never sends, so it cannot disturb the clocks it watches.
const { parseArgs } = require('node:util');
const { McastRxSocket } = require('multicast-expert');

const USAGE = `Usage: node examples/ptp-observer.js [options]

Prints every PTP message (IEEE 1588, UDP/IPv4) with its type, group, arrival interface
and kernel receive timestamp.

Options:
  --iface X     an interface to listen on; repeatable (default: every multicast interface)
  --count N     exit after N messages
  --seconds N   exit after N seconds (default: run until Ctrl-C)
  -h, --help    show this help
`;

const GROUPS = ['224.0.1.129', '224.0.0.107']; // every PTP message; peer delay messages
const EVENT_PORT = 319; // Sync, Delay_Req, Pdelay_Req, Pdelay_Resp: timestamped
const GENERAL_PORT = 320; // Follow_Up, Delay_Resp, Announce, ...
const TYPES = {
  0x0: 'Sync',
  0x1: 'Delay_Req',
  0x2: 'Pdelay_Req',
  0x3: 'Pdelay_Resp',
  0x8: 'Follow_Up',
  0x9: 'Delay_Resp',
  0xa: 'Pdelay_Resp_Follow_Up',
  0xb: 'Announce',
  0xc: 'Signaling',
  0xd: 'Management',
};
const HEADER = 34;

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      iface: { type: 'string', multiple: true },
      count: { type: 'string' },
      seconds: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const args = {
    help: values.help === true,
    ifaces: values.iface ?? [],
    count: Number(values.count ?? Infinity),
    seconds: values.seconds === undefined ? undefined : Number(values.seconds),
  };
  if (!(args.count > 0)) throw new Error('--count takes a positive number');
  if (args.seconds !== undefined && !(args.seconds > 0)) throw new Error('--seconds takes a positive number');
  return args;
}

/** A clock identity as linuxptp writes it: 001122.fffe.334455. */
const clockId = (b) => `${b.subarray(0, 3).toString('hex')}.${b.subarray(3, 5).toString('hex')}.${b.subarray(5, 8).toString('hex')}`;
/** A port identity: clock identity and port number. */
const portId = (b) => `${clockId(b)}-${b.readUInt16BE(8)}`;
/** A PTP timestamp (48-bit seconds, 32-bit nanoseconds) in nanoseconds. */
const ptpTime = (b) => (BigInt(b.readUIntBE(0, 6)) * 1_000_000_000n) + BigInt(b.readUInt32BE(6));
/** Nanoseconds since the epoch as an ISO date with nanoseconds. */
const iso = (ns) => new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, `.${String(ns % 1_000_000_000n).padStart(9, '0')}Z`);

/** The fields of a PTPv2 message worth a line; null if it is not one. */
function parse(data) {
  if (data.length < HEADER || (data[1] & 0x0f) !== 2) return null;
  const type = data[0] & 0x0f;
  const m = {
    type: TYPES[type] ?? `type ${type}`,
    domain: data[4],
    twoStep: (data[6] & 0x02) !== 0,
    from: portId(data.subarray(20, 30)),
    seq: data.readUInt16BE(30),
    detail: '',
  };
  const body = data.subarray(HEADER);
  if (type === 0x8 && body.length >= 10) {
    m.preciseOrigin = ptpTime(body);
    m.detail = ` precise origin ${iso(m.preciseOrigin)}`;
  } else if (type === 0xb && body.length >= 30) {
    m.detail = ` grandmaster ${clockId(body.subarray(19, 27))} priority1 ${body[13]} class ${body[14]}`;
  } else if (type === 0x9 && body.length >= 20) {
    m.detail = ` for ${portId(body.subarray(10, 20))}`;
  }
  return m;
}

async function main(args) {
  const receivers = [EVENT_PORT, GENERAL_PORT].map(
    (port) => new McastRxSocket({ groups: GROUPS, port, timestamps: true, ...(args.ifaces.length > 0 ? { ifaces: args.ifaces } : {}) }),
  );
  const stop = () => receivers.forEach((rx) => rx.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (args.seconds !== undefined) setTimeout(stop, args.seconds * 1000).unref();
  console.log(`watching PTP on ${GROUPS.join(', ')} ports ${EVENT_PORT} and ${GENERAL_PORT} on ${receivers[0].ifaces.map((i) => i.name).join(', ')}`);

  // A two-step Sync and its Follow_Up come to two sockets, in either order: whichever comes second
  // finds the other here ("<clock>/<seq>" -> the Sync's kernel receive time, or the precise origin).
  const syncs = new Map();
  const followUps = new Map();
  const remember = (map, key, value) => {
    map.set(key, value);
    if (map.size > 64) map.delete(map.keys().next().value); // the recent ones only
  };
  const delay = (received, origin) => `; the Sync arrived ${received - origin} ns after its precise origin`;
  let seen = 0;
  const onMessage = (msg) => {
    const m = parse(msg.data);
    if (m === null || seen >= args.count) return;
    seen += 1;
    let extra = '';
    const key = `${m.from}/${m.seq}`;
    if (m.type === 'Sync' && m.twoStep) {
      if (followUps.has(key)) extra = delay(msg.timestamp, followUps.get(key));
      else remember(syncs, key, msg.timestamp);
      followUps.delete(key);
    } else if (m.type === 'Follow_Up') {
      if (syncs.has(key)) extra = delay(syncs.get(key), m.preciseOrigin);
      else remember(followUps, key, m.preciseOrigin);
      syncs.delete(key);
    }
    console.log(`${iso(msg.timestamp)} ${msg.group}:${msg.port} on ${msg.ifaceName} from ${msg.source.address}: ${m.type} seq ${m.seq} domain ${m.domain} clock ${m.from}${m.detail}${extra}`);
    if (seen >= args.count) stop();
  };
  for (const rx of receivers) rx.on('message', onMessage);
  await Promise.all(receivers.map((rx) => new Promise((resolve) => rx.once('close', resolve))));
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
