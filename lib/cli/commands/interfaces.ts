/**
 * `multicast-expert interfaces`: every interface with its index, flags, MTU, addresses, and which
 * one carries the default route of each family.
 * @internal
 * @module
 */
import { type Family, type IfaceInfo, getDefaultGatewayIface, scanInterfaces } from '../../index';
import { COMMON } from '../args';
import type { Command } from '../command';
import { jsonLine, table } from '../output';

/** The flags of an interface, as words. */
export function flagWords(i: IfaceInfo): string[] {
  const words = [i.up ? 'up' : 'down'];
  if (i.running) words.push('running');
  if (i.multicast) words.push('multicast');
  if (i.loopback) words.push('loopback');
  if (i.pointToPoint) words.push('pointopoint');
  return words;
}

function addresses(i: IfaceInfo): string[] {
  return [...i.ipv4.map((a) => `${a.address}/${a.prefixLength}`), ...i.ipv6.map((a) => `${a.address}/${a.prefixLength}`)];
}

export const interfacesCommand: Command = {
  spec: {
    name: 'interfaces',
    usage: '[--all] [--json]',
    summary: 'list interfaces: index, name, flags, addresses, default route',
    description: [
      'Lists the interfaces of this machine as multicast-expert sees them: index, name (and the friendly name on Windows), flags, MTU, addresses, and which interface carries the default route for IPv4 and IPv6 (where a sender without an interface sends).',
      'Without --all, interfaces that are down are left out.',
    ],
    options: {
      all: { type: 'boolean', short: 'a', description: 'also interfaces that are down' },
      json: COMMON.json,
    },
    positionals: { min: 0, max: 0 },
  },

  async run(args, io) {
    const all = scanInterfaces();
    const defaults: Record<Family, IfaceInfo | null> = { ipv4: getDefaultGatewayIface('ipv4', { ifaces: all }), ipv6: getDefaultGatewayIface('ipv6', { ifaces: all }) };
    const shown = args.flag('all') ? all : all.filter((i) => i.up);
    const defaultFor = (i: IfaceInfo): Family[] => (['ipv4', 'ipv6'] as const).filter((f) => defaults[f]?.index === i.index);
    if (args.flag('json')) {
      io.out.write(
        jsonLine({
          defaultIpv4: defaults.ipv4?.name ?? null,
          defaultIpv6: defaults.ipv6?.name ?? null,
          interfaces: shown.map((i) => ({ ...i, defaultRoute: defaultFor(i) })),
        }),
      );
      return 0;
    }
    const s = io.style;
    const rows: string[][] = [['INDEX', 'NAME', 'FLAGS', 'MTU', 'DEFAULT', 'ADDRESSES'].map((h) => s.bold(h))];
    for (const i of shown) {
      const name = i.friendlyName !== i.name ? `${i.name} (${i.friendlyName})` : i.name;
      const flags = flagWords(i).join(',');
      const addrs = addresses(i);
      rows.push([
        String(i.index),
        i.up ? s.bold(name) : s.dim(name),
        i.up ? (i.multicast ? flags : s.yellow(flags)) : s.dim(flags),
        i.mtu === null ? '-' : String(i.mtu),
        defaultFor(i).join(',') || '-',
        addrs[0] ?? s.dim('(no address)'),
      ]);
      for (const a of addrs.slice(1)) rows.push(['', '', '', '', '', a]);
    }
    for (const line of table(rows, ['right'])) io.out.write(`${line}\n`);
    if (defaults.ipv4 === null && defaults.ipv6 === null) io.out.write(s.dim('no default route: senders need an interface (--iface)\n'));
    return 0;
  },
};
