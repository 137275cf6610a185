/**
 * Read-only probes of Linux's /proc for `doctor`: sysctls, the routing tables (/proc/net/route and
 * /proc/net/ipv6_route) with a longest-prefix lookup, IGMP state (/proc/net/igmp) and counters
 * (/proc/net/snmp, snmp6, netstat, dev_snmp6). Each parser takes the file's text, so it is checked
 * against real files; each reader returns null where the file cannot be read.
 * @internal
 * @module
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';

export function readText(path: string): string | null {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** A sysctl given by its parts (interface names may contain dots): ['net', 'ipv4', 'conf', 'eth0', 'rp_filter']. */
export function sysctlInt(parts: string[]): number | null {
  const text = readText(`/proc/sys/${parts.join('/')}`);
  if (text === null) return null;
  const n = Number.parseInt(text.trim(), 10);
  return Number.isNaN(n) ? null : n;
}

/** The sysctl command that sets it (slash syntax where an interface name holds a dot). */
export function sysctlCommand(settings: [string[], number | string][]): string {
  const keys = settings.map(([parts, value]) => `${parts.some((p) => p.includes('.')) ? parts.join('/') : parts.join('.')}=${value}`);
  return `sysctl -w ${keys.join(' ')}`;
}

// ---- Addresses as numbers ------------------------------------------------------------------------

export function ipv4ToNumber(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function ipv6ToBigInt(address: string): bigint {
  let text = address.split('%')[0] as string;
  // An embedded IPv4 tail (::ffff:1.2.3.4) is two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const n = ipv4ToNumber(v4[1] as string);
    text = `${text.slice(0, v4.index)}${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** Is `address` inside `network`/`prefix` (same family)? */
export function inPrefix(address: string, network: string, prefix: number): boolean {
  if (net.isIPv4(address) && net.isIPv4(network)) {
    if (prefix === 0) return true;
    const mask = prefix >= 32 ? 0xffffffff : ~((1 << (32 - prefix)) - 1) >>> 0;
    return ((ipv4ToNumber(address) & mask) >>> 0) === ((ipv4ToNumber(network) & mask) >>> 0);
  }
  if (net.isIPv6(address.split('%')[0] as string) && net.isIPv6(network)) {
    const shift = BigInt(128 - prefix);
    return ipv6ToBigInt(address) >> shift === ipv6ToBigInt(network) >> shift;
  }
  return false;
}

// ---- Routes --------------------------------------------------------------------------------------

const RTF_UP = 0x0001;
const RTF_REJECT = 0x0200;

export interface Route {
  dev: string;
  /** The network, as text. */
  destination: string;
  prefixLength: number;
  metric: number;
  /** IPv4: the gateway, or null for an on-link route. */
  gateway: string | null;
}

/** /proc/net/route prints each address as the number the kernel holds, in this machine's byte order. */
function procIpv4(hex: string): string {
  const b = Buffer.alloc(4);
  const n = Number.parseInt(hex, 16) >>> 0;
  if (os.endianness() === 'LE') b.writeUInt32LE(n);
  else b.writeUInt32BE(n);
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

function maskLength(mask: string): number {
  const n = ipv4ToNumber(mask);
  let len = 0;
  for (let bit = 31; bit >= 0 && (n & (2 ** bit)) !== 0; bit--) len += 1;
  return len;
}

/** The routes of /proc/net/route (IPv4, main table) that are up and not reject routes. */
export function parseIpv4Routes(text: string): Route[] {
  const routes: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const flags = Number.parseInt(f[3] as string, 16);
    if ((flags & RTF_UP) === 0 || (flags & RTF_REJECT) !== 0) continue;
    const gateway = procIpv4(f[2] as string);
    routes.push({ dev: f[0] as string, destination: procIpv4(f[1] as string), prefixLength: maskLength(procIpv4(f[7] as string)), metric: Number(f[6]), gateway: gateway === '0.0.0.0' ? null : gateway });
  }
  return routes;
}

function hexToIpv6(hex: string): string {
  const groups = hex.match(/.{4}/g) ?? [];
  return new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/** The routes of /proc/net/ipv6_route (every table) that are up and not reject routes. */
export function parseIpv6Routes(text: string): Route[] {
  const routes: Route[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const flags = Number.parseInt(f[8] as string, 16);
    if ((flags & RTF_UP) === 0 || (flags & RTF_REJECT) !== 0) continue;
    routes.push({ dev: f[9] as string, destination: hexToIpv6(f[0] as string), prefixLength: Number.parseInt(f[1] as string, 16), metric: Number.parseInt(f[5] as string, 16), gateway: null });
  }
  return routes;
}

export function readRoutes(family: 'ipv4' | 'ipv6'): Route[] | null {
  const text = readText(family === 'ipv4' ? '/proc/net/route' : '/proc/net/ipv6_route');
  return text === null ? null : family === 'ipv4' ? parseIpv4Routes(text) : parseIpv6Routes(text);
}

/** The route the kernel would pick for `address` (longest prefix, then lowest metric), optionally only via `dev`. */
export function lookupRoute(routes: Route[], address: string, dev?: string): Route | null {
  let best: Route | null = null;
  for (const r of routes) {
    if (dev !== undefined && r.dev !== dev) continue;
    if (!inPrefix(address, r.destination, r.prefixLength)) continue;
    if (best === null || r.prefixLength > best.prefixLength || (r.prefixLength === best.prefixLength && r.metric < best.metric)) best = r;
  }
  return best;
}

export function routeText(r: Route): string {
  const dest = r.prefixLength === 0 ? 'default' : `${r.destination}/${r.prefixLength}`;
  return `${dest}${r.gateway ? ` via ${r.gateway}` : ''} dev ${r.dev}`;
}

// ---- IGMP and counters ---------------------------------------------------------------------------

export interface IgmpIface {
  index: number;
  /** 'V3', or 'V2'/'V1' while a querier of that version has been heard lately. */
  querier: string;
  /** Groups joined on the interface. */
  groups: string[];
}

/** /proc/net/igmp: per interface, the IGMP version in use and the groups joined. */
export function parseIgmp(text: string): Map<string, IgmpIface> {
  const out = new Map<string, IgmpIface>();
  let current: IgmpIface | null = null;
  for (const line of text.split('\n').slice(1)) {
    const dev = /^(\d+)\s+(\S+)\s*:\s*(\d+)\s+(V\d)/.exec(line);
    if (dev !== null) {
      current = { index: Number(dev[1]), querier: dev[4] as string, groups: [] };
      out.set(dev[2] as string, current);
      continue;
    }
    const group = /^\s+([0-9A-Fa-f]{8})\s/.exec(line);
    if (group !== null && current !== null) current.groups.push(procIpv4(group[1] as string));
  }
  return out;
}

/** A counter from a "Name: k1 k2\nName: v1 v2" file (/proc/net/snmp, /proc/net/netstat). */
export function pairedCounter(text: string, section: string, name: string): number | null {
  const lines = text.split('\n').filter((l) => l.startsWith(`${section}:`));
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const keys = (lines[i] as string).split(/\s+/).slice(1);
    const values = (lines[i + 1] as string).split(/\s+/).slice(1);
    const at = keys.indexOf(name);
    if (at >= 0) return Number(values[at]);
  }
  return null;
}

/** A counter from a "Name value" file (/proc/net/snmp6, /proc/net/dev_snmp6/IF). */
export function listedCounter(text: string, name: string): number | null {
  const m = new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(text);
  return m === null ? null : Number(m[1]);
}
