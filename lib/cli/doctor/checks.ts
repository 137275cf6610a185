/**
 * The checks of `doctor`, in the order they are printed. Each looks at one cause of "multicast does
 * not arrive" (the catalogue in the project's research: interface flags, routes, reverse-path
 * filtering, accept_local, IGMP/MLD, membership limits, buffers, loopback routes, tunnels and
 * containers, platform quirks, firewalls) and adds findings with the fix for what it finds.
 * @internal
 * @module
 */
import { type Family, type IfaceInfo, getDefaultGatewayIface } from '../../index';
import { CliError, explain, multicastRouteCommand } from '../hints';
import { hostPort } from '../output';
import { containerBridges, containerKind, isTunnel, isWsl } from './environment';
import { readFirewall } from './firewall';
import {
  type Route,
  inPrefix,
  listedCounter,
  lookupRoute,
  pairedCounter,
  parseIgmp,
  readRoutes,
  readText,
  routeText,
  sysctlCommand,
  sysctlInt,
} from './proc';
import type { Report } from './report';
import { selfTest } from './self-test';

export interface DoctorContext {
  family: Family;
  /** The groups asked for (at least one: a default one when none was given). */
  groups: string[];
  /** The port asked for, if any. */
  port: number | undefined;
  /** Senders the user expects to hear (--source). */
  sources: string[];
  /** Every interface of the machine. */
  all: IfaceInfo[];
  /** The interfaces given with --iface (those that exist). */
  given: IfaceInfo[];
  /** Where a receiver listens: the given interfaces, else multicast-expert's default set. */
  listening: IfaceInfo[];
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
}

export function hasAddress(i: IfaceInfo, family: Family): boolean {
  return (family === 'ipv4' ? i.ipv4 : i.ipv6).length > 0;
}

/** The interfaces a receiver listens on when none is given (the library's rule). */
export function defaultListening(all: IfaceInfo[], family: Family): IfaceInfo[] {
  return all.filter((i) => i.up && i.multicast && !i.loopback && hasAddress(i, family));
}

const linux = (ctx: DoctorContext): boolean => ctx.platform === 'linux';
const names = (list: IfaceInfo[]): string => list.map((i) => i.name).join(', ');
const conf = (family: 'ipv4' | 'ipv6', dev: string, key: string): string[] => ['net', family, 'conf', dev, key];

function addressesText(i: IfaceInfo, family: Family): string {
  return (family === 'ipv4' ? i.ipv4 : i.ipv6).map((a) => `${a.address}/${a.prefixLength}`).join(' ');
}

/**
 * The interface to name in a suggested command: the given one, else one a receiver would use, else
 * (a host with nothing but the loopback interface) the loopback interface; 'IFACE' when there is none.
 */
function suggestIface(ctx: DoctorContext): { name: string; loopback: boolean } {
  const i = ctx.given[0] ?? ctx.listening[0] ?? defaultListening(ctx.all, ctx.family)[0] ?? ctx.all.find((a) => a.up && a.loopback && hasAddress(a, ctx.family));
  return i === undefined ? { name: 'IFACE', loopback: false } : { name: i.name, loopback: i.loopback };
}

// ---- 1. Interfaces -------------------------------------------------------------------------------

export function checkInterfaces(ctx: DoctorContext, report: Report, notFound: string[]): void {
  for (const spec of notFound) {
    report.problem('interface', `no interface matches ${JSON.stringify(spec)}`, `choose one of: ${names(ctx.all.filter((i) => i.up))} (see \`multicast-expert interfaces\`)`);
  }
  for (const i of ctx.given) {
    let fine = true;
    if (!i.up) {
      fine = false;
      report.problem('interface', `${i.name} is down: nothing is sent or received on it`, linux(ctx) ? `ip link set ${i.name} up` : `bring ${i.name} up`);
    } else if (!i.running && !i.loopback) {
      fine = false;
      report.warning('interface', `${i.name} is up but has no carrier (not running): nothing gets through until the link is up`, 'check the cable, the Wi-Fi association or the virtual switch');
    }
    if (!i.multicast && !i.loopback) {
      fine = false;
      report.problem(
        'interface',
        `${i.name} has no MULTICAST flag: the OS neither sends nor receives multicast on it as it should, and receivers leave it out`,
        isTunnel(i)
          ? `${i.name} looks like a VPN tunnel: use the LAN interface instead (a single-peer WireGuard tunnel can carry it: ip link set ${i.name} multicast on, with 224.0.0.0/4 in AllowedIPs)`
          : linux(ctx)
            ? `ip link set ${i.name} multicast on`
            : `enable multicast on ${i.name}`,
      );
    }
    if (!hasAddress(i, ctx.family)) {
      fine = false;
      report.problem('interface', `${i.name} has no ${ctx.family} address: a socket cannot use it for ${ctx.family}`, `configure an ${ctx.family} address on ${i.name}, or choose an interface that has one`);
    }
    if (fine) {
      const flags = i.loopback ? `up, loopback${i.multicast ? ', multicast' : ' (needs no MULTICAST flag)'}` : `up, running, multicast`;
      report.ok('interface', `${i.name}: ${flags}, ${addressesText(i, ctx.family)}`);
    }
  }
  if (ctx.given.length > 0 || notFound.length > 0) return;

  const defaults = defaultListening(ctx.all, ctx.family);
  if (defaults.length === 0) {
    report.problem(
      'interface',
      `no interface is up, multicast-capable, not loopback and with an ${ctx.family} address: a receiver without an interface has nothing to listen on (ERR_NO_IFACES)`,
      `bring a LAN interface up with multicast on, or pass --iface (--iface lo for this host only)`,
    );
  } else {
    report.ok('interface', `without --iface, receivers listen on ${defaults.map((i) => `${i.name} (${addressesText(i, ctx.family)})`).join(', ')}`);
  }
  for (const i of ctx.all) {
    if (!i.up || i.loopback || i.multicast || !hasAddress(i, ctx.family) || isTunnel(i)) continue;
    report.warning('interface', `${i.name} is up with an ${ctx.family} address but has no MULTICAST flag: receivers leave it out`, linux(ctx) ? `ip link set ${i.name} multicast on` : `enable multicast on ${i.name}`);
  }
}

// ---- 2. Routes -----------------------------------------------------------------------------------

export function checkRoutes(ctx: DoctorContext, report: Report): void {
  if (!linux(ctx)) {
    report.skipped('route', 'the route lookup reads /proc/net (Linux); pass --iface to be independent of routes');
    return;
  }
  const routes = readRoutes(ctx.family);
  if (routes === null) {
    report.skipped('route', `cannot read the ${ctx.family} routing table from /proc/net`);
    return;
  }
  const gateway = getDefaultGatewayIface(ctx.family, { ifaces: ctx.all });
  // Groups that take the same route get one finding.
  const byRoute = new Map<string, { route: Route | null; groups: string[] }>();
  for (const group of ctx.groups) {
    const route = lookupRoute(routes, group);
    const key = route === null ? '' : routeText(route);
    const entry = byRoute.get(key) ?? { route, groups: [] };
    entry.groups.push(group);
    byRoute.set(key, entry);
  }
  // The loopback interface has rules of its own (IPv6 needs a route on it even when it is chosen):
  // the loopback check speaks for it, so that the two never contradict each other.
  const givenLan = ctx.given.filter((i) => !i.loopback);
  for (const { route: r, groups } of byRoute.values()) {
    const group = groups.join(', ');
    if (ctx.given.length > 0) {
      if (givenLan.length > 0)
        report.ok('route', `${group}: the interface is given (${names(givenLan)}), so no route is needed${r === null ? ' (there is none)' : ` (the routing table would use ${r.dev})`}`);
      continue;
    }
    const iface = suggestIface(ctx);
    if (r === null) {
      report.problem(
        'route',
        `no route for ${group} and no interface given: a program that does not choose an interface cannot send to it (ENETUNREACH) nor join it (ENODEV); multicast-expert senders use the default route's interface and there is none (ERR_NO_DEFAULT_IFACE)`,
        `pass --iface ${iface.name} (the iface option${iface.loopback ? '; this host only' : ''}), or add a route: ${multicastRouteCommand(ctx.family, iface.name, iface.loopback)}`,
      );
      continue;
    }
    const via = ctx.all.find((i) => i.name === r.dev);
    if (via !== undefined && isTunnel(via)) {
      report.warning('route', `${group} is routed into ${r.dev}, a VPN tunnel (${routeText(r)}): programs that do not choose an interface send there and join there`, `pass --iface with the LAN interface (${iface.name})`);
    } else if (gateway === null) {
      report.warning('route', `${group} goes out of ${r.dev} (${routeText(r)}), but there is no default route: multicast-expert senders without an interface fail (ERR_NO_DEFAULT_IFACE)`, `pass --iface ${r.dev} (the iface option)`);
    } else if (gateway.name !== r.dev) {
      report.warning('route', `the routing table sends ${group} out of ${r.dev} (${routeText(r)}), but multicast-expert senders without an interface use the default route's ${gateway.name}`, `pass --iface to choose one`);
    } else {
      report.ok('route', `${group} goes out of ${r.dev} (${routeText(r)})`);
    }
  }
}

// ---- 3. Reverse-path filtering -------------------------------------------------------------------

export function checkRpFilter(ctx: DoctorContext, report: Report): void {
  if (!linux(ctx)) return;
  if (ctx.family === 'ipv6') {
    report.skipped('rp_filter', 'IPv6 has no rp_filter (a firewall rpfilter rule can act alike: see firewall)');
    return;
  }
  const routes = readRoutes('ipv4') ?? [];
  const all = sysctlInt(conf('ipv4', 'all', 'rp_filter')) ?? 0;
  let filtering = false;
  for (const i of ctx.listening) {
    if (i.loopback) continue;
    const dev = sysctlInt(conf('ipv4', i.name, 'rp_filter')) ?? 0;
    const effective = Math.max(all, dev);
    if (effective > 0) filtering = true;
    const mode = effective === 0 ? 'off (0)' : effective === 1 ? 'strict (1)' : 'loose (2)';
    const set = (value: number): string => sysctlCommand([[conf('ipv4', 'all', 'rp_filter'), value], [conf('ipv4', i.name, 'rp_filter'), value]]);
    const values = `all=${all}, ${i.name}=${dev}; the larger applies`;
    if (ctx.sources.length > 0) {
      for (const source of ctx.sources) {
        const r = lookupRoute(routes, source);
        if (effective === 0) {
          report.ok('rp_filter', `off on ${i.name}: datagrams from ${source} pass whatever the routes`);
        } else if (r === null) {
          report.problem(
            'rp_filter',
            `${mode} on ${i.name} (${values}) and there is no route to the sender ${source}: its datagrams are dropped before any socket sees them`,
            `add a route for the sender's network via ${i.name} (ip route add ${source}/32 dev ${i.name}), or turn the filter off: ${set(0)}`,
          );
        } else if (effective === 1 && r.dev !== i.name) {
          report.problem(
            'rp_filter',
            `strict (1) on ${i.name} (${values}) and the route back to the sender ${source} goes out of ${r.dev} (${routeText(r)}), not ${i.name}: its datagrams are dropped before any socket sees them`,
            `make it loose: ${set(2)}, or route ${source} via ${i.name}`,
          );
        } else {
          report.ok('rp_filter', `${mode} on ${i.name}: the sender ${source} is routed back via ${r.dev}, so its datagrams pass`);
        }
      }
      continue;
    }
    if (effective === 0) report.ok('rp_filter', `off on ${i.name}`);
    else if (effective === 2) report.ok('rp_filter', `loose (2) on ${i.name}: only datagrams from senders with no route at all are dropped`);
    else
      report.warning(
        'rp_filter',
        `strict (1) on ${i.name} (${values}): datagrams from senders whose route back does not go out of ${i.name} are dropped silently (check a sender with --source ADDRESS)`,
        `make it loose: ${set(2)}, or route the senders' networks via ${i.name}`,
      );
  }
  const dropped = pairedCounter(readText('/proc/net/netstat') ?? '', 'TcpExt', 'IPReversePathFilter');
  if (filtering && dropped !== null && dropped > 0)
    report.warning('rp_filter', `the kernel has dropped ${dropped} packet${dropped === 1 ? '' : 's'} by reverse-path filtering so far (TcpExt IPReversePathFilter in /proc/net/netstat)`, 'find the senders with --source ADDRESS; make the filter loose or route their networks via the receiving interface');
}

// ---- 4. accept_local -----------------------------------------------------------------------------

export function checkAcceptLocal(ctx: DoctorContext, report: Report): void {
  if (!linux(ctx) || ctx.family !== 'ipv4') return;
  const all = sysctlInt(conf('ipv4', 'all', 'accept_local')) ?? 0;
  for (const i of ctx.listening) {
    if (i.loopback) continue;
    const dev = sysctlInt(conf('ipv4', i.name, 'accept_local')) ?? 0;
    if (all > 0 || dev > 0) {
      report.ok('accept_local', `on for ${i.name}: datagrams from this host's own addresses are accepted`);
      continue;
    }
    const siblings = ctx.all.filter((o) => o.index !== i.index && o.up && !o.loopback && o.ipv4.some((a) => i.ipv4.some((b) => inPrefix(a.address, b.address, b.prefixLength))));
    const ownSources = ctx.sources.filter((s) => ctx.all.some((o) => o.index !== i.index && o.ipv4.some((a) => a.address === s)));
    if (siblings.length > 0 || ownSources.length > 0) {
      report.warning(
        'accept_local',
        `0 on ${i.name}, and ${ownSources.length > 0 ? `the sender ${ownSources.join(', ')} is this host's own address` : `${names(siblings)} share${siblings.length === 1 ? 's' : ''} its network`}: datagrams that this host sends out of another interface arrive on ${i.name} from its own address and are dropped`,
        sysctlCommand([[conf('ipv4', i.name, 'accept_local'), 1]]),
      );
    } else {
      report.ok('accept_local', `0 on ${i.name} (matters only when two interfaces of this host share a network)`);
    }
  }
}

// ---- 5. IGMP / MLD -------------------------------------------------------------------------------

export function checkMembershipProtocol(ctx: DoctorContext, report: Report): void {
  if (!linux(ctx)) return;
  const check = ctx.family === 'ipv4' ? 'igmp' : 'mld';
  const targets = ctx.listening.filter((i) => !i.loopback);
  if (targets.length === 0) return;
  const ssm = ctx.sources.length > 0;
  if (ctx.family === 'ipv4') {
    const igmp = parseIgmp(readText('/proc/net/igmp') ?? '');
    const forcedAll = sysctlInt(conf('ipv4', 'all', 'force_igmp_version')) ?? 0;
    for (const i of targets) {
      const state = igmp.get(i.name);
      const forcedDev = sysctlInt(conf('ipv4', i.name, 'force_igmp_version')) ?? 0;
      const forced = forcedDev || forcedAll;
      const heard = state?.querier === 'V1' || state?.querier === 'V2' ? state.querier : null;
      if (ssm && ((forced > 0 && forced < 3) || heard !== null)) {
        report.problem(
          check,
          `${i.name} speaks IGMPv${forced > 0 && forced < 3 ? `${forced} (force_igmp_version)` : `${heard?.slice(1)} (an IGMP${heard?.toLowerCase()} querier is on the LAN)`}, which cannot carry source-specific joins: the network never learns the sources you asked for`,
          forced > 0 ? sysctlCommand([[conf('ipv4', 'all', 'force_igmp_version'), 0], [conf('ipv4', i.name, 'force_igmp_version'), 0]]) : "make the LAN's querier (switch or router) speak IGMPv3",
        );
      } else if (forced > 0) {
        report.ok(check, `${i.name}: IGMPv${forced}, forced by force_igmp_version`);
      } else if (heard !== null) {
        report.ok(check, `${i.name}: an IGMP${heard.toLowerCase()} querier is present (this host answers in IGMP${heard.toLowerCase()})`);
      } else {
        report.ok(check, `${i.name}: IGMPv3; no IGMPv1/v2 querier heard (an IGMPv3 querier does not show in /proc/net/igmp: if reception stops about 4 minutes after joining, the LAN's switch snoops without a querier)`);
      }
    }
    return;
  }
  const forcedAll = sysctlInt(conf('ipv6', 'all', 'force_mld_version')) ?? 0;
  for (const i of targets) {
    const forced = sysctlInt(conf('ipv6', i.name, 'force_mld_version')) || forcedAll;
    const queries = listedCounter(readText(`/proc/net/dev_snmp6/${i.name}`) ?? '', 'Icmp6InGroupMembQueries');
    if (ssm && forced === 1) {
      report.problem(check, `${i.name} is forced to MLDv1 (force_mld_version), which cannot carry source-specific joins`, sysctlCommand([[conf('ipv6', 'all', 'force_mld_version'), 0], [conf('ipv6', i.name, 'force_mld_version'), 0]]));
    } else if (queries === null) {
      report.skipped(check, `${i.name}: no MLD counters in /proc/net/dev_snmp6`);
    } else if (queries > 0) {
      report.ok(check, `${i.name}: ${queries} MLD quer${queries === 1 ? 'y' : 'ies'} heard, so a querier is present`);
    } else {
      report.warning(
        check,
        `${i.name}: no MLD query heard since it came up: where the LAN's switches snoop MLD without a querier, they stop forwarding a group about 4 minutes after it was joined`,
        'enable an MLD querier on the LAN (switch or router), or turn MLD snooping off',
      );
    }
  }
}

// ---- 6. Membership limits ------------------------------------------------------------------------

export function checkMembershipLimits(ctx: DoctorContext, report: Report): void {
  if (!linux(ctx)) return;
  const ifaces = Math.max(1, ctx.listening.length);
  const groups = ctx.groups.length;
  if (ctx.family === 'ipv4') {
    const key = ['net', 'ipv4', 'igmp_max_memberships'];
    const max = sysctlInt(key);
    const oneSocket = groups * ifaces;
    const shape = `${groups} group${groups === 1 ? '' : 's'} on ${ifaces} interface${ifaces === 1 ? '' : 's'}`;
    if (max === null) report.skipped('memberships', 'cannot read net.ipv4.igmp_max_memberships');
    else if (max < ifaces)
      report.problem('memberships', `net.ipv4.igmp_max_memberships is ${max}, below the ${ifaces} memberships one group needs on ${ifaces} interfaces: joins fail with ENOBUFS`, sysctlCommand([[key, Math.max(20, oneSocket)]]));
    else if (max < oneSocket)
      report.problem(
        'memberships',
        `net.ipv4.igmp_max_memberships is ${max}, below the ${oneSocket} memberships of ${shape} on one socket: a program that joins them on one socket (Node's dgram, most tools) fails with ENOBUFS after ${max} (multicast-expert opens one socket per group and needs ${ifaces})`,
        sysctlCommand([[key, Math.max(20, oneSocket)]]),
      );
    else report.ok('memberships', `net.ipv4.igmp_max_memberships is ${max}, enough for ${shape} even on one socket`);
  } else {
    report.ok('memberships', 'IPv6 has no per-socket membership limit');
  }
  if (ctx.sources.length > 0) {
    const key = ctx.family === 'ipv4' ? ['net', 'ipv4', 'igmp_max_msf'] : ['net', 'ipv6', 'mld_max_msf'];
    const max = sysctlInt(key);
    if (max !== null && max < ctx.sources.length)
      report.problem('memberships', `${key.join('.')} is ${max}, below the ${ctx.sources.length} sources asked for: source-specific joins fail with ENOBUFS`, sysctlCommand([[key, ctx.sources.length]]));
    else if (max !== null) report.ok('memberships', `${key.join('.')} is ${max}, enough for ${ctx.sources.length} source${ctx.sources.length === 1 ? '' : 's'}`);
  }
}

// ---- 7. Receive buffers --------------------------------------------------------------------------

const kUsefulBuffer = 4 * 1024 * 1024;

function bytesText(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB` : `${Math.round(n / 1024)} KiB`;
}

export function checkBuffers(ctx: DoctorContext, report: Report): void {
  if (!linux(ctx)) return;
  const key = ['net', 'core', 'rmem_max'];
  const max = sysctlInt(key);
  if (max === null) {
    report.skipped('buffers', 'cannot read net.core.rmem_max');
    return;
  }
  const v4 = pairedCounter(readText('/proc/net/snmp') ?? '', 'Udp', 'RcvbufErrors') ?? 0;
  const v6 = listedCounter(readText('/proc/net/snmp6') ?? '', 'Udp6RcvbufErrors') ?? 0;
  const overflows = v4 + v6;
  const raise = `${sysctlCommand([[key, kUsefulBuffer]])}, then listen with --buffer ${kUsefulBuffer} (receiveBufferSize)`;
  if (overflows > 0) {
    report.warning(
      'buffers',
      `UDP receive buffers have overflowed ${overflows} time${overflows === 1 ? '' : 's'} so far (RcvbufErrors): datagrams were dropped${max < kUsefulBuffer ? `, and net.core.rmem_max caps a receiver's buffer at ${bytesText(max)}` : ''}`,
      max < kUsefulBuffer ? raise : 'ask for a larger buffer (--buffer, receiveBufferSize) or read faster',
    );
  } else if (max < kUsefulBuffer) {
    report.ok('buffers', `net.core.rmem_max is ${bytesText(max)}: enough for moderate rates; for bursts: ${raise}`);
  } else {
    report.ok('buffers', `net.core.rmem_max is ${bytesText(max)}: room for bursts`);
  }
}

// ---- 8. Loopback ---------------------------------------------------------------------------------

export function checkLoopback(ctx: DoctorContext, report: Report): void {
  const lo = ctx.given.find((i) => i.loopback);
  if (lo === undefined) return;
  if (ctx.platform === 'darwin') {
    report.warning('loopback', `on macOS the default multicast route points at the LAN interface, so programs that do not choose ${lo.name} send there`, 'sudo route add -net 224.0.0.0/4 -interface lo0');
    return;
  }
  if (!linux(ctx)) return;
  const routes = readRoutes(ctx.family);
  if (routes === null) {
    report.skipped('loopback', 'cannot read the routing table');
    return;
  }
  for (const group of ctx.groups) {
    if (ctx.family === 'ipv6') {
      const r = lookupRoute(routes, group, lo.name);
      if (r !== null) report.ok('loopback', `${group} has a route on ${lo.name} (${routeText(r)})`);
      else
        report.problem(
          'loopback',
          `no route for ${group} on ${lo.name}: Linux loops IPv6 multicast back on ${lo.name} only with one, and sending fails with ENETUNREACH`,
          `ip -6 route add local ff00::/8 dev ${lo.name} table local`,
        );
    } else {
      const r = lookupRoute(routes, group);
      if (r?.dev === lo.name) report.ok('loopback', `${group} is routed to ${lo.name} (${routeText(r)})`);
      else
        report.warning(
          'loopback',
          r === null
            ? `there is no route for ${group}: multicast-expert chooses ${lo.name} itself and needs none, but programs that follow the routing table cannot send to it (ENETUNREACH)`
            : `the routing table sends ${group} out of ${r.dev} (${routeText(r)}), not ${lo.name}: multicast-expert chooses ${lo.name} itself, but programs that follow the routing table send out of ${r.dev}`,
          `ip route add ${group}/32 dev ${lo.name}`,
        );
    }
  }
}

// ---- 9. Tunnels, containers, WSL ------------------------------------------------------------------

export function checkEnvironment(ctx: DoctorContext, report: Report): void {
  let found = false;
  const gateway = getDefaultGatewayIface(ctx.family, { ifaces: ctx.all });
  for (const i of ctx.all) {
    if (!i.up || !isTunnel(i)) continue;
    found = true;
    const what = `${i.name} is a VPN or tunnel interface${i.multicast ? '' : ' without multicast'}`;
    if (gateway?.index === i.index)
      report.warning('environment', `${what} and carries the ${ctx.family} default route: senders and joins without an interface go into the tunnel, where multicast does not arrive`, `pass --iface with the LAN interface (the iface option)`);
    else if (!ctx.given.some((g) => g.index === i.index)) report.ok('environment', `${what}${i.multicast ? '' : ': receivers leave it out'}`);
  }
  const container = linux(ctx) ? containerKind() : null;
  if (container !== null) {
    found = true;
    report.warning('environment', `running in a ${container} container: on a bridge network, multicast neither leaves the host nor reaches this container from the LAN`, 'run the container with --network host, or attach it to a macvlan or ipvlan network');
  }
  const bridges = containerBridges(ctx.all);
  if (bridges.length > 0) {
    found = true;
    report.ok('environment', `${names(bridges)}: containers on these bridges do not get the LAN's multicast (use --network host or macvlan for them)`);
  }
  if (linux(ctx) && isWsl(ctx.env)) {
    found = true;
    report.warning('environment', 'running under WSL 2: in its default NAT mode, multicast from the LAN does not arrive', 'set networkingMode=mirrored in %UserProfile%\\.wslconfig and allow it in the Hyper-V firewall, or run on Windows itself');
  }
  if (!found) report.ok('environment', 'no VPN tunnel, container or WSL in the way');
}

// ---- 10. Platform notes --------------------------------------------------------------------------

export function checkPlatform(ctx: DoctorContext, report: Report): void {
  if (ctx.platform === 'darwin') {
    report.warning(
      'macos',
      'macOS 15 and later ask for Local Network access: until it is granted, sends fail with EHOSTUNREACH and nothing arrives',
      'System Settings > Privacy & Security > Local Network: allow your terminal (or node); root and SSH sessions are exempt',
    );
    report.ok('macos', 'receivers share a port with SO_REUSEPORT, which multicast-expert sets; other programs on the same port must set it too (else EADDRINUSE)');
  } else if (ctx.platform === 'win32') {
    report.ok('windows', 'Windows Defender Firewall asks the first time node receives; if it was refused, allow node.exe for UDP on the Private profile');
  }
}

// ---- 11. Firewall --------------------------------------------------------------------------------

export function checkFirewall(ctx: DoctorContext, report: Report): void {
  if (!linux(ctx)) return;
  const reading = readFirewall(ctx.family, ctx.port);
  if ('skipped' in reading) {
    report.skipped('firewall', reading.skipped);
    return;
  }
  for (const f of reading.findings) report.add('firewall', f.severity, f.message, f.fix);
  if (reading.findings.length === 0)
    report.ok('firewall', `no ${reading.tool} rule drops ${ctx.family === 'ipv4' ? 'IGMP' : 'MLD'}${ctx.port === undefined ? '' : ` or udp port ${ctx.port}`}`);
}

// ---- 12. Self-test -------------------------------------------------------------------------------

/** The self-test's port when none is given: a high one, different per run. */
function selfTestPort(): number {
  return 40000 + Math.floor(Math.random() * 20000);
}

/** What the self-test will do: where it joins and sends. */
export interface SelfTestPlan {
  targets: IfaceInfo[];
  group: string;
  port: number;
}

/** The interfaces, group and port of the self-test; null when no interface is up to test on. */
export function planSelfTest(ctx: DoctorContext): SelfTestPlan | null {
  const targets = (ctx.given.length > 0 ? ctx.given : ctx.listening).filter((i) => i.up).slice(0, 4);
  if (targets.length === 0) return null;
  return { targets, group: ctx.groups[0] as string, port: ctx.port ?? selfTestPort() };
}

/**
 * The line printed before the self-test, so that nobody is surprised: joining a group on a LAN
 * interface sends a membership report onto that LAN. The datagram itself (TTL 0) stays on the host.
 */
export function selfTestNotice(plan: SelfTestPlan, family: Family): string {
  const lan = plan.targets.filter((i) => !i.loopback);
  const report = family === 'ipv4' ? 'an IGMP membership report' : 'an MLD report';
  const leaves = lan.length > 0 ? ` (${report} goes out on ${names(lan)})` : '';
  return `joining ${plan.group} on ${names(plan.targets)}${leaves} and sending one datagram to ${hostPort(plan.group, plan.port)} with TTL 0, which stays on this host; --no-self-test skips it`;
}

export async function checkSelfTest(ctx: DoctorContext, report: Report, plan: SelfTestPlan | null): Promise<void> {
  if (plan === null) {
    report.skipped('self-test', 'no interface that is up to test on');
    return;
  }
  const { group, port } = plan;
  for (const iface of plan.targets) {
    const r = await selfTest(iface, ctx.family, group, port, 2000);
    if (r.ok) {
      report.ok('self-test', `${iface.name}: joined ${group}, sent to it with TTL 0 and received the datagram back in ${r.rttMs.toFixed(1)} ms`);
      continue;
    }
    // The self-test names its interface, so the hint never says to pass one.
    const e = r.error === undefined ? null : explain(r.error, { ifaces: [iface.name], family: ctx.family, destinations: [[group, port]] });
    const hint = e instanceof CliError ? e.hint : undefined;
    const others = report.findings.some((f) => f.status === 'problem' && f.check !== 'self-test');
    report.problem(
      'self-test',
      `${iface.name}: joined ${group} and sent to it with TTL 0, but ${e === null ? r.reason : `it failed: ${e.message}`}`,
      others ? 'fix the problems above first' : (hint ?? `check the firewall (udp port ${port}, ${ctx.family === 'ipv4' ? 'IGMP' : 'MLD'}) and the interface`),
    );
  }
}
