/**
 * IP addresses and multicast groups: recognising, validating and normalising them with Node's own
 * `net` module (no hand-written address grammar).
 * @module
 */
import * as net from 'node:net';

import { ErrorCodes, fail } from './errors';

/** An address family. */
export type Family = 'ipv4' | 'ipv6';

/** The IPv4 loopback address. */
export const LOCALHOST_IPV4 = '127.0.0.1';
/** The IPv6 loopback address. */
export const LOCALHOST_IPV6 = '::1';

/** A parsed numeric IP address. @internal */
export interface ParsedIp {
  /** Canonical text (IPv6 compressed and lower-case), without the zone. */
  address: string;
  family: Family;
  /** The text after `%` of an IPv6 address, if any. */
  zone?: string;
}

/** Parses a numeric IPv4 or IPv6 address (IPv6 may carry `%zone`); null when it is none. @internal */
export function parseIp(text: unknown): ParsedIp | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 100) return null;
  const kind = net.isIP(text);
  if (kind === 4) return { address: text, family: 'ipv4' };
  if (kind !== 6) return null;
  const percent = text.indexOf('%');
  const bare = percent >= 0 ? text.slice(0, percent) : text;
  const zone = percent >= 0 ? text.slice(percent + 1) : undefined;
  if (net.isIP(bare) !== 6 || zone === '') return null;
  // SocketAddress prints the address the way the OS does (RFC 5952), so equal groups compare equal.
  const address = new net.SocketAddress({ address: bare, family: 'ipv6' }).address;
  return zone === undefined ? { address, family: 'ipv6' } : { address, family: 'ipv6', zone };
}

function isMulticastParsed(p: ParsedIp): boolean {
  if (p.family === 'ipv4') {
    const first = Number(p.address.slice(0, p.address.indexOf('.')));
    return first >= 224 && first <= 239;
  }
  return p.address.startsWith('ff');
}

/**
 * True if `ip` is an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address. Never throws.
 *
 * @example
 * ```ts
 * isMulticastIp('239.1.2.3'); // true
 * isMulticastIp('10.0.0.1');  // false
 * isMulticastIp('hello');     // false
 * ```
 */
export function isMulticastIp(ip: string): boolean {
  const p = parseIp(ip);
  return p !== null && isMulticastParsed(p);
}

/** Checks a `family` option value. @internal */
export function checkFamily(family: unknown, what = 'family'): Family {
  if (family !== 'ipv4' && family !== 'ipv6')
    fail(ErrorCodes.INVALID_OPTION, `${what} must be 'ipv4' or 'ipv6', got ${describe(family)}`);
  return family;
}

/**
 * Throws a {@link MulticastExpertError} unless `ip` is a multicast address (of `family`, if given):
 * `ERR_INVALID_ADDRESS` for something that is not an IP address, `ERR_NOT_MULTICAST` for a unicast
 * address, `ERR_FAMILY_MISMATCH` for the other family.
 *
 * @example
 * ```ts
 * validateMcastIp('ff15::1234', 'ipv6'); // passes
 * validateMcastIp('10.0.0.1');           // throws, code 'ERR_NOT_MULTICAST'
 * ```
 */
export function validateMcastIp(ip: string, family?: Family): void {
  parseGroup(ip, family);
}

/**
 * Validates a group and returns its canonical form. Groups have no zone: the interface is an option
 * of its own. @internal
 */
export function parseGroup(ip: unknown, family?: Family, what = 'group'): ParsedIp {
  if (family !== undefined) checkFamily(family);
  const p = parseIp(ip);
  if (p === null) fail(ErrorCodes.INVALID_ADDRESS, `${what} ${describe(ip)} is not an IP address`, 'give a multicast address such as 239.1.2.3 or ff15::1234');
  if (!isMulticastParsed(p))
    fail(ErrorCodes.NOT_MULTICAST, `${what} ${p.address} is not a multicast address`, 'IPv4 groups are 224.0.0.0 to 239.255.255.255 (239.x.x.x is for private use); IPv6 groups start with ff');
  if (p.zone !== undefined)
    fail(ErrorCodes.INVALID_ADDRESS, `${what} ${String(ip)} carries a zone`, 'give the group without %zone and choose the interface with the iface option');
  if (family !== undefined && p.family !== family)
    fail(ErrorCodes.FAMILY_MISMATCH, `${what} ${p.address} is ${p.family}, not ${family}`);
  return p;
}

/** Validates a unicast source address (for SSM and blocking). @internal */
export function parseSource(ip: unknown, family: Family): ParsedIp {
  const p = parseIp(ip);
  if (p === null) fail(ErrorCodes.INVALID_ADDRESS, `source ${describe(ip)} is not an IP address`);
  if (isMulticastParsed(p)) fail(ErrorCodes.INVALID_ADDRESS, `source ${p.address} is a multicast address`, 'a source is the unicast address of a sender');
  if (p.family !== family) fail(ErrorCodes.FAMILY_MISMATCH, `source ${p.address} is ${p.family}, not ${family}`);
  if (p.zone !== undefined) fail(ErrorCodes.INVALID_ADDRESS, `source ${String(ip)} carries a zone`, 'give the source without %zone');
  return p;
}

/** A short, safe description of any value, for error messages. @internal */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === null || value === undefined) return String(value);
  if (typeof value === 'symbol') return 'a symbol';
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return 'an array';
  return 'an object';
}
