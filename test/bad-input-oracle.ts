// What SPEC says each argument takes, as a verdict on any value: 'error' where the call must throw a
// MulticastExpertError (a value of the wrong type or range), 'ok' where it must work, 'either' where
// the outcome depends on the machine (an interface name that may exist) or on other arguments (a
// group of the other family). The bad-input suites use it so that a validation that goes missing
// fails them: "works or throws a documented error" alone would accept the lost check.
import * as net from 'node:net';

export type Verdict = 'ok' | 'error' | 'either';

/** The verdict of several arguments together: any error is an error; else any doubt is a doubt. */
export function all(verdicts: Verdict[]): Verdict {
  if (verdicts.includes('error')) return 'error';
  return verdicts.includes('either') ? 'either' : 'ok';
}

const isFamily = (v: unknown): boolean => v === 'ipv4' || v === 'ipv6';
const isInteger = (v: unknown, min: number, max: number): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const ipFamily = (v: string): 'ipv4' | 'ipv6' | null => {
  const kind = net.isIP(v.includes('%') ? v.slice(0, v.indexOf('%')) : v);
  return kind === 4 ? 'ipv4' : kind === 6 ? 'ipv6' : null;
};
const isMulticastText = (v: string): boolean => (ipFamily(v) === 'ipv4' ? Number(v.split('.')[0]) >= 224 && Number(v.split('.')[0]) <= 239 : v.toLowerCase().startsWith('ff'));

/** A multicast group: an IP address in 224.0.0.0/4 or ff00::/8, without a zone. */
export function groupVerdict(v: unknown): Verdict {
  if (typeof v !== 'string' || ipFamily(v) === null || v.includes('%') || !isMulticastText(v)) return 'error';
  return 'ok';
}

/** A group of a given family (or of either, when `family` is undefined). */
export function groupOfFamily(v: unknown, family: unknown): Verdict {
  if (family !== undefined && !isFamily(family)) return 'error';
  if (groupVerdict(v) === 'error') return 'error';
  return family === undefined || ipFamily(v as string) === family ? 'ok' : 'error';
}

/** A unicast source address, without a zone (its family is checked against the socket's). */
export function sourceVerdict(v: unknown): Verdict {
  if (typeof v !== 'string' || ipFamily(v) === null || v.includes('%') || isMulticastText(v)) return 'error';
  return 'either';
}

/** An IfaceInfo as scanInterfaces() returns it (the fields a specifier needs). */
function looksLikeIfaceInfo(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const i = v as Record<string, unknown>;
  return typeof i.name === 'string' && isInteger(i.index, 1, 0xffffffff) && Array.isArray(i.ipv4) && Array.isArray(i.ipv6);
}

/** An interface specifier: a name or address (non-empty string), an index (a positive integer), or an IfaceInfo. */
export function ifaceVerdict(v: unknown): Verdict {
  if (typeof v === 'string') return v.length > 0 ? 'either' : 'error';
  if (typeof v === 'number') return isInteger(v, 1, 0xffffffff) ? 'either' : 'error';
  return looksLikeIfaceInfo(v) ? 'either' : 'error';
}

function arrayOf(v: unknown, each: (x: unknown) => Verdict): Verdict {
  if (!Array.isArray(v)) return 'error';
  // A sparse array's holes are undefined entries.
  return all(Array.from(v, each));
}

const optional = (check: (v: unknown) => Verdict) => (v: unknown): Verdict => (v === undefined ? 'ok' : check(v));
const bool = optional((v) => (typeof v === 'boolean' ? 'ok' : 'error'));
const integer = (min: number, max: number) => optional((v) => (isInteger(v, min, max) ? 'ok' : 'error'));
const timeout = optional((v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 2147483647 ? 'ok' : 'error'));
const family = optional((v) => (isFamily(v) ? 'ok' : 'error'));
const signal = optional((v) => (v instanceof AbortSignal ? 'ok' : 'error'));

/** Each option of McastRxSocket: its verdict, given the value (undefined when absent). */
export const rxOptions: Record<string, (v: unknown) => Verdict> = {
  groups: (v) => arrayOf(v, groupVerdict),
  port: (v) => (isInteger(v, 1, 65535) ? 'ok' : 'error'),
  family,
  iface: optional(ifaceVerdict),
  ifaces: optional((v) => arrayOf(v, ifaceVerdict)),
  sources: optional((v) => arrayOf(v, sourceVerdict)),
  externalLoopback: bool,
  timeout,
  receiveBufferSize: integer(1, 0x7fffffff),
  maxMessageSize: integer(1, 65535),
  timestamps: bool,
  rejoin: bool,
  signal,
};

/** Each option of McastTxSocket. */
export const txOptions: Record<string, (v: unknown) => Verdict> = {
  groups: optional((v) => arrayOf(v, groupVerdict)),
  family,
  iface: optional(ifaceVerdict),
  ttl: integer(0, 255),
  externalLoopback: bool,
  port: integer(0, 65535),
  signal,
};

/**
 * The verdict on an options object: not an object (or an array) is an error, as is a key that is
 * not an option (a typo must not pass unnoticed); then each option's own verdict. Reading the keys
 * is what the constructor does too, so a Proxy's traps run here as there.
 */
export function optionsVerdict(options: unknown, rules: Record<string, (v: unknown) => Verdict>, optionalObject: boolean): Verdict {
  // Without options: the default interface, which depends on the machine.
  if (options === undefined) return optionalObject ? 'either' : 'error';
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return 'error';
  const keys = Object.keys(options);
  if (keys.some((k) => !(k in rules))) return 'error';
  const verdicts = Object.entries(rules).map(([key, rule]) => rule((options as Record<string, unknown>)[key]));
  // Defaults that depend on the machine: the interfaces to listen on, the default route's interface.
  const o = options as Record<string, unknown>;
  // A receiver given both iface and ifaces: an error, whatever each holds.
  if ('ifaces' in rules && o.iface !== undefined && o.ifaces !== undefined) return 'error';
  const machine: Verdict = o.iface === undefined && (o.ifaces === undefined || (Array.isArray(o.ifaces) && o.ifaces.length === 0)) ? 'either' : 'ok';
  return all([...verdicts, machine, 'either' /* families of groups, iface and sources must agree */]);
}

/** An options object of a method (receive, join, leave): an object with only `allowed` keys, or undefined. */
export function methodOptionsVerdict(options: unknown, rules: Record<string, (v: unknown) => Verdict>): Verdict {
  if (options === undefined) return 'ok';
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return 'error';
  if (Object.keys(options).some((k) => !(k in rules))) return 'error';
  return all(Object.entries(rules).map(([key, rule]) => rule((options as Record<string, unknown>)[key])));
}

/** The `options` argument of the interface functions: undefined, or an object whose `ifaces` is an array of IfaceInfo. */
export function ifacesOptionVerdict(options: unknown): Verdict {
  if (options === undefined) return 'ok';
  if (typeof options !== 'object' || options === null) return 'error';
  const ifaces = (options as { ifaces?: unknown }).ifaces;
  if (ifaces === undefined) return 'ok';
  return Array.isArray(ifaces) && ifaces.every(looksLikeIfaceInfo) ? 'ok' : 'error';
}

/** findInterfaces' specifiers: an iterable (not a string) of specifiers. */
export function specifiersVerdict(v: unknown): Verdict {
  if (typeof v !== 'object' || v === null || typeof (v as Iterable<unknown>)[Symbol.iterator] !== 'function') return 'error';
  // Only arrays are walked here: other iterables (a Map, a Set, a typed array) could be consumed once.
  if (!Array.isArray(v)) return 'either';
  return all(Array.from(v, ifaceVerdict));
}

/** getInterfaceIps' options: undefined, or an object whose ipv4 and ipv6 are booleans when present. */
export function interfaceIpsVerdict(options: unknown): Verdict {
  if (options === undefined) return 'ok';
  if (typeof options !== 'object' || options === null) return 'error';
  const o = options as { ipv4?: unknown; ipv6?: unknown };
  // null is taken as "not given" here (the socket options refuse it): lenient, left as it is.
  const flag = (v: unknown): Verdict => (v === null ? 'either' : bool(v));
  return all([flag(o.ipv4), flag(o.ipv6), Array.isArray(options) ? 'either' : 'ok']);
}

/** A family argument (required). */
export const familyArgument = (v: unknown): Verdict => (isFamily(v) ? 'ok' : 'error');

/** Data to send: a string or a Uint8Array (a Buffer is one), of a size that fits a datagram. */
export function dataVerdict(v: unknown): Verdict {
  if (typeof v === 'string') return Buffer.byteLength(v) <= 65507 ? 'ok' : 'either';
  if (v instanceof Uint8Array) return v.byteLength <= 65507 ? 'ok' : 'either';
  // Other views of bytes are taken too (a DataView, a Float64Array): documented as Uint8Array only.
  return ArrayBuffer.isView(v) ? 'either' : 'error';
}

/** A destination port (1..65535). */
export const destinationPort = (v: unknown): Verdict => (isInteger(v, 1, 65535) ? 'ok' : 'error');

/** A receive() timeout, or the socket's timeout property. */
export const timeoutVerdict = timeout;
