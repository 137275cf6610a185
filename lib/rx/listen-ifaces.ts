/**
 * Which interfaces a receiver listens on: those it is given (each once, each with an address of the
 * family), or by default every interface that is up, multicast-capable, not loopback and has one;
 * never one in a VRF whose datagrams its sockets would not get.
 * @internal
 * @module
 */
import type { Family } from '../addresses';
import { ErrorCodes, MulticastExpertError, fail, messageWithHint } from '../errors';
import { type IfaceInfo, preferredAddress, resolveOneIface, scanInterfaces, unreachableVrfOf } from '../interfaces';

/**
 * The error for an interface in a VRF (Linux l3mdev) whose datagrams the receiver's sockets would
 * not get: Linux hands a VRF member's datagrams only to sockets bound to the VRF, unless
 * net.ipv4.udp_l3mdev_accept is 1. Joining there would otherwise succeed and receive nothing.
 */
export function vrfError(iface: IfaceInfo, vrf: string): MulticastExpertError {
  return new MulticastExpertError(ErrorCodes.INVALID_OPTION, `interface ${iface.name} belongs to VRF ${vrf}: Linux gives its datagrams only to sockets bound to ${vrf}`, {
    hint: `set sysctl net.ipv4.udp_l3mdev_accept=1 (it covers IPv6 too), or run the program in the VRF (ip vrf exec ${vrf} ...)`,
  });
}

const warnedVrfIfaces = new Set<string>();

/** A receiver on all interfaces leaves out the members of a VRF it would get nothing from, and says so once per interface. */
export function warnVrf(iface: IfaceInfo): void {
  const vrf = unreachableVrfOf(iface);
  if (vrf === undefined || warnedVrfIfaces.has(`${iface.name}%${vrf}`)) return;
  warnedVrfIfaces.add(`${iface.name}%${vrf}`);
  const e = vrfError(iface, vrf);
  process.emitWarning(`not listening on ${iface.name}: ${messageWithHint(e)}`, { code: e.code, type: 'MulticastExpertWarning' });
}

/** The interfaces `specs` name, each once; every one must have an address of the family and be reachable. */
export function resolveIfaces(specs: unknown[], family: Family, what: string): IfaceInfo[] {
  let scan: IfaceInfo[] | undefined;
  const out: IfaceInfo[] = [];
  for (const spec of specs) {
    const iface = resolveOneIface(spec, what, (scan ??= specs.every((s) => typeof s === 'object') ? undefined : scanInterfaces()));
    if (out.some((i) => i.index === iface.index)) continue;
    if (preferredAddress(iface, family) === undefined)
      fail(ErrorCodes.IFACE_NO_ADDRESS, `interface ${iface.name} has no ${family} address`, `listen on interfaces with an ${family} address, or configure one`);
    const vrf = unreachableVrfOf(iface);
    if (vrf !== undefined) throw vrfError(iface, vrf);
    out.push(iface);
  }
  return out;
}

/** Every interface that is up, multicast-capable, not loopback and has an address of the family (ERR_NO_IFACES if none). */
export function defaultIfaces(family: Family): IfaceInfo[] {
  const candidates = scanInterfaces().filter((i) => i.up && i.multicast && !i.loopback && preferredAddress(i, family) !== undefined);
  const inVrf = candidates.filter((i) => unreachableVrfOf(i) !== undefined);
  const found = candidates.filter((i) => !inVrf.includes(i));
  if (found.length === 0 && inVrf.length > 0) throw vrfError(inVrf[0] as IfaceInfo, unreachableVrfOf(inVrf[0] as IfaceInfo) as string);
  if (found.length === 0)
    fail(ErrorCodes.NO_IFACES, `no interface is up, multicast-capable, not loopback and with an ${family} address`, 'pass iface or ifaces explicitly (the loopback interface must be named to be used)');
  for (const iface of inVrf) warnVrf(iface);
  return found;
}
