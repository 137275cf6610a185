/**
 * Network interfaces: listing them natively, finding them by name, index or address, and the
 * interface of the default route.
 * @module
 */
import { type Family, checkFamily, describe, parseIp } from './addresses';
import { ErrorCodes, callNative, fail } from './errors';
import { native } from './native';

/** One address of an interface. */
export interface IfaceAddress {
  /** The address, e.g. '10.0.0.7' or 'fe80::1' (without a zone; see scopeId). */
  address: string;
  /** The length of the network prefix: 24 for a /24. */
  prefixLength: number;
  /** IPv6 only: the scope id (the interface index for link-local addresses, else 0). */
  scopeId?: number;
}

/** What the OS knows about one network interface. */
export interface IfaceInfo {
  /** Machine name: 'eth0', 'en0', or the adapter name on Windows. */
  name: string;
  /** Windows' friendly name ('Ethernet 2'); equal to `name` elsewhere. */
  friendlyName: string;
  /** OS interface index. */
  index: number;
  /** 'aa:bb:cc:dd:ee:ff', or null when the interface has none. */
  linkLayerAddress: string | null;
  /** Its IPv4 addresses. */
  ipv4: IfaceAddress[];
  /** Its IPv6 addresses, link-local ones with their scopeId. */
  ipv6: IfaceAddress[];
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** Operationally up: a link is there (IFF_RUNNING). */
  running: boolean;
  /** The loopback interface. */
  loopback: boolean;
  /** Multicast-capable (IFF_MULTICAST): VPN tunnels often are not. */
  multicast: boolean;
  /** A point-to-point link (tunnels, PPP). */
  pointToPoint: boolean;
  /** The MTU in bytes, or null when the OS did not say. */
  mtu: number | null;
}

/** An interface given by name, by IPv4/IPv6 address (IPv6 may carry %scope), by index, or as an IfaceInfo. */
export type IfaceSpecifier = string | number | IfaceInfo;

/**
 * Every interface of the machine, also those that are down or have no address, by index.
 *
 * @example
 * ```ts
 * for (const i of scanInterfaces()) console.log(i.index, i.name, i.up, i.ipv4.map((a) => a.address));
 * ```
 */
export function scanInterfaces(): IfaceInfo[] {
  const ifaces = JSON.parse(callNative('listing interfaces', () => native().scanInterfaces())) as Array<IfaceInfo & { vrf?: string }>;
  for (const iface of ifaces) {
    if (iface.vrf === undefined) continue;
    vrfs.set(iface, iface.vrf);
    delete iface.vrf;
  }
  return ifaces;
}

/** The VRF of each scanned interface that belongs to one (Linux), kept off the public IfaceInfo shape. */
const vrfs = new WeakMap<IfaceInfo, string>();

/**
 * The VRF (Linux l3mdev) that a scanned interface belongs to and whose datagrams a socket opened now
 * would not get (see native/os/interfaces.h), or undefined.
 * @internal
 */
export function unreachableVrfOf(iface: IfaceInfo): string | undefined {
  const vrf = vrfs.get(iface);
  if (vrf === undefined || callNative(`reading the state of VRF ${vrf}`, () => native().vrfDeliversToNewSockets(vrf))) return undefined;
  return vrf;
}

function isIfaceInfo(value: unknown): value is IfaceInfo {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<IfaceInfo>;
  return (
    typeof v.name === 'string' &&
    Number.isInteger(v.index) &&
    (v.index as number) > 0 &&
    Array.isArray(v.ipv4) &&
    Array.isArray(v.ipv6)
  );
}

function ifacesOption(options: unknown): IfaceInfo[] | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) fail(ErrorCodes.INVALID_OPTION, `options must be an object, got ${describe(options)}`);
  const ifaces = (options as { ifaces?: unknown }).ifaces;
  if (ifaces === undefined) return undefined;
  if (!Array.isArray(ifaces) || !ifaces.every(isIfaceInfo))
    fail(ErrorCodes.INVALID_OPTION, 'options.ifaces must be an array of IfaceInfo objects', 'pass what scanInterfaces() returned');
  return ifaces;
}

function matchAddress(text: string, ifaces: IfaceInfo[]): IfaceInfo[] {
  const p = parseIp(text);
  if (p === null) return [];
  return ifaces.filter((i) => {
    if (p.family === 'ipv4') return i.ipv4.some((a) => a.address === p.address);
    if (p.zone !== undefined && p.zone !== i.name && p.zone !== String(i.index)) return false;
    return i.ipv6.some((a) => a.address === p.address);
  });
}

/** The interfaces one specifier stands for (several only for an address that interfaces share). */
function matchSpecifier(spec: unknown, scan: () => IfaceInfo[]): IfaceInfo[] {
  if (isIfaceInfo(spec)) return [spec];
  if (typeof spec === 'number') {
    if (!Number.isInteger(spec) || spec < 1 || spec > 0xffffffff)
      fail(ErrorCodes.INVALID_OPTION, `interface index ${describe(spec)} is not a positive integer`);
    const found = scan().filter((i) => i.index === spec);
    if (found.length === 0) fail(ErrorCodes.IFACE_NOT_FOUND, `no interface has index ${spec}`, 'list interfaces with scanInterfaces() or `multicast-expert interfaces`');
    return found;
  }
  if (typeof spec !== 'string' || spec.length === 0)
    fail(ErrorCodes.INVALID_OPTION, `an interface is given by name, index, address or IfaceInfo, got ${describe(spec)}`);
  const ifaces = scan();
  let found = ifaces.filter((i) => i.name === spec || i.friendlyName === spec);
  if (found.length === 0 && /^[0-9]+$/.test(spec)) found = ifaces.filter((i) => i.index === Number(spec));
  if (found.length === 0) found = matchAddress(spec, ifaces);
  if (found.length === 0) fail(ErrorCodes.IFACE_NOT_FOUND, `no interface matches ${describe(spec)}`, notFoundHint(spec, ifaces));
  return found;
}

/**
 * What to do about a name that matches nothing. 'eth0:1' is how Linux shows an address label (`ip
 * addr add ... label eth0:1`, old `ifconfig eth0:1` aliases): it names an address of eth0, not an
 * interface.
 */
function notFoundHint(spec: string, ifaces: IfaceInfo[]): string {
  const colon = spec.indexOf(':');
  const base = colon > 0 && parseIp(spec) === null ? spec.slice(0, colon) : null;
  if (base !== null && ifaces.some((i) => i.name === base))
    return `${spec} looks like an address label of ${base}; a label is not an interface: give ${base}, or the labelled address`;
  return 'list interfaces with scanInterfaces() or `multicast-expert interfaces`';
}

/**
 * The interfaces that the specifiers name, each once (by index), in the order given. A name matches
 * first, then an index, then an address; an address that two interfaces share matches both.
 * Throws `ERR_IFACE_NOT_FOUND` for a specifier that matches nothing. With `options.ifaces` (or
 * IfaceInfo specifiers) the machine is not scanned again.
 *
 * @example
 * ```ts
 * const [eth0, third] = findInterfaces(['eth0', 3]); // by name, by index
 * findInterfaces(['10.0.0.7', 'fe80::1%eth1']);       // by address
 * ```
 */
export function findInterfaces(specifiers: Iterable<IfaceSpecifier>, options?: { ifaces?: IfaceInfo[] }): IfaceInfo[] {
  const given = ifacesOption(options);
  if (typeof specifiers === 'string' || typeof specifiers !== 'object' || specifiers === null || typeof (specifiers as Iterable<unknown>)[Symbol.iterator] !== 'function')
    fail(ErrorCodes.INVALID_OPTION, `specifiers must be an iterable (e.g. an array) of interface specifiers, got ${describe(specifiers)}`);
  let cache = given;
  const scan = (): IfaceInfo[] => (cache ??= scanInterfaces());
  const out: IfaceInfo[] = [];
  const seen = new Set<number>();
  for (const spec of specifiers as Iterable<unknown>) {
    for (const iface of matchSpecifier(spec, scan)) {
      if (seen.has(iface.index)) continue;
      seen.add(iface.index);
      out.push(iface);
    }
  }
  return out;
}

/**
 * Exactly one interface for a socket option; `ERR_IFACE_AMBIGUOUS` when an address names several.
 * @internal
 */
export function resolveOneIface(spec: unknown, what: string, ifaces?: IfaceInfo[]): IfaceInfo {
  let cache = ifaces;
  const found = matchSpecifier(spec, () => (cache ??= scanInterfaces()));
  if (found.length > 1)
    fail(
      ErrorCodes.IFACE_AMBIGUOUS,
      `${what} ${describe(spec)} is an address of ${found.length} interfaces (${found.map((i) => i.name).join(', ')})`,
      'give the interface by name or index instead',
    );
  return found[0] as IfaceInfo;
}

/** The address text of an interface address, with %name on IPv6 link-local ones. */
function addressText(iface: IfaceInfo, a: IfaceAddress): string {
  return a.scopeId ? `${a.address}%${iface.name}` : a.address;
}

/** The interface's preferred address of the family: for IPv6 a global one before a link-local. @internal */
export function preferredAddress(iface: IfaceInfo, family: Family): IfaceAddress | undefined {
  if (family === 'ipv4') return iface.ipv4[0];
  return iface.ipv6.find((a) => !a.scopeId) ?? iface.ipv6[0];
}

/**
 * Every IP address of the machine (IPv6 link-local ones with %interface). Both families by default.
 *
 * @example
 * ```ts
 * getInterfaceIps({ ipv6: false }); // ['127.0.0.1', '10.0.0.7']
 * ```
 */
export function getInterfaceIps(options?: { ipv4?: boolean; ipv6?: boolean }): string[] {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    fail(ErrorCodes.INVALID_OPTION, `options must be an object, got ${describe(options)}`);
  const ipv4 = options?.ipv4 ?? true;
  const ipv6 = options?.ipv6 ?? true;
  if (typeof ipv4 !== 'boolean' || typeof ipv6 !== 'boolean') fail(ErrorCodes.INVALID_OPTION, 'options.ipv4 and options.ipv6 must be booleans');
  const out: string[] = [];
  for (const iface of scanInterfaces()) {
    if (ipv4) for (const a of iface.ipv4) out.push(a.address);
    if (ipv6) for (const a of iface.ipv6) out.push(addressText(iface, a));
  }
  return out;
}

/**
 * The interface that carries the machine's default route for the family, or null when there is no
 * default route. Read from the routing table; never a guess.
 *
 * @example
 * ```ts
 * const iface = getDefaultGatewayIface('ipv4');
 * if (iface !== null) console.log(`the default route leaves through ${iface.name}`);
 * ```
 */
export function getDefaultGatewayIface(family: Family, options?: { ifaces?: IfaceInfo[] }): IfaceInfo | null {
  checkFamily(family);
  const given = ifacesOption(options);
  const index = callNative('reading the routing table', () => native().defaultRouteInterface(family === 'ipv4' ? 4 : 6));
  if (index === 0) return null;
  return (given ?? scanInterfaces()).find((i) => i.index === index) ?? null;
}

/** An address of the default-route interface of the family, or null (no default route, or no address). */
export function getDefaultGatewayIfaceIp(family: Family): string | null {
  const iface = getDefaultGatewayIface(family);
  if (iface === null) return null;
  const a = preferredAddress(iface, family);
  return a === undefined ? null : addressText(iface, a);
}

/** {@link getDefaultGatewayIfaceIp} for IPv4. */
export function getDefaultGatewayIfaceIpV4(): string | null {
  return getDefaultGatewayIfaceIp('ipv4');
}

/** {@link getDefaultGatewayIfaceIp} for IPv6. */
export function getDefaultGatewayIfaceIpV6(): string | null {
  return getDefaultGatewayIfaceIp('ipv6');
}

