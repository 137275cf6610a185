// Real peers that nobody here wrote, run on lab hosts only (they love to talk: every one of them
// runs inside a lab host's network namespace, never in the machine's own): avahi-daemon without
// D-Bus, python3-zeroconf as an mDNS querier, gssdp-discover as an SSDP client, and tcpdump to see
// what actually crossed a host's interface.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { Host, LabProcess } from '../lab/lab';

/** Debian's python3, which sees Debian's python3-zeroconf (a python3 from elsewhere may not). */
export const DEBIAN_PYTHON = '/usr/bin/python3';
const MDNS_RESOLVE = path.join(__dirname, 'peers', 'mdns_resolve.py');

/** Waits until a process has written `text` to its standard error (avahi-daemon logs there). */
async function waitForStderr(p: LabProcess, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!p.output.stderr.includes(text)) {
    if (p.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${text} did not appear (exit ${p.child.exitCode}); stderr: ${p.output.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * avahi-daemon on `host`, publishing `hostName`.local on `ifaces`: without D-Bus (enable-dbus=no), as
 * root without a chroot, in a mount namespace of its own with a tmpfs on /run/avahi-daemon (its pid
 * file and socket), so that several can run on one machine and none touches the machine's own.
 * Resolves once it has announced its name; stop() ends it.
 */
export async function startAvahi(host: Host, hostName: string, ifaces: string[]): Promise<LabProcess> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mce-avahi-'));
  const conf = path.join(dir, 'avahi-daemon.conf');
  fs.writeFileSync(
    conf,
    [
      '[server]',
      `host-name=${hostName}`,
      'domain-name=local',
      'use-ipv4=yes',
      'use-ipv6=yes',
      `allow-interfaces=${ifaces.join(',')}`,
      'enable-dbus=no',
      '[wide-area]',
      'enable-wide-area=no',
      '[publish]',
      'publish-hinfo=no',
      'publish-workstation=no',
      '',
    ].join('\n'),
  );
  const script = `mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && exec avahi-daemon -f ${conf} --no-drop-root --no-chroot --no-rlimits`;
  const avahi = host.spawn('unshare', ['-m', 'sh', '-c', script]);
  avahi.exited.then(() => fs.rmSync(dir, { recursive: true, force: true }));
  await waitForStderr(avahi, `Server startup complete. Host name is ${hostName}.local.`, 15000);
  return avahi;
}

export interface MdnsAddress {
  address: string;
  ttl: number;
}
export interface MdnsResolution {
  A: MdnsAddress[];
  AAAA: MdnsAddress[];
  /** Where the responses that answered came from. */
  sources: Array<{ address: string; port: number }>;
}

/** Resolves `name` (NAME.local) with python3-zeroconf on every interface of `host`, asking for `seconds`. */
export async function resolveMdns(host: Host, name: string, seconds = 2): Promise<MdnsResolution> {
  const r = await host.run(DEBIAN_PYTHON, [MDNS_RESOLVE, name, '--timeout', String(seconds)], { timeoutMs: (seconds + 20) * 1000 });
  if (r.code !== 0) throw new Error(`zeroconf on ${host.name}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as MdnsResolution;
}

export interface LegacyReply {
  from: { address: string; port: number };
  id: number;
  questions: string[];
  A: MdnsAddress[];
  AAAA: MdnsAddress[];
}

/**
 * A legacy unicast query (RFC 6762 §6.7): from an ephemeral port, to `group` on `iface`; the
 * replies that came back by unicast to that port, and the port.
 */
export async function resolveMdnsLegacy(host: Host, name: string, iface: string, group = '224.0.0.251'): Promise<{ port: number; replies: LegacyReply[] }> {
  const r = await host.run(DEBIAN_PYTHON, [MDNS_RESOLVE, name, '--legacy', '--iface', iface, '--to', group, '--timeout', '2'], { timeoutMs: 20000 });
  if (r.code !== 0) throw new Error(`legacy query on ${host.name}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { port: number; replies: LegacyReply[] };
}

export interface SsdpResource {
  usn: string;
  location: string;
}

/**
 * gssdp-discover (GUPnP's SSDP client) on `iface` of `host`: searches for `target` for `seconds` and
 * returns the resources it reported available.
 */
export async function gssdpDiscover(host: Host, iface: string, target: string, seconds = 4): Promise<{ resources: SsdpResource[]; output: string }> {
  const r = await host.run('gssdp-discover', ['-i', iface, '-t', target, '-n', String(seconds), '-m', 'available'], { timeoutMs: (seconds + 20) * 1000 });
  if (r.code !== 0) throw new Error(`gssdp-discover on ${host.name}: exit ${r.code}: ${r.stderr}`);
  const resources: SsdpResource[] = [];
  for (const block of r.stdout.split(/resource available/).slice(1)) {
    const usn = /USN:\s*(\S+)/.exec(block);
    const location = /Location:\s*(\S+)/.exec(block);
    if (usn && location) resources.push({ usn: usn[1] as string, location: location[1] as string });
  }
  return { resources, output: r.stdout };
}

/**
 * tcpdump on `iface` of `host`, verbose (IP TTL / hop limit, ports), numeric, for `filter`. Resolves
 * once it is capturing; stop() ends it and returns the packet lines.
 */
export async function capture(host: Host, iface: string, filter: string): Promise<{ stop: () => Promise<string[]> }> {
  const p = host.spawn('tcpdump', ['-l', '-n', '-v', '-i', iface, filter]);
  await waitForStderr(p, 'listening on', 10000);
  return {
    stop: async () => {
      await new Promise((r) => setTimeout(r, 200)); // the last packets through tcpdump's buffer
      const r = await p.stop();
      // -v puts a packet's IP header on one line and its UDP part on the next (indented): join them.
      return r.stdout.split(/\n(?=\S)/).map((l) => l.replace(/\n\s+/g, ' ')).filter((l) => l.length > 0);
    },
  };
}
