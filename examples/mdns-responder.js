#!/usr/bin/env node
'use strict';
// An mDNS responder (RFC 6762) for one host name: answers A and AAAA queries for NAME.local on every
// interface, each with the addresses of the interface the query came in on and no other (§6.2,
// §14), from port 5353 with IP TTL 255 (§11), out of that interface: what a Node.js responder on a
// machine with two networks cannot do with dgram, which tells neither where a query arrived nor
// lets a reply leave by a chosen interface. Legacy unicast queries (from a port other than 5353)
// get a unicast reply to their source with the query's id and question and short TTLs (§6.7);
// queries asking for a unicast response (the QU bit) get one (§5.4).
//
//   node examples/mdns-responder.js NAME [--iface eth0]...
//
// It runs beside other responders on the host (avahi-daemon, Bonjour): every receiver of 5353
// keeps getting its queries. It does not probe for or announce its name (§8), nor suppress
// answers the querier already knows (§7.1): a sketch of the answering half, kept short.
const { parseArgs } = require('node:util');
const { McastRxSocket, scanInterfaces } = require('multicast-expert');

const USAGE = `Usage: node examples/mdns-responder.js NAME [options]

Answers mDNS queries for NAME.local (A and AAAA records) on every interface, each
with that interface's addresses only. Runs until Ctrl-C.

Options:
  --iface X   an interface to answer on; repeatable (default: every multicast interface)
  -h, --help  show this help
`;

const MDNS_PORT = 5353;
const GROUPS = { ipv4: '224.0.0.251', ipv6: 'ff02::fb' };
const TYPE = { A: 1, AAAA: 28, ANY: 255 };
const CLASS_IN = 1;
const CACHE_FLUSH = 0x8000; // rrclass top bit in a response: this record replaces what caches hold (§10.2)
const UNICAST_RESPONSE = 0x8000; // qclass top bit in a question: the QU bit (§5.4)
const HOST_TTL = 120; // seconds, for host address records (§10)
const LEGACY_TTL = 10; // at most, in answers to legacy unicast queries (§6.7)

/** address:port, with IPv6 addresses in brackets. */
const endpoint = ({ address, port, family }) => (family === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`);

function options(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { iface: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) return { help: true };
  if (positionals.length !== 1) throw new Error('give one NAME (it answers for NAME.local)');
  const name = positionals[0].replace(/\.local\.?$/i, '');
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(name)) throw new Error(`${positionals[0]}: a host name is letters, digits and inner hyphens, at most 63`);
  return { help: false, name: `${name}.local`, ifaces: values.iface ?? [] };
}

/** Reads a (possibly compressed, RFC 1035 4.1.4) name at `offset`; returns it and the offset after it. */
function readName(buf, offset) {
  const labels = [];
  let end = null;
  for (let jumps = 0; jumps < 64; jumps++) {
    const len = buf[offset];
    if (len === undefined) throw new Error('name runs past the end');
    if ((len & 0xc0) === 0xc0) {
      end ??= offset + 2;
      offset = ((len & 0x3f) << 8) | buf[offset + 1];
      continue;
    }
    if (len === 0) return { name: labels.join('.'), next: end ?? offset + 1 };
    labels.push(buf.toString('latin1', offset + 1, offset + 1 + len));
    offset += 1 + len;
  }
  throw new Error('name compression loops');
}

/** A DNS message's id, flags and questions; null if it is not a query. */
function parseQuery(buf) {
  if (buf.length < 12) return null;
  const flags = buf.readUInt16BE(2);
  if ((flags & 0x8000) !== 0 || ((flags >> 11) & 0xf) !== 0) return null; // a response, or not a standard query
  const questions = [];
  let offset = 12;
  for (let i = buf.readUInt16BE(4); i > 0; i--) {
    const { name, next } = readName(buf, offset);
    if (next + 4 > buf.length) throw new Error('question runs past the end');
    questions.push({ name, type: buf.readUInt16BE(next), qclass: buf.readUInt16BE(next + 2), raw: buf.subarray(offset, next + 4) });
    offset = next + 4;
  }
  return { id: buf.readUInt16BE(0), questions };
}

function encodeName(name) {
  const parts = name.split('.').map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function record(name, type, rrclass, ttl, rdata) {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(rrclass, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([encodeName(name), fixed, rdata]);
}

function ipv4Bytes(address) {
  return Buffer.from(address.split('.').map(Number));
}

function ipv6Bytes(address) {
  const [head, tail = ''] = address.split('%')[0].split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const buf = Buffer.alloc(16);
  groups.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16), i * 2));
  return buf;
}

/** The addresses valid on the interface with this index, right now (interfaces change). */
function addressesOf(ifaceIndex) {
  const iface = scanInterfaces().find((i) => i.index === ifaceIndex);
  return { ipv4: iface ? iface.ipv4.map((a) => a.address) : [], ipv6: iface ? iface.ipv6.map((a) => a.address) : [] };
}

/**
 * The response to `query` from this interface's addresses, or null when it asks nothing of ours.
 * Asked for one family's records, the other family's go in the additional section (§6.2).
 */
function respond(query, name, addrs, legacy) {
  const wanted = query.questions.filter((q) => q.name.toLowerCase() === name.toLowerCase() && (q.qclass & 0x7fff) === CLASS_IN);
  const types = new Set(wanted.flatMap((q) => (q.type === TYPE.ANY ? [TYPE.A, TYPE.AAAA] : [q.type])).filter((t) => t === TYPE.A || t === TYPE.AAAA));
  if (types.size === 0) return null;
  const rrclass = legacy ? CLASS_IN : CLASS_IN | CACHE_FLUSH; // no cache-flush bit to a legacy resolver (§10.2)
  const ttl = legacy ? LEGACY_TTL : HOST_TTL;
  const recordsOf = (type) =>
    type === TYPE.A ? addrs.ipv4.map((a) => record(name, TYPE.A, rrclass, ttl, ipv4Bytes(a))) : addrs.ipv6.map((a) => record(name, TYPE.AAAA, rrclass, ttl, ipv6Bytes(a)));
  const answers = [...types].flatMap(recordsOf);
  if (answers.length === 0) return null; // nothing of this family here (an NSEC would say so; left out)
  const additional = [TYPE.A, TYPE.AAAA].filter((t) => !types.has(t)).flatMap(recordsOf);
  // A legacy resolver needs its id and its question back (§6.7); multicast responses carry neither (§18.1).
  const questions = legacy ? wanted.map((q) => q.raw) : [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(legacy ? query.id : 0, 0);
  header.writeUInt16BE(0x8400, 2); // a response (QR), authoritative (AA)
  header.writeUInt16BE(questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(additional.length, 10);
  return Buffer.concat([header, ...questions, ...answers, ...additional]);
}

function answerOn(rx, args) {
  rx.on('message', (msg) => {
    let query;
    try {
      query = parseQuery(msg.data);
    } catch {
      return; // malformed: ignore, as §18 asks of every field we cannot read
    }
    if (query === null) return;
    const legacy = msg.source.port !== MDNS_PORT;
    const response = respond(query, args.name, addressesOf(msg.ifaceIndex), legacy);
    if (response === null) return;
    const unicast = legacy || query.questions.some((q) => (q.qclass & UNICAST_RESPONSE) !== 0);
    const to = unicast ? 'source' : 'group';
    // Out of the interface the query came in on, from port 5353, IP TTL 255 (the receiver's ttl).
    rx.reply(msg, response, { to }).then(
      () => console.log(`answered ${endpoint(msg.source)} on ${msg.ifaceName} by ${unicast ? 'unicast' : 'multicast'}${legacy ? ' (legacy)' : ''}`),
      (err) => console.error(`could not answer on ${msg.ifaceName}: ${err.message}`),
    );
  });
}

function main(args) {
  const receivers = [];
  for (const family of ['ipv4', 'ipv6']) {
    try {
      receivers.push(new McastRxSocket({ groups: [GROUPS[family]], port: MDNS_PORT, family, ttl: 255, ...(args.ifaces.length > 0 ? { ifaces: args.ifaces } : {}) }));
    } catch (err) {
      if (err.code !== 'ERR_NO_IFACES' && err.code !== 'ERR_IFACE_NO_ADDRESS') throw err;
      console.log(`no ${family} interface: not answering over ${family}`);
    }
  }
  if (receivers.length === 0) throw new Error('no interface to answer on');
  for (const rx of receivers) answerOn(rx, args);
  const stop = () => receivers.forEach((rx) => rx.close());
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const where = receivers.map((rx) => `${GROUPS[rx.family]} on ${rx.ifaces.map((i) => i.name).join(', ')}`).join('; ');
  console.log(`answering for ${args.name}: ${where}`);
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
  try {
    main(args);
  } catch (err) {
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
  }
}
