#!/usr/bin/env node
'use strict';
// An SSDP responder (UPnP Device Architecture 1.1, section 1): a upnp:rootdevice that answers
// M-SEARCH on 239.255.255.250:1900 and [ff02::c]:1900 with a LOCATION on the address of the
// interface the search arrived on, so a control point on any of the host's networks gets a URL it
// can reach (with dgram, a responder on two networks cannot tell which address to give). The
// device description is served by a small HTTP server at that URL.
//
//   node examples/ssdp-responder.js [--iface eth0]... [--http-port 0] [--name "Friendly name"]
//
// It answers searches for ssdp:all, upnp:rootdevice, its uuid and its device type, by unicast to
// the searcher (after the random delay of up to MX seconds that UPnP asks for), and does not
// announce itself with NOTIFY: a sketch of the answering half, kept short.
const { randomUUID } = require('node:crypto');
const http = require('node:http');
const { parseArgs } = require('node:util');
const { McastRxSocket, scanInterfaces } = require('multicast-expert');

const USAGE = `Usage: node examples/ssdp-responder.js [options]

A UPnP root device that answers SSDP searches (M-SEARCH for ssdp:all and
upnp:rootdevice) on every interface, with a LOCATION on the address of the interface
the search came in on. Runs until Ctrl-C.

Options:
  --iface X        an interface to answer on; repeatable (default: every multicast interface)
  --http-port P    the description's HTTP port (default: any free port)
  --name TEXT      the device's friendly name (default: multicast-expert example)
  -h, --help       show this help
`;

const SSDP_PORT = 1900;
const GROUPS = { ipv4: '239.255.255.250', ipv6: 'ff02::c' };
const DEVICE_TYPE = 'urn:schemas-upnp-org:device:Basic:1';
const MAX_MX = 5; // seconds: UPnP 1.1 caps a search's MX at 5

/** address:port, with IPv6 addresses in brackets. */
const endpoint = ({ address, port, family }) => (family === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`);

function options(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      iface: { type: 'string', multiple: true },
      'http-port': { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const args = {
    help: values.help === true,
    ifaces: values.iface ?? [],
    httpPort: Number(values['http-port'] ?? 0),
    name: values.name ?? 'multicast-expert example',
  };
  if (!(Number.isInteger(args.httpPort) && args.httpPort >= 0 && args.httpPort <= 65535)) throw new Error('--http-port takes 0 to 65535');
  return args;
}

/** An M-SEARCH's headers (names in lower case), or null if the datagram is not one. */
function parseSearch(data) {
  const lines = data.toString('latin1').split('\r\n');
  if (!/^M-SEARCH \* HTTP\/1\.1$/i.test(lines[0] ?? '')) return null;
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return headers.man === '"ssdp:discover"' && headers.st ? headers : null;
}

/** The search targets a search for `st` finds on this device, with the USN of each (UDA 1.1, 1.3.2). */
function matches(st, udn) {
  const all = [
    ['upnp:rootdevice', `${udn}::upnp:rootdevice`],
    [udn, udn],
    [DEVICE_TYPE, `${udn}::${DEVICE_TYPE}`],
  ];
  return st === 'ssdp:all' ? all : all.filter(([target]) => target === st);
}

/** Whether `address` is in prefix/length `net`, for an interface's IPv4 or IPv6 address. */
function sameSubnet(address, net, family) {
  const bytes = (a) => (family === 'ipv4' ? Buffer.from(a.split('.').map(Number)) : expand6(a));
  const a = bytes(address);
  const b = bytes(net.address);
  for (let bit = 0; bit < net.prefixLength; bit++) {
    const mask = 0x80 >> (bit % 8);
    if ((a[bit >> 3] & mask) !== (b[bit >> 3] & mask)) return false;
  }
  return true;
}

function expand6(address) {
  const [head, tail = ''] = address.split('%')[0].split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const buf = Buffer.alloc(16);
  groups.forEach((g, i) => buf.writeUInt16BE(parseInt(g, 16), i * 2));
  return buf;
}

/**
 * The address for LOCATION: one of the arrival interface's, in the searcher's subnet if there is
 * one. For IPv6, not a link-local one while the interface has another (a URL cannot carry the
 * searcher's zone), as UDA 1.1 Annex A asks.
 */
function locationAddress(msg) {
  const iface = scanInterfaces().find((i) => i.index === msg.ifaceIndex);
  if (iface === undefined) return null;
  const family = msg.source.family;
  const linkLocal = (a) => a.address.startsWith('fe80:');
  const candidates = family === 'ipv4' ? iface.ipv4 : iface.ipv6.filter((a) => !linkLocal(a));
  const chosen = candidates.find((a) => sameSubnet(msg.source.address, a, family)) ?? candidates[0] ?? iface.ipv6.find(linkLocal);
  if (chosen === undefined) return null;
  return family === 'ipv6' ? `[${chosen.address}]` : chosen.address;
}

function description(args, udn) {
  return `<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>1</minor></specVersion>
  <device>
    <deviceType>${DEVICE_TYPE}</deviceType>
    <friendlyName>${args.name.replace(/[<&>]/g, (c) => `&#${c.charCodeAt(0)};`)}</friendlyName>
    <manufacturer>multicast-expert</manufacturer>
    <modelName>ssdp-responder example</modelName>
    <UDN>${udn}</UDN>
  </device>
</root>
`;
}

async function main(args) {
  const udn = `uuid:${randomUUID()}`;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/description.xml') {
      console.log(`served the description to ${req.socket.remoteAddress.replace(/^::ffff:/, '')}`);
      res.writeHead(200, { 'Content-Type': 'text/xml; charset="utf-8"' });
      res.end(description(args, udn));
    } else {
      res.writeHead(404).end();
    }
  });
  // Every address of the host, so each interface's LOCATION is served; it only answers, never sends first.
  await new Promise((resolve, reject) => server.once('error', reject).listen(args.httpPort, resolve));
  const httpPort = server.address().port;

  const receivers = [];
  for (const family of ['ipv4', 'ipv6']) {
    try {
      receivers.push(new McastRxSocket({ groups: [GROUPS[family]], port: SSDP_PORT, family, ...(args.ifaces.length > 0 ? { ifaces: args.ifaces } : {}) }));
    } catch (err) {
      if (err.code !== 'ERR_NO_IFACES' && err.code !== 'ERR_IFACE_NO_ADDRESS') throw err;
      console.log(`no ${family} interface: not answering over ${family}`);
    }
  }
  if (receivers.length === 0) throw new Error('no interface to answer on');
  const timers = new Set();
  for (const rx of receivers) {
    rx.on('message', (msg) => {
      const search = parseSearch(msg.data);
      if (search === null) return;
      const found = matches(search.st, udn);
      const host = locationAddress(msg);
      if (found.length === 0 || host === null) return;
      const location = `http://${host}:${httpPort}/description.xml`;
      const mx = Math.min(Math.max(Number(search.mx) || 1, 1), MAX_MX);
      // Spread the answers over MX seconds, as UDA 1.1 asks, so that many devices do not answer at once.
      const timer = setTimeout(() => {
        timers.delete(timer);
        for (const [st, usn] of found) {
          const response = [
            'HTTP/1.1 200 OK',
            'CACHE-CONTROL: max-age=1800',
            'EXT:',
            `LOCATION: ${location}`,
            `SERVER: Node.js/${process.versions.node} UPnP/1.1 multicast-expert-example/1.0`,
            `ST: ${st}`,
            `USN: ${usn}`,
            'BOOTID.UPNP.ORG: 1',
            'CONFIGID.UPNP.ORG: 1',
            '',
            '',
          ].join('\r\n');
          // By unicast to the searcher, from port 1900, out of the interface the search came in on.
          rx.reply(msg, response, { to: 'source' }).catch((err) => console.error(`could not answer on ${msg.ifaceName}: ${err.message}`));
        }
        console.log(`answered ${search.st} from ${endpoint(msg.source)} on ${msg.ifaceName}: ${location}`);
      }, Math.random() * mx * 1000);
      timers.add(timer);
    });
  }
  const stop = () => {
    for (const timer of timers) clearTimeout(timer);
    for (const rx of receivers) rx.close();
    server.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const where = receivers.map((rx) => `${GROUPS[rx.family]} on ${rx.ifaces.map((i) => i.name).join(', ')}`).join('; ');
  console.log(`${udn} answering SSDP searches: ${where}; description on HTTP port ${httpPort}`);
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
