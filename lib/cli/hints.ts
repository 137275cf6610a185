/**
 * Errors as the command line explains them. The library's hints speak to programs (`the iface
 * option`, `scanInterfaces()`, `pass the interface explicitly`); a user of the command needs its
 * options (`--iface`, `--port`) and its subcommands (`multicast-expert interfaces`). So the CLI
 * owns the hint of every library code whose hint names the API, chosen by the error's code and what
 * the command line was given, never by matching the library's wording; the hints of other codes
 * (sysctl limits, firewalls, VRFs, Windows errors) speak of the system and pass through unchanged.
 * @internal
 * @module
 */
import * as net from 'node:net';

import { ErrorCodes, type Family, MulticastExpertError, findInterfaces, scanInterfaces } from '../index';
import { hostPort } from './output';

/** A failure already worded for the command line: printed as `error: <message> (<hint>)`, exit 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** What the command line was given, which decides what a hint can tell the user to do. */
export interface HintContext {
  /** The --iface values given (empty: the interface was left to the library). */
  ifaces: string[];
  /** The family of the command's sockets, where it has one. */
  family?: Family;
  /** Group and port pairs the command sends to: the library names them as `group:port`, which needs brackets for IPv6. */
  destinations?: [string, number][];
  platform?: NodeJS.Platform;
}

const kList = '`multicast-expert interfaces` lists them';

/** `ff15::1:5000` (as the library names a destination) as `[ff15::1]:5000`. */
function bracketDestinations(message: string, destinations: [string, number][]): string {
  let out = message;
  for (const [group, port] of destinations) {
    if (net.isIPv6(group)) out = out.split(`${group}:${port}`).join(hostPort(group, port));
  }
  return out;
}

/** A given --iface that is an address label (`eth0:1`), not an interface: the interface it labels. */
function labelledIface(ifaces: string[]): { spec: string; base: string } | null {
  for (const spec of ifaces) {
    const colon = spec.indexOf(':');
    if (colon <= 0 || net.isIP(spec.split('%')[0] as string) !== 0) continue;
    const base = spec.slice(0, colon);
    try {
      if (scanInterfaces().some((i) => i.name === base)) return { spec, base };
    } catch {
      return null;
    }
  }
  return null;
}

/** The command to add a multicast route, for the interface `dev` (a placeholder when unknown). */
export function multicastRouteCommand(family: Family, dev: string, loopback: boolean): string {
  if (family === 'ipv4') return `ip route add 224.0.0.0/4 dev ${dev}`;
  return loopback ? `ip -6 route add local ff00::/8 dev ${dev} table local` : `ip -6 route add multicast ff00::/8 dev ${dev} table local`;
}

function noRouteHint(ctx: HintContext): string {
  const platform = ctx.platform ?? process.platform;
  const given = ctx.ifaces.length > 0;
  const choose = given ? '' : 'pass --iface, or ';
  if (platform === 'darwin') return `${given ? '' : 'pass --iface; '}on macOS 15 and later, also allow this terminal "Local Network" access in System Settings > Privacy & Security`;
  if (platform === 'win32') return `${choose}on the loopback interface, Windows sends to a group only once a receiver on this host has joined it there`;
  let dev = ctx.ifaces[0] ?? 'IFACE';
  let loopback = false;
  try {
    const found = ctx.ifaces.length > 0 ? findInterfaces([dev])[0] : undefined;
    if (found !== undefined) [dev, loopback] = [found.name, found.loopback];
  } catch {
    // An interface that cannot be found keeps its name as given.
  }
  const routes =
    ctx.family !== undefined
      ? multicastRouteCommand(ctx.family, dev, loopback)
      : `IPv4: ${multicastRouteCommand('ipv4', dev, false)}; IPv6 on lo: ${multicastRouteCommand('ipv6', 'lo', true)}`;
  return `${choose}add a multicast route: ${routes}`;
}

/** The hint the command line gives for `err`; undefined when there is nothing to add. */
export function cliHint(err: MulticastExpertError, ctx: HintContext): string | undefined {
  const given = ctx.ifaces.length > 0;
  switch (err.code) {
    case ErrorCodes.IFACE_NOT_FOUND: {
      const label = labelledIface(ctx.ifaces);
      if (label !== null) return `${label.spec} is an address label of ${label.base}, not an interface: give --iface ${label.base}, or the labelled address`;
      return `give --iface a name, index or address; ${kList}`;
    }
    case ErrorCodes.IFACE_AMBIGUOUS:
      return `give --iface by name or index instead; ${kList}`;
    case ErrorCodes.IFACE_NO_ADDRESS:
      return 'choose an --iface that has one, or configure one; `multicast-expert interfaces` shows the addresses';
    case ErrorCodes.NO_DEFAULT_IFACE:
      return `pass --iface with a name such as eth0, an index or an address; ${kList}`;
    case ErrorCodes.NO_IFACES:
      return `pass --iface, or --iface lo for this host only; ${kList}`;
    case ErrorCodes.INVALID_ADDRESS:
      return err.message.includes('%') ? 'give the address without %zone, and the interface with --iface' : 'give a multicast address such as 239.1.2.3 or ff15::1234';
    case ErrorCodes.NOT_MULTICAST:
      return 'IPv4 groups are 224.0.0.0 to 239.255.255.255, 239.x.x.x for private use; IPv6 groups start with ff';
    case ErrorCodes.FAMILY_MISMATCH:
      return given ? "give --iface by name, or an address of the group's family" : undefined;
    case ErrorCodes.MESSAGE_TOO_LARGE:
      return 'a datagram carries at most 65507 bytes over IPv4 and 65527 over IPv6, 24 fewer with --seq: send less, or cut stdin into datagrams with --size';
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return noRouteHint(ctx);
    case 'ENODEV':
      return given
        ? 'the interface is gone, down or cannot do multicast: bring it back or choose another --iface, then run the command again; `multicast-expert interfaces` lists them'
        : 'the interface is gone, down or cannot do multicast: choose one with --iface; `multicast-expert interfaces` lists them';
    case 'EADDRINUSE':
      return (ctx.platform ?? process.platform) === 'win32'
        ? 'another program holds the port exclusively: stop it, or choose another --port'
        : 'another program holds the port without address reuse: stop it, or choose another --port';
    case 'EADDRNOTAVAIL':
      if (err.message.includes('duplicate address detection'))
        return 'an IPv6 address just added is "tentative" for a second or two: run the command again then; "dadfailed" in `ip -6 addr` means another host on the link has it';
      return 'the interface has no such address, or the group cannot be joined there: check --iface and the group; `multicast-expert interfaces` lists the interfaces';
    default:
      // Codes whose library hints speak of the system, not of the API.
      return err.hint;
  }
}

/** `err` as the command line reports it: the library's message (IPv6 destinations in brackets) with the CLI's hint. */
export function explain(err: unknown, ctx: HintContext): Error {
  if (!(err instanceof MulticastExpertError)) return err instanceof Error ? err : new Error(String(err));
  return new CliError(bracketDestinations(err.message, ctx.destinations ?? []), cliHint(err, ctx));
}
