/**
 * Firewall rules that stop multicast, where they can be read: `nft list ruleset`, else
 * `iptables -S` / `ip6tables -S`. Reading needs root (CAP_NET_ADMIN); without it, or without the
 * tools, the check is skipped and says why. The reading is a heuristic over the rule text: rules
 * that drop IGMP/MLD or the UDP port, and input chains that drop by default without accepting them.
 * @internal
 * @module
 */
import { spawnSync } from 'node:child_process';

import type { Family } from '../../index';

export interface FirewallFinding {
  severity: 'warning' | 'problem';
  message: string;
  fix: string;
}

export type FirewallReading = { tool: string; findings: FirewallFinding[] } | { skipped: string };

const kSbin = ['/usr/sbin', '/sbin', '/usr/local/sbin'];

function run(tool: string, args: string[]): { ok: true; stdout: string } | { ok: false; why: string } {
  const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 5000, env: { ...process.env, PATH: `${process.env.PATH ?? ''}:${kSbin.join(':')}`, LC_ALL: 'C' } });
  if (r.error !== undefined) {
    const code = (r.error as NodeJS.ErrnoException).code;
    return { ok: false, why: code === 'ENOENT' ? `${tool} is not installed` : `${tool} failed (${r.error.message})` };
  }
  if (r.status !== 0) {
    const err = `${r.stderr}`.trim().split('\n')[0] ?? '';
    if (/permission|not permitted|must be root|you must be root/i.test(err)) return { ok: false, why: `reading the rules needs root (${tool}: ${err})` };
    return { ok: false, why: `${tool} ${args.join(' ')} failed: ${err || `exit ${r.status}`}` };
  }
  return { ok: true, stdout: r.stdout };
}

function mentionsPort(text: string, port: number | undefined): boolean {
  if (port === undefined) return false;
  const m = /dport\s+(\{[^}]*\}|\S+)/.exec(text) ?? /--dports?\s+(\S+)/.exec(text);
  if (m === null) return false;
  return (m[1] as string)
    .replace(/[{}]/g, '')
    .split(/[\s,]+/)
    .filter((x) => x.length > 0)
    .some((x) => {
      const range = /^(\d+)[-:](\d+)$/.exec(x);
      return range !== null ? port >= Number(range[1]) && port <= Number(range[2]) : Number(x) === port;
    });
}

const kMembership = {
  ipv4: /\bigmp\b|ip protocol 2\b|l4proto 2\b|-p 2\b/,
  ipv6: /icmpv6 type [^;]*\b(mld|mld2|mld-listener|130|131|132|143)|--icmpv6-type (130|131|132|143|mld)/,
};

/** Findings in the text of `nft list ruleset`. */
export function readNftRules(text: string, family: Family, port: number | undefined): FirewallFinding[] {
  const findings: FirewallFinding[] = [];
  const what = family === 'ipv4' ? 'IGMP' : 'MLD';
  let chain = '';
  let inputDrop = false;
  let acceptsMembership = false;
  let acceptsPort = false;
  let acceptsAll = false;
  const endChain = (): void => {
    if (!inputDrop) return;
    if (!acceptsMembership && !acceptsAll)
      findings.push({ severity: 'warning', message: `nftables chain ${chain} drops by default and no rule accepts ${what}: queries are dropped, this host never answers them, and switches stop forwarding after a few minutes`, fix: `nft add rule <family> <table> ${chain} ${family === 'ipv4' ? 'ip protocol igmp' : 'icmpv6 type { mld-listener-query, mld2-listener-report }'} accept` });
    if (port !== undefined && !acceptsPort && !acceptsAll)
      findings.push({ severity: 'warning', message: `nftables chain ${chain} drops by default and no rule accepts udp port ${port}`, fix: `nft add rule <family> <table> ${chain} udp dport ${port} accept` });
  };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const start = /^chain\s+(\S+)/.exec(line);
    if (start !== null) {
      endChain();
      chain = start[1] as string;
      inputDrop = false;
      acceptsMembership = acceptsPort = acceptsAll = false;
      continue;
    }
    if (/hook (input|prerouting)\b/.test(line) && /policy drop/.test(line)) inputDrop = true;
    const verdict = /\b(drop|reject)\b/.test(line) ? 'drop' : /\baccept\b/.test(line) ? 'accept' : null;
    if (verdict === null || line.startsWith('type ')) continue;
    const membership = kMembership[family].test(line);
    const portRule = mentionsPort(line, port) && /\budp\b/.test(line);
    if (verdict === 'drop' && membership)
      findings.push({ severity: 'problem', message: `nftables chain ${chain} drops ${what}: "${line}"`, fix: `delete that rule, or accept ${what} before it` });
    if (verdict === 'drop' && portRule)
      findings.push({ severity: 'problem', message: `nftables chain ${chain} drops udp port ${port}: "${line}"`, fix: `delete that rule, or accept udp dport ${port} before it` });
    if (verdict === 'accept') {
      if (membership) acceptsMembership = true;
      if (portRule) acceptsPort = true;
      if (/^(counter\s+)?accept$/.test(line)) acceptsAll = true;
    }
  }
  endChain();
  return findings;
}

/** Findings in the text of `iptables -S` (or ip6tables -S). */
export function readIptablesRules(text: string, family: Family, port: number | undefined): FirewallFinding[] {
  const findings: FirewallFinding[] = [];
  const tool = family === 'ipv4' ? 'iptables' : 'ip6tables';
  const what = family === 'ipv4' ? 'IGMP' : 'MLD';
  let inputDrop = false;
  let acceptsMembership = false;
  let acceptsPort = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^-P INPUT (DROP|REJECT)/.test(line)) inputDrop = true;
    if (!line.startsWith('-A ')) continue;
    const chain = line.split(/\s+/)[1] ?? '';
    const drop = /-j (DROP|REJECT)\b/.test(line);
    const membership = family === 'ipv4' ? /-p (igmp|2)\b/.test(line) : kMembership.ipv6.test(line);
    const portRule = /-p udp\b/.test(line) && mentionsPort(line, port);
    if (drop && membership) findings.push({ severity: 'problem', message: `${tool} chain ${chain} drops ${what}: "${line}"`, fix: `${tool} -D ${line.slice(3)}` });
    if (drop && portRule) findings.push({ severity: 'problem', message: `${tool} chain ${chain} drops udp port ${port}: "${line}"`, fix: `${tool} -D ${line.slice(3)}` });
    if (/-j ACCEPT\b/.test(line) && chain === 'INPUT') {
      if (membership) acceptsMembership = true;
      if (portRule) acceptsPort = true;
    }
  }
  if (inputDrop && !acceptsMembership)
    findings.push({ severity: 'warning', message: `${tool} INPUT drops by default and no rule accepts ${what}: this host never answers queries, and switches stop forwarding after a few minutes`, fix: family === 'ipv4' ? 'iptables -I INPUT -p igmp -j ACCEPT' : 'ip6tables -I INPUT -p ipv6-icmp --icmpv6-type 130 -j ACCEPT' });
  if (inputDrop && port !== undefined && !acceptsPort)
    findings.push({ severity: 'warning', message: `${tool} INPUT drops by default and no rule accepts udp port ${port}`, fix: `${tool} -I INPUT -p udp --dport ${port} -j ACCEPT` });
  return findings;
}

/** Reads the rules with nft, else iptables; skipped (with the reason) when neither can be read. */
export function readFirewall(family: Family, port: number | undefined): FirewallReading {
  const nft = run('nft', ['list', 'ruleset']);
  if (nft.ok) return { tool: 'nft', findings: readNftRules(nft.stdout, family, port) };
  const tool = family === 'ipv4' ? 'iptables' : 'ip6tables';
  const ipt = run(tool, ['-S']);
  if (ipt.ok) return { tool, findings: readIptablesRules(ipt.stdout, family, port) };
  return { skipped: nft.why.includes('not installed') ? ipt.why : nft.why };
}
