/**
 * `multicast-expert listen`: prints every datagram with its time, sender, group, arrival interface
 * and payload (or, with --raw, writes the payloads alone, to pipe them like socat), interface
 * changes as they happen, and on exit a summary per group (loss, reordering and duplicates when
 * the datagrams carry the sequence header of `send --seq`). IPv4 and IPv6 groups can be given
 * together: one receiver per family.
 * @internal
 * @module
 */
import * as net from 'node:net';

import { type Family, type IfaceInfo, type McastMessage, McastRxSocket, watchInterfaces } from '../../index';
import { type Args, COMMON, groupsByFamily } from '../args';
import type { Command } from '../command';
import { type GroupSummary, GroupStats } from '../group-stats';
import { GrowingColumns, type Style, hostPort, jsonLine, payloadForJson, payloadForLine, styleFor, table, timeOfDay, writeAndDrain } from '../output';
import { decodeSeq } from '../seq-header';
import { Stopper } from '../stop';

function arrivalTime(msg: McastMessage): Date {
  return msg.timestamp === undefined ? new Date() : new Date(Number(msg.timestamp / 1_000_000n));
}

function printSummary(out: NodeJS.WritableStream, s: Style, summaries: GroupSummary[], elapsedMs: number, drops: { kernelDrops: number; truncated: number }): void {
  const total = summaries.reduce((n, g) => n + g.received, 0);
  out.write(`${s.bold(`--- ${total} datagram${total === 1 ? '' : 's'} in ${(elapsedMs / 1000).toFixed(1)} s ---`)}\n`);
  const rows = [['GROUP', 'RECEIVED', 'BYTES', 'SENDERS', 'LOST', 'LOSS', 'REORDERED', 'DUPLICATES'].map((h) => s.bold(h))];
  for (const g of summaries) {
    const seq = g.sequenced > 0;
    const lost = seq ? String(g.lost) : '-';
    rows.push([
      g.group,
      String(g.received),
      String(g.bytes),
      String(g.senders),
      seq && g.lost !== 0 ? s.red(lost) : lost,
      seq ? `${g.lossPercent}%` : '-',
      seq ? String(g.reordered) : '-',
      seq ? String(g.duplicates) : '-',
    ]);
  }
  for (const line of table(rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'])) out.write(`${line}\n`);
  if (summaries.some((g) => g.received > 0 && g.sequenced === 0)) out.write(s.dim('(loss is counted for datagrams sent with `multicast-expert send --seq`)\n'));
  if (drops.kernelDrops > 0)
    out.write(s.yellow(`the kernel dropped ${drops.kernelDrops} datagrams because the receive buffer was full: raise --buffer (and net.core.rmem_max)\n`));
  if (drops.truncated > 0) out.write(s.yellow(`${drops.truncated} datagrams were longer than the receive size and were cut\n`));
}

/** The --source addresses by family; every family of the groups needs at least one when sources are given. */
function sourcesByFamily(args: Args, groups: Map<Family, string[]>): Map<Family, string[]> {
  const out = new Map<Family, string[]>();
  for (const source of args.strings('source')) {
    const version = net.isIP(source);
    if (version === 0) throw args.usage(`--source ${JSON.stringify(source)} is not an IP address`, 'a source is the unicast address of a sender');
    const family: Family = version === 4 ? 'ipv4' : 'ipv6';
    if (!groups.has(family)) throw args.usage(`--source ${source} is ${family}, and no ${family} group is given`);
    out.set(family, [...(out.get(family) ?? []), source]);
  }
  if (out.size === 0) return out;
  for (const [family, list] of groups) {
    if (!out.has(family)) throw args.usage(`--source names no ${family} sender for ${list.join(', ')}`, 'give one, or listen to those groups without --source in another command');
  }
  return out;
}

export const listenCommand: Command = {
  spec: {
    name: 'listen',
    usage: '<group>... --port P [options]',
    summary: 'print every datagram with its group and interface; loss per group',
    description: [
      'Joins the groups (IPv4 and IPv6 ones may be mixed) and prints every datagram that arrives: time, sender, group, arrival interface and payload (text when it is printable, else hex). Without --iface it listens on every interface that is up, multicast-capable and not loopback.',
      'With --raw it writes the payloads alone to stdout, byte for byte and nothing between them (without the sequence header of `send --seq`, which it still counts), as socat does, so that it pipes: `send --stdin` on one host, `listen --raw > file` on another. Everything else (the listening line, interface changes, the summary) then goes to stderr.',
      'Interface changes are printed as they happen, also with --quiet: interfaces added, removed, up, down, or given or stripped of an address, and the receiver losing an interface and joining its groups there again when it is back.',
      'On exit (--count, --timeout, Ctrl-C) it prints a summary per group: datagrams, bytes, senders, and loss, reordering and duplicates for datagrams sent with `send --seq`. With --count it exits 1 when fewer datagrams arrived before --timeout.',
    ],
    options: {
      port: COMMON.port,
      iface: { type: 'string', short: 'i', multiple: true, value: 'X', description: 'listen on this interface: name, index or address' },
      source: { type: 'string', short: 's', multiple: true, value: 'S', description: 'source-specific: only datagrams from this sender (one of each family of the groups)' },
      count: { ...COMMON.count, description: 'stop after N datagrams' },
      timeout: COMMON.timeout,
      loopback: COMMON.loopback,
      buffer: { type: 'string', value: 'BYTES', description: 'receive buffer size (SO_RCVBUF)' },
      raw: { type: 'boolean', description: 'write only the payloads, byte for byte, to stdout (the rest goes to stderr)' },
      quiet: { type: 'boolean', short: 'q', description: 'print no line per datagram (interface changes and the summary still)' },
      json: { type: 'boolean', description: 'one JSON object per line: "listening", then each "datagram" (and "iface" change), then the "summary"' },
    },
    positionals: { min: 1, max: Infinity },
    examples: [
      '239.1.2.3 --port 5000',
      '239.1.2.3 239.1.2.4 -p 5000 -i eth0 --count 10 --timeout 5000',
      '239.1.2.3 ff15::1234 -p 5000 --json',
      '232.1.1.1 -p 5000 --source 10.0.0.7',
      '239.1.2.3 -p 5000 --raw > received.bin',
    ],
  },

  async run(args, io) {
    const byFamily = groupsByFamily(args, args.positionals);
    const port = args.port(true);
    const count = args.int('count', 1, Number.MAX_SAFE_INTEGER);
    const timeout = args.int('timeout', 1, 2147483647);
    const buffer = args.int('buffer', 1, 0x7fffffff);
    const ifaces = args.strings('iface');
    const sources = sourcesByFamily(args, byFamily);
    const json = args.flag('json');
    const quiet = args.flag('quiet');
    const raw = args.flag('raw');
    if (raw && json) throw args.usage('--raw writes payloads and --json objects: choose one');
    if (raw && quiet) throw args.usage('--raw writes the payloads that --quiet leaves out: choose one');

    const sockets: McastRxSocket[] = [];
    try {
      for (const [family, groups] of byFamily) {
        const own = sources.get(family) ?? [];
        sockets.push(
          new McastRxSocket({
            groups,
            port,
            family,
            ...(ifaces.length > 0 ? { ifaces } : {}),
            ...(own.length > 0 ? { sources: own } : {}),
            ...(buffer !== undefined ? { receiveBufferSize: buffer } : {}),
            externalLoopback: args.flag('loopback'),
            timestamps: true,
          }),
        );
      }
    } catch (err) {
      for (const rx of sockets) rx.close();
      throw err;
    }
    const allGroups = sockets.flatMap((rx) => rx.groups);
    const allSources = [...sources.values()].flat();
    const stats = new Map(allGroups.map((g) => [g, new GroupStats(g)]));
    const stopper = new Stopper(timeout);
    const started = performance.now();
    const columns = new GrowingColumns();
    // With --raw, stdout carries payloads only: what people read goes to stderr.
    const info = raw ? io.err : io.out;
    const s = raw ? styleFor(io.err, io.env) : io.style;
    let received = 0;
    let failure: unknown = null;
    const fail = (err: unknown): void => {
      if (stopper.stopped) return;
      failure = err;
      stopper.stop('error');
    };

    const ifaceNames = [...new Set(sockets.flatMap((rx) => rx.ifaces.map((i) => i.name)))];
    if (json) io.out.write(jsonLine({ type: 'listening', groups: allGroups, port, families: [...byFamily.keys()], ifaces: ifaceNames, sources: allSources }));
    else info.write(s.dim(`listening to ${allGroups.join(', ')} port ${port} on ${ifaceNames.join(', ')}${allSources.length > 0 ? ` from ${allSources.join(', ')}` : ''}\n`));

    // Interface changes, as they happen: the machine's, and what they meant for each receiver.
    // --quiet leaves them in: they are what explains a silence.
    const watcher = watchInterfaces((change) => {
      if (stopper.stopped) return;
      const { type, iface } = change;
      if (json) io.out.write(jsonLine({ type: 'iface', change: type, iface: iface.name, ifaceIndex: iface.index, time: new Date().toISOString() }));
      else info.write(s.dim(`${timeOfDay(new Date())} interface ${iface.name} (${iface.index}): ${type}\n`));
    });
    for (const rx of sockets) {
      const onMembership = (event: 'iface-lost' | 'iface-joined') => (iface: IfaceInfo, why: string) => {
        if (stopper.stopped) return;
        if (json) io.out.write(jsonLine({ type: event, iface: iface.name, ifaceIndex: iface.index, why, time: new Date().toISOString() }));
        else {
          const text = event === 'iface-lost' ? s.yellow(`lost ${iface.name} (${why}): its groups wait for it to come back`) : s.green(`joined ${rx.groups.join(', ')} on ${iface.name} (${why})`);
          info.write(`${s.dim(timeOfDay(new Date()))} ${text}\n`);
        }
      };
      rx.on('iface-lost', onMembership('iface-lost'));
      rx.on('iface-joined', onMembership('iface-joined'));
      rx.on('error', fail);
    }

    /** Prints one datagram; resolves when stdout can take more (see writeAndDrain). */
    const show = (msg: McastMessage): Promise<void> | undefined => {
      received += 1;
      const decoded = decodeSeq(msg.data);
      const payload = decoded === null ? msg.data : decoded.message;
      const verdict = (stats.get(msg.group) as GroupStats).add(
        msg.source.address,
        msg.data.length,
        decoded === null ? undefined : { stream: decoded.header.stream, seq: decoded.header.seq },
      );
      if (count !== undefined && received >= count) stopper.stop('done');
      if (raw) return writeAndDrain(io.out, payload, stopper.promise);
      const time = arrivalTime(msg);
      if (json) {
        const line: Record<string, unknown> = {
          type: 'datagram',
          time: time.toISOString(),
          source: msg.source.address,
          sourcePort: msg.source.port,
          group: msg.group,
          port: msg.port,
          iface: msg.ifaceName,
          ifaceIndex: msg.ifaceIndex,
          size: msg.data.length,
          truncated: msg.truncated,
        };
        if (decoded !== null) {
          const h = decoded.header;
          line.seq = { kind: h.kind, stream: h.stream, seq: h.seq, sentAtUs: Number(h.sentAtUs), order: verdict };
        }
        Object.assign(line, payloadForJson(payload));
        return writeAndDrain(io.out, jsonLine(line), stopper.promise);
      }
      if (quiet) return undefined;
      let seqText = '';
      if (decoded !== null) {
        seqText = `${decoded.header.kind === 'data' ? '' : `${decoded.header.kind} `}#${decoded.header.seq}`;
        if (verdict === 'reordered') seqText += s.yellow(' late');
        else if (verdict === 'duplicate') seqText += s.yellow(' dup');
        else if (verdict === 'gap') seqText += s.yellow(' gap');
      }
      const cells = [s.dim(timeOfDay(time)), hostPort(msg.source.address, msg.source.port), s.cyan(msg.group), msg.ifaceName, seqText, payloadForLine(payload)];
      if (msg.truncated) cells.push(s.yellow('(truncated)'));
      return writeAndDrain(io.out, `${columns.line(cells)}\n`, stopper.promise);
    };

    // One reader per receiver. receive() (not a 'message' listener) so that a slow stdout makes the
    // command stop reading: datagrams then wait in the receiver's bounded queue and the kernel, and
    // what the kernel drops is counted in the summary, instead of output piling up in memory.
    const readers = sockets.map(async (rx) => {
      try {
        for (;;) {
          const msg = await rx.receive();
          if (msg === null || stopper.stopped) return;
          await show(msg);
        }
      } catch (err) {
        fail(err);
      }
    });

    const reason = await stopper.promise;
    let kernelDrops = 0;
    let truncated = 0;
    for (const rx of sockets) {
      const st = rx.stats();
      kernelDrops += st.kernelDrops;
      truncated += st.truncated;
    }
    watcher.close();
    for (const rx of sockets) rx.close();
    await Promise.all(readers);
    const summaries = [...stats.values()].map((g) => g.summary());
    const elapsedMs = performance.now() - started;
    if (json) io.out.write(jsonLine({ type: 'summary', reason, durationMs: Math.round(elapsedMs), received, groups: summaries, kernelDrops, truncated }));
    else printSummary(info, s, summaries, elapsedMs, { kernelDrops, truncated });
    if (failure !== null) throw failure;
    if (count !== undefined && received < count && reason === 'timeout') {
      io.err.write(`error: received ${received} of ${count} datagrams within ${timeout} ms\n`);
      return 1;
    }
    return 0;
  },
};
