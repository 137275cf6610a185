// Proof against a real peer: examples/ssdp-responder.js on a host on two LANs, found by GUPnP's
// gssdp-discover from a control point on each LAN, which must be given a LOCATION on its own LAN's
// address, and fetches the description from there. gssdp-discover speaks IPv4 only here ("Failed
// to find IP of interface" for an IPv6 one), so the search on ff02::c is a hand-written M-SEARCH
// from Debian's python3.
import * as path from 'node:path';

import { type Host, Lab, type LabProcess } from '../lab/lab';
import { describeLab, itWithTools } from './helpers';
import { DEBIAN_PYTHON, gssdpDiscover } from './peers';

const RESPONDER = path.resolve(__dirname, '..', 'examples', 'ssdp-responder.js');
const withGssdp = itWithTools({ 'gssdp-discover': 'gupnp-tools' });
const withPython = itWithTools({ [DEBIAN_PYTHON]: 'python3' });

/** An M-SEARCH for upnp:rootdevice to [ff02::c]:1900 on an interface; prints each unicast answer as JSON. */
const SEARCH_V6 = `
import json, socket, sys
iface = sys.argv[1]
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, socket.if_nametoindex(iface))
s.bind(('::', 0))
s.sendto(b'M-SEARCH * HTTP/1.1\\r\\nHOST: [FF02::C]:1900\\r\\nMAN: "ssdp:discover"\\r\\nMX: 1\\r\\nST: upnp:rootdevice\\r\\n\\r\\n', ('ff02::c', 1900, 0, socket.if_nametoindex(iface)))
s.settimeout(3)
try:
    while True:
        data, addr = s.recvfrom(4096)
        print(json.dumps({'from': addr[0], 'port': addr[1], 'text': data.decode('latin1')}))
except socket.timeout:
    pass
`;

describeLab('proof: SSDP, examples/ssdp-responder.js found by gssdp-discover on two LANs', () => {
  let lab: Lab;
  let device: Host;
  let pointA: Host;
  let pointB: Host;

  beforeAll(async () => {
    lab = await Lab.create();
    const a = await lab.lan('ssdpa');
    const b = await lab.lan('ssdpb');
    device = await lab.host('device');
    pointA = await lab.host('point-a');
    pointB = await lab.host('point-b');
    await lab.connect(device, a, { ipv4: '10.75.1.1/24', ipv6: 'fd75:1::1/64' });
    await lab.connect(device, b, { ipv4: '10.75.2.1/24', ipv6: 'fd75:2::1/64' });
    await lab.connect(pointA, a, { ipv4: '10.75.1.2/24', ipv6: 'fd75:1::2/64' });
    await lab.connect(pointB, b, { ipv4: '10.75.2.2/24', ipv6: 'fd75:2::2/64' });
  });

  afterAll(async () => {
    await lab?.close();
  });

  async function startDevice(): Promise<{ p: LabProcess; udn: string }> {
    const p = device.spawnNode([RESPONDER, '--name', 'Lab device']);
    const line = await p.waitFor(/^uuid:\S+ answering SSDP searches: 239\.255\.255\.250 on eth0, eth1; ff02::c on eth0, eth1; description on HTTP port \d+$/, 15000);
    return { p, udn: line.split(' ')[0] as string };
  }

  const linkLocal = (ipJson: string): string[] =>
    (JSON.parse(ipJson) as Array<{ addr_info: Array<{ local: string }> }>).flatMap((i) => i.addr_info.map((a) => a.local)).filter((a) => a.startsWith('fe80:'));

  /** GET `url` from `host` (Node's own http client, on that host): status and body. */
  async function fetchFrom(host: Host, url: string): Promise<{ status: number; body: string }> {
    const r = await host.node(
      ['-e', `require('node:http').get(${JSON.stringify(url)}, (res) => { let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => console.log(JSON.stringify({ status: res.statusCode, body: b }))); })`],
      { timeoutMs: 10000 },
    );
    if (r.code !== 0) throw new Error(`GET ${url} from ${host.name}: ${r.stderr}`);
    return JSON.parse(r.stdout) as { status: number; body: string };
  }

  withGssdp('gssdp-discover on each LAN finds the root device at its own LAN\'s address, and fetches the description there', async () => {
    const { p, udn } = await startDevice();
    try {
      const [foundA, foundB] = await Promise.all([gssdpDiscover(pointA, 'eth0', 'upnp:rootdevice'), gssdpDiscover(pointB, 'eth0', 'ssdp:all')]);
      const port = (/HTTP port (\d+)/.exec(p.lines[0] as string) as RegExpExecArray)[1];
      // upnp:rootdevice: the one root device, at LAN A's address only.
      expect(new Set(foundA.resources.map((r) => JSON.stringify(r)))).toEqual(new Set([JSON.stringify({ usn: `${udn}::upnp:rootdevice`, location: `http://10.75.1.1:${port}/description.xml` })]));
      // ssdp:all: the root device, the device by its uuid and by its type, all at LAN B's address.
      expect(new Set(foundB.resources.map((r) => r.usn))).toEqual(new Set([`${udn}::upnp:rootdevice`, udn, `${udn}::urn:schemas-upnp-org:device:Basic:1`]));
      expect(new Set(foundB.resources.map((r) => r.location))).toEqual(new Set([`http://10.75.2.1:${port}/description.xml`]));
      for (const [point, found] of [
        [pointA, foundA],
        [pointB, foundB],
      ] as const) {
        const { status, body } = await fetchFrom(point, (found.resources[0] as { location: string }).location);
        expect(status).toBe(200);
        expect(body).toContain(`<UDN>${udn}</UDN>`);
        expect(body).toContain('<deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>');
        expect(body).toContain('<friendlyName>Lab device</friendlyName>');
      }
      await p.waitFor('served the description to 10.75.1.2');
      await p.waitFor('served the description to 10.75.2.2');
    } finally {
      await p.stop();
    }
  }, 60000);

  withPython('a search on ff02::c is answered by unicast from port 1900 with an IPv6 LOCATION on that LAN', async () => {
    const { p, udn } = await startDevice();
    try {
      for (const [point, prefix] of [
        [pointA, 'fd75:1::'],
        [pointB, 'fd75:2::'],
      ] as const) {
        const r = await point.run(DEBIAN_PYTHON, ['-c', SEARCH_V6, 'eth0'], { timeoutMs: 15000 });
        expect(r.stderr).toBe('');
        const answers = r.stdout.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as { from: string; port: number; text: string });
        expect(answers).toHaveLength(1);
        const answer = answers[0] as (typeof answers)[0];
        // From the device's address on that LAN (the link-local one, when the search came from one).
        expect(linkLocal(await device.ip('-j', 'addr', 'show', 'dev', point === pointA ? 'eth0' : 'eth1')).concat(`${prefix}1`)).toContain(answer.from);
        expect(answer.port).toBe(1900);
        expect(answer.text).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
        expect(answer.text).toContain(`\r\nUSN: ${udn}::upnp:rootdevice\r\n`);
        const location = (/\r\nLOCATION: (\S+)\r\n/.exec(answer.text) as RegExpExecArray)[1] as string;
        expect(location).toMatch(new RegExp(`^http://\\[${prefix}1\\]:\\d+/description\\.xml$`));
        const { status, body } = await fetchFrom(point, location);
        expect(status).toBe(200);
        expect(body).toContain(`<UDN>${udn}</UDN>`);
      }
    } finally {
      await p.stop();
    }
  }, 60000);
});
