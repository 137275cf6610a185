/**
 * Where multicast cannot go whatever the program does: VPN tunnels (point-to-point, usually without
 * the MULTICAST flag), containers on bridge networks, WSL 2 in NAT mode.
 * @internal
 * @module
 */
import * as fs from 'node:fs';

import type { IfaceInfo } from '../../index';
import { readText } from './proc';

/** Interface names of VPNs and tunnels. */
const kTunnelName = /^(tun|tap|wg|ppp|utun|ipsec|gre|sit|ip6tnl|tailscale|zt|nordlynx|proton|vpn)/i;

/** A VPN or tunnel interface: point-to-point, or named like one. Most carry no multicast. */
export function isTunnel(i: IfaceInfo): boolean {
  return !i.loopback && (i.pointToPoint || kTunnelName.test(i.name));
}

/** Docker, Podman or Kubernetes, from the files they leave; null outside a container. */
export function containerKind(): string | null {
  if (fs.existsSync('/.dockerenv')) return 'Docker';
  if (fs.existsSync('/run/.containerenv')) return 'Podman';
  const cgroup = readText('/proc/1/cgroup') ?? '';
  if (/kubepods/.test(cgroup)) return 'Kubernetes';
  if (/docker|containerd/.test(cgroup)) return 'Docker';
  return null;
}

/** True under Windows Subsystem for Linux. */
export function isWsl(env: NodeJS.ProcessEnv): boolean {
  if (env.WSL_DISTRO_NAME !== undefined || env.WSL_INTEROP !== undefined) return true;
  return /microsoft|wsl/i.test(readText('/proc/version') ?? '');
}

/** Bridges of container engines on this host (docker0, br-xxxx, cni0, podman0). */
export function containerBridges(ifaces: IfaceInfo[]): IfaceInfo[] {
  return ifaces.filter((i) => /^(docker\d|br-[0-9a-f]{12}|cni\d|podman\d)$/.test(i.name));
}
