/**
 * The options of a receiver, checked (each failing with its SPEC code and a message that says what
 * it takes) and with their defaults.
 * @internal
 * @module
 */
import { type Family, type ParsedIp, checkFamily } from '../addresses';
import { ErrorCodes, fail } from '../errors';
import type { IfaceSpecifier } from '../interfaces';
import { checkArray, checkBoolean, checkGroups, checkInteger, checkOptions, checkPort, checkSignal, checkSources, checkTimeout, familyOfSpecifier } from '../options';
import type { McastCoalesceOptions, McastRxSocketOptions } from './types';

const kRxOptions = ['groups', 'port', 'family', 'iface', 'ifaces', 'sources', 'externalLoopback', 'timeout', 'receiveBufferSize', 'maxMessageSize', 'timestamps', 'rejoin', 'signal', 'ttl', 'coalesce'] as const;

export interface RxSettings {
  groups: ParsedIp[];
  port: number;
  family: Family;
  /** iface and ifaces, as given (none: all interfaces). */
  ifaceSpecs: unknown[];
  sources: string[];
  externalLoopback: boolean;
  timeout: number | undefined;
  /** 0: the OS default. */
  receiveBufferSize: number;
  maxMessageSize: number;
  timestamps: boolean;
  rejoin: boolean;
  signal: AbortSignal | undefined;
  /** The TTL (hop limit) of reply()'s datagrams, 1..255. */
  ttl: number;
  /** Coalescing: maxDatagrams 0 is off. */
  coalesce: McastCoalesceOptions;
}

/** Coalescing's bounds: a batch of more would not fit the metadata array with room for one read. */
const kMaxCoalesceDatagrams = 512;
const kMaxCoalesceMicros = 1_000_000;

function parseCoalesce(value: unknown): McastCoalesceOptions {
  if (value === undefined) return { maxDelayMicros: 0, maxDatagrams: 0 };
  const o = checkOptions<McastCoalesceOptions>(value as McastCoalesceOptions, ['maxDelayMicros', 'maxDatagrams'], 'coalesce');
  if (o.maxDelayMicros === undefined || o.maxDatagrams === undefined)
    fail(ErrorCodes.INVALID_OPTION, `coalesce needs both maxDelayMicros (0..${kMaxCoalesceMicros}, the longest a datagram is held) and maxDatagrams (1..${kMaxCoalesceDatagrams}, a batch handed over at once), e.g. { maxDelayMicros: 200, maxDatagrams: 64 }`);
  return {
    maxDelayMicros: checkInteger(o.maxDelayMicros, 'coalesce.maxDelayMicros', 0, kMaxCoalesceMicros),
    maxDatagrams: checkInteger(o.maxDatagrams, 'coalesce.maxDatagrams', 1, kMaxCoalesceDatagrams),
  };
}

export function parseRxOptions(options: McastRxSocketOptions): RxSettings {
  const o = checkOptions<McastRxSocketOptions>(options, kRxOptions, 'McastRxSocket options');
  if (options === undefined) fail(ErrorCodes.INVALID_OPTION, 'McastRxSocket needs options: { groups, port }');
  if (o.groups === undefined) fail(ErrorCodes.INVALID_OPTION, 'McastRxSocket options need groups (an array, may be empty)');
  if (o.port === undefined) fail(ErrorCodes.INVALID_PORT, 'McastRxSocket options need a port (1..65535)');
  // Checked first, not only through the groups: with no groups it would go unchecked.
  const givenFamily = o.family === undefined ? undefined : checkFamily(o.family);
  const groups = checkGroups(o.groups, 'groups', givenFamily);
  const port = checkPort(o.port, 'port');
  // Both given is a mistake, not a choice to guess at (the union, or one of them, silently).
  if (o.iface !== undefined && o.ifaces !== undefined)
    fail(ErrorCodes.INVALID_OPTION, 'McastRxSocket options give both iface and ifaces: keep iface for one interface, or ifaces for several', "to listen on several interfaces, put them all in ifaces, e.g. { ifaces: ['eth0', 'eth1'] }");
  const ifaceSpecs: unknown[] = [];
  if (o.iface !== undefined) ifaceSpecs.push(o.iface);
  if (o.ifaces !== undefined) ifaceSpecs.push(...checkArray(o.ifaces, 'ifaces'));
  const family: Family = givenFamily ?? groups[0]?.family ?? ifaceSpecs.map((s) => familyOfSpecifier(s as IfaceSpecifier)).find((f) => f !== undefined) ?? 'ipv4';
  return {
    groups,
    port,
    family,
    ifaceSpecs,
    sources: o.sources === undefined ? [] : checkSources(o.sources, family, 'sources'),
    externalLoopback: checkBoolean(o.externalLoopback, 'externalLoopback', false),
    timeout: checkTimeout(o.timeout, 'timeout'),
    receiveBufferSize: o.receiveBufferSize === undefined ? 0 : checkInteger(o.receiveBufferSize, 'receiveBufferSize', 1, 0x7fffffff),
    maxMessageSize: o.maxMessageSize === undefined ? 65535 : checkInteger(o.maxMessageSize, 'maxMessageSize', 1, 65535),
    timestamps: checkBoolean(o.timestamps, 'timestamps', false),
    rejoin: checkBoolean(o.rejoin, 'rejoin', true),
    signal: checkSignal(o.signal, 'signal'),
    ttl: o.ttl === undefined ? 1 : checkInteger(o.ttl, 'ttl', 1, 255),
    coalesce: parseCoalesce(o.coalesce),
  };
}
