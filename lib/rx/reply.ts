/**
 * What a receiver's reply() sends, worked out from the datagram it answers: where to (its group, or
 * its sender), out of which interface (the one it arrived on, as the receiver sees it now), from
 * which source address of that interface, with which TTL. The receiver sends it from its own port
 * (see RxSocket::Reply in native/rx_socket.cc).
 * @internal
 * @module
 */
import { type Family, describe, parseIp } from '../addresses';
import { ErrorCodes, MulticastExpertError, callNative, fail } from '../errors';
import { type IfaceInfo, preferredAddress } from '../interfaces';
import type { NativeRxSocket } from '../native';
import { checkInteger, checkOptions } from '../options';
import type { McastMessage, ReplyOptions } from './types';

/** A reply, ready for the native side. */
export interface ReplyPlan {
  /** The group the answered datagram was sent to: its OS socket sends the reply. */
  group: string;
  ifindex: number;
  source: string;
  destination: string;
  port: number;
  ttl: number;
  /** Says what is being done, in errors. */
  what: string;
}

/** Is `address` (IPv6, no zone) link-local unicast or a link- or interface-local group? */
function linkScoped(address: string): boolean {
  const a = address.toLowerCase();
  return /^fe[89ab]/.test(a) || /^ff[0-9a-f][12]:/.test(a);
}

/** The source address of a reply to `destination` out of `iface`: for a link-scoped IPv6 destination, a link-local one where there is one. */
function sourceFor(iface: IfaceInfo, family: Family, destination: string): string | undefined {
  if (family === 'ipv6' && linkScoped(destination)) {
    const linkLocal = iface.ipv6.find((a) => a.scopeId !== undefined && a.scopeId !== 0);
    if (linkLocal !== undefined) return linkLocal.address;
  }
  return preferredAddress(iface, family)?.address;
}

/** Checks `msg` as far as reply() reads it: a datagram this family of receiver could have received. */
function checkMessage(msg: unknown, family: Family): McastMessage {
  const m = msg as Partial<McastMessage> | null;
  const shape = 'a McastMessage this receiver delivered';
  if (typeof m !== 'object' || m === null) fail(ErrorCodes.INVALID_OPTION, `msg must be ${shape}, got ${describe(msg)}`);
  const group = typeof m.group === 'string' ? parseIp(m.group) : null;
  if (group === null) fail(ErrorCodes.INVALID_OPTION, `msg.group must be the group address of ${shape}, got ${describe(m.group)}`);
  if (group.family !== family) fail(ErrorCodes.FAMILY_MISMATCH, `msg.group ${group.address} is ${group.family}, the receiver ${family}`);
  checkInteger(m.ifaceIndex, 'msg.ifaceIndex', 1, 0xffffffff);
  checkInteger(m.port, 'msg.port', 1, 65535);
  const source = m.source as Partial<McastMessage['source']> | undefined;
  if (typeof source !== 'object' || source === null || typeof source.address !== 'string' || parseIp(source.address) === null)
    fail(ErrorCodes.INVALID_OPTION, `msg.source must be the sender { address, port } of ${shape}, got ${describe(source)}`);
  checkInteger(source.port, 'msg.source.port', 1, 65535);
  return m as McastMessage;
}

/**
 * The reply to `msg` with `options`, out of the interface it arrived on as `ifaces` (the receiver's,
 * as last seen) has it. Throws MulticastExpertErrors: bad arguments, and ENODEV (naming the
 * interface) when the receiver no longer listens there.
 */
export function planReply(msg: unknown, options: unknown, family: Family, defaultTtl: number, ifaces: readonly IfaceInfo[]): ReplyPlan {
  const m = checkMessage(msg, family);
  const o = checkOptions<ReplyOptions>(options, ['to', 'ttl'], 'reply options');
  if (o.to !== undefined && o.to !== 'group' && o.to !== 'source') fail(ErrorCodes.INVALID_OPTION, `reply options.to must be 'group' or 'source', got ${describe(o.to)}`);
  const toSource = o.to === 'source';
  const ttl = o.ttl === undefined ? defaultTtl : checkInteger(o.ttl, 'reply options.ttl', 1, 255);
  // A link-local sender's zone is the arrival interface, which the reply names anyway.
  const destination = toSource ? (m.source.address.split('%')[0] as string) : m.group;
  const port = toSource ? m.source.port : m.port;
  const what = `replying to ${toSource ? `${m.source.address}:${port}` : `${m.group}:${port}`} on ${typeof m.ifaceName === 'string' ? m.ifaceName : `interface ${m.ifaceIndex}`}`;
  if (parseIp(destination)?.family !== family) fail(ErrorCodes.FAMILY_MISMATCH, `${what}: ${destination} is not ${family}`);
  const iface = ifaces.find((i) => i.index === m.ifaceIndex);
  if (iface === undefined) {
    throw new MulticastExpertError('ENODEV', `${what}: the receiver no longer listens on interface ${m.ifaceName} (index ${m.ifaceIndex}): it is gone, or was left`, {
      syscall: 'sendmsg',
      hint: 'a reply leaves only by the interface its datagram arrived on, never by another: answer datagrams as they arrive',
    });
  }
  const source = sourceFor(iface, family, destination);
  if (source === undefined) {
    throw new MulticastExpertError('ENODEV', `${what}: interface ${iface.name} (index ${iface.index}) has no ${family} address to send from`, {
      syscall: 'sendmsg',
      hint: `replies out of ${iface.name} are possible again once it has an ${family} address`,
    });
  }
  return { group: m.group, ifindex: iface.index, source, destination, port, ttl, what };
}

/** What sending a reply needs of its receiver. */
export interface ReplySender {
  readonly handle: NativeRxSocket;
  readonly closed: boolean;
}

/**
 * Sends a planned reply from the receiver's own socket; while the socket buffer is full, tries again
 * a little later (the kernel makes room within milliseconds).
 */
export function sendReply(rx: ReplySender, plan: ReplyPlan, bytes: Uint8Array, externalLoopback: boolean, ifaceIsLoopback: boolean): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const attempt = (): void => {
      if (rx.closed) {
        reject(new MulticastExpertError(ErrorCodes.SOCKET_CLOSED, `${plan.what}: the McastRxSocket was closed`));
        return;
      }
      let result: 0 | 1 | 2;
      try {
        result = callNative(plan.what, () => rx.handle.reply(plan.group, plan.ifindex, plan.source, plan.destination, plan.port, bytes, plan.ttl, externalLoopback, ifaceIsLoopback));
      } catch (err) {
        reject(err as Error);
        return;
      }
      if (result === 0) resolve();
      else if (result === 2)
        reject(
          new MulticastExpertError('ENODEV', `${plan.what}: the receiver no longer listens on interface index ${plan.ifindex}`, {
            syscall: 'sendmsg',
            hint: 'a reply leaves only by the interface its datagram arrived on, never by another',
          }),
        );
      else setTimeout(attempt, 2);
    };
    attempt();
  });
}
