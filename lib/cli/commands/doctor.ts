/**
 * `multicast-expert doctor`: checks this host for what stops multicast, in order, and prints each
 * finding as ok, warning or problem with its fix. Exits 1 when it found a problem.
 * @internal
 * @module
 */
import * as net from 'node:net';
import * as os from 'node:os';

import { type Family, type IfaceInfo, MulticastExpertError, findInterfaces, scanInterfaces } from '../../index';
import { canonicalGroup, checkGroupArgs } from '../args';
import type { Command } from '../command';
import {
  type DoctorContext,
  checkAcceptLocal,
  checkBuffers,
  checkEnvironment,
  checkFirewall,
  checkInterfaces,
  checkLoopback,
  checkMembershipLimits,
  checkMembershipProtocol,
  checkPlatform,
  checkRoutes,
  checkRpFilter,
  checkSelfTest,
  defaultListening,
  planSelfTest,
  selfTestNotice,
} from '../doctor/checks';
import { Report, printFindings, printNote, printVerdict } from '../doctor/report';
import { jsonLine } from '../output';

/** The group checked when none is given. */
export const DOCTOR_GROUPS: Record<Family, string> = { ipv4: '239.255.77.77', ipv6: 'ff15::77:77' };

export const doctorCommand: Command = {
  spec: {
    name: 'doctor',
    usage: '[--group G]... [--port P] [--iface X]... [--source S]... [--ipv6] [--json]',
    summary: 'check this host for what stops multicast, and say how to fix it',
    description: [
      'Checks, in order: the interface (exists, up, MULTICAST flag, address); a route for the group when no interface is given; reverse-path filtering (rp_filter) and accept_local; the IGMP/MLD version and querier; igmp_max_memberships against the groups asked for; rmem_max and receive-buffer overflows; the loopback route when the loopback interface is chosen; VPN tunnels, containers and WSL; macOS notes; firewall rules (when they can be read); and a self-test that joins the group, sends to it with TTL 0 and gets its own datagram back on each interface.',
      'Each finding is ok, warning or problem, with the fix. Exits 1 when there is a problem. Give the groups, port, interfaces and expected senders (--source) of your application for the most precise answers. The self-test joins the group on the interfaces, which sends a membership report (IGMP or MLD) onto their networks, and sends one datagram with TTL 0, which stays on this host: local receivers of that group and port see it. It says so on the line before it runs (on stderr with --json); --no-self-test skips it.',
    ],
    options: {
      group: { type: 'string', short: 'g', multiple: true, value: 'G', description: `a group your application uses (default ${DOCTOR_GROUPS.ipv4}, or ${DOCTOR_GROUPS.ipv6} with --ipv6)` },
      port: { type: 'string', short: 'p', value: 'P', description: 'its UDP port (default: a random one for the self-test)' },
      iface: { type: 'string', short: 'i', multiple: true, value: 'X', description: 'the interface it uses (default: what multicast-expert chooses)' },
      source: { type: 'string', short: 's', multiple: true, value: 'S', description: 'the address of a sender you expect to hear' },
      ipv6: { type: 'boolean', short: '6', description: 'check IPv6 (default: the family of the groups, else IPv4)' },
      'no-self-test': { type: 'boolean', description: 'skip the self-test: join nothing, send nothing' },
      json: { type: 'boolean', description: 'print the findings as one JSON object' },
    },
    positionals: { min: 0, max: 0 },
    examples: ['', '--group 239.1.2.3 --port 5000 --iface eth0', '--group ff15::1234 --port 5000 --iface lo', '--group 239.1.2.3 --source 10.0.0.7'],
  },

  async run(args, io) {
    const given = args.strings('group');
    let family: Family = args.flag('ipv6') ? 'ipv6' : 'ipv4';
    if (given.length > 0) family = checkGroupArgs(args, given, args.flag('ipv6') ? 'ipv6' : undefined);
    const groups = given.length > 0 ? [...new Set(given.map(canonicalGroup))] : [DOCTOR_GROUPS[family]];
    const port = args.port(false);
    const sources = args.strings('source');
    for (const s of sources) {
      if (net.isIP(s) !== (family === 'ipv4' ? 4 : 6)) throw args.usage(`--source ${JSON.stringify(s)} is not an ${family} address`);
    }

    const all = scanInterfaces();
    const found: IfaceInfo[] = [];
    const notFound: string[] = [];
    for (const spec of args.strings('iface')) {
      try {
        for (const i of findInterfaces([spec], { ifaces: all })) if (!found.some((f) => f.index === i.index)) found.push(i);
      } catch (err) {
        if (!(err instanceof MulticastExpertError)) throw err;
        notFound.push(spec);
      }
    }
    const ctx: DoctorContext = {
      family,
      groups,
      port,
      sources,
      all,
      given: found,
      listening: found.length > 0 ? found : defaultListening(all, family),
      platform: process.platform,
      env: io.env,
    };

    const json = args.flag('json');
    const s = io.style;
    const platform = `${process.platform} ${os.release()} ${process.arch}`;
    if (!json) {
      const what = [family, groups.join(', '), port === undefined ? null : `port ${port}`, found.length > 0 ? `on ${found.map((i) => i.name).join(', ')}` : null, sources.length > 0 ? `from ${sources.join(', ')}` : null].filter((x) => x !== null);
      io.out.write(`${s.bold('multicast-expert doctor')}: ${what.join(' · ')} ${s.dim(`(${platform}, node ${process.version})`)}\n\n`);
    }

    const report = new Report();
    checkInterfaces(ctx, report, notFound);
    checkRoutes(ctx, report);
    checkRpFilter(ctx, report);
    checkAcceptLocal(ctx, report);
    checkMembershipProtocol(ctx, report);
    checkMembershipLimits(ctx, report);
    checkBuffers(ctx, report);
    checkLoopback(ctx, report);
    checkEnvironment(ctx, report);
    checkPlatform(ctx, report);
    checkFirewall(ctx, report);
    // The findings so far, then what the self-test is about to do, before it does it.
    if (!json) printFindings(report.findings, io);
    const before = report.findings.length;
    if (args.flag('no-self-test')) report.skipped('self-test', 'skipped (--no-self-test)');
    else {
      const plan = planSelfTest(ctx);
      if (plan !== null) {
        if (json) io.err.write(`self-test: ${selfTestNotice(plan, family)}\n`);
        else printNote('self-test', selfTestNotice(plan, family), io);
      }
      await checkSelfTest(ctx, report, plan);
    }

    const problems = report.count('problem');
    if (json) {
      io.out.write(
        jsonLine({
          platform,
          node: process.version,
          family,
          groups,
          port: port ?? null,
          ifaces: found.map((i) => i.name),
          sources,
          checks: report.findings,
          problems,
          warnings: report.count('warning'),
        }),
      );
    } else {
      printFindings(report.findings.slice(before), io);
      printVerdict(report, io);
    }
    return problems > 0 ? 1 : 0;
  },
};
