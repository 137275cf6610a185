/**
 * `multicast-expert listen`: prints every datagram with its time, sender, group, arrival interface
 * and payload, and on exit a summary per group (loss, reordering and duplicates when the datagrams
 * carry the sequence header of `send --seq`).
 * @internal
 * @module
 */
import { type McastMessage, McastRxSocket, watchInterfaces } from '../../index';
import { COMMON, checkGroupArgs } from '../args';
import type { Command } from '../command';
import { type GroupSummary, GroupStats } from '../group-stats';
import { GrowingColumns, type Io, hostPort, jsonLine, payloadForJson, payloadForLine, table, timeOfDay } from '../output';
import { decodeSeq } from '../seq-header';
import { Stopper } from '../stop';

function arrivalTime(msg: McastMessage): Date {
  return msg.timestamp === undefined ? new Date() : new Date(Number(msg.timestamp / 1_000_000n));
}

function printSummary(io: Io, summaries: GroupSummary[], elapsedMs: number, drops: { kernelDrops: number; truncated: number }): void {
  const s = io.style;
  const total = summaries.reduce((n, g) => n + g.received, 0);
  io.out.write(`${s.bold(`--- ${total} datagram${total === 1 ? '' : 's'} in ${(elapsedMs / 1000).toFixed(1)} s ---`)}\n`);
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
  for (const line of table(rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'])) io.out.write(`${line}\n`);
  if (summaries.some((g) => g.received > 0 && g.sequenced === 0)) io.out.write(s.dim('(loss is counted for datagrams sent with `multicast-expert send --seq`)\n'));
  if (drops.kernelDrops > 0)
    io.out.write(s.yellow(`the kernel dropped ${drops.kernelDrops} datagrams because the receive buffer was full: raise --buffer (and net.core.rmem_max)\n`));
  if (drops.truncated > 0) io.out.write(s.yellow(`${drops.truncated} datagrams were longer than the receive size and were cut\n`));
}

export const listenCommand: Command = {
  spec: {
    name: 'listen',
    usage: '<group>... --port P [options]',
    summary: 'print every datagram with its group and interface; loss per group',
    description: [
      'Joins the groups and prints every datagram that arrives: time, sender, group, arrival interface and payload (text when it is printable, else hex). Without --iface it listens on every interface that is up, multicast-capable and not loopback.',
      'Interface changes are printed as they happen: interfaces added, removed, up, down, or given or stripped of an address, and the receiver losing an interface and joining its groups there again when it is back.',
      'On exit (--count, --timeout, Ctrl-C) it prints a summary per group: datagrams, bytes, senders, and loss, reordering and duplicates for datagrams sent with `send --seq`. With --count it exits 1 when fewer datagrams arrived before --timeout.',
    ],
    options: {
      port: COMMON.port,
      iface: { type: 'string', short: 'i', multiple: true, value: 'X', description: 'listen on this interface: name, index or address' },
      source: { type: 'string', short: 's', multiple: true, value: 'S', description: 'source-specific: only datagrams from this sender' },
      count: { ...COMMON.count, description: 'stop after N datagrams' },
      timeout: COMMON.timeout,
      loopback: COMMON.loopback,
      buffer: { type: 'string', value: 'BYTES', description: 'receive buffer size (SO_RCVBUF)' },
      quiet: { type: 'boolean', short: 'q', description: 'print only the summary' },
      json: { type: 'boolean', description: 'one JSON object per line: "listening", then each "datagram" (and "iface" change), then the "summary"' },
    },
    positionals: { min: 1, max: Infinity },
    examples: ['239.1.2.3 --port 5000', '239.1.2.3 239.1.2.4 -p 5000 -i eth0 --count 10 --timeout 5000', 'ff15::1234 -p 5000 --json', '232.1.1.1 -p 5000 --source 10.0.0.7'],
  },

  async run(args, io) {
    const groups = args.positionals;
    checkGroupArgs(args, groups);
    const port = args.port(true);
    const count = args.int('count', 1, Number.MAX_SAFE_INTEGER);
    const timeout = args.int('timeout', 1, 2147483647);
    const buffer = args.int('buffer', 1, 0x7fffffff);
    const ifaces = args.strings('iface');
    const sources = args.strings('source');
    const json = args.flag('json');
    const quiet = args.flag('quiet');

    const rx = new McastRxSocket({
      groups,
      port,
      ...(ifaces.length > 0 ? { ifaces } : {}),
      ...(sources.length > 0 ? { sources } : {}),
      ...(buffer !== undefined ? { receiveBufferSize: buffer } : {}),
      externalLoopback: args.flag('loopback'),
      timestamps: true,
    });
    const stats = new Map(rx.groups.map((g) => [g, new GroupStats(g)]));
    const stopper = new Stopper(timeout);
    const started = performance.now();
    const columns = new GrowingColumns();
    const s = io.style;
    let received = 0;
    let failure: Error | null = null;

    const ifaceNames = rx.ifaces.map((i) => i.name);
    if (json) io.out.write(jsonLine({ type: 'listening', groups: rx.groups, port, family: rx.family, ifaces: ifaceNames, sources }));
    else io.out.write(s.dim(`listening to ${rx.groups.join(', ')} port ${port} on ${ifaceNames.join(', ')}${sources.length > 0 ? ` from ${sources.join(', ')}` : ''}\n`));

    // Interface changes, as they happen: the machine's, and what they meant for this receiver.
    const watcher = watchInterfaces((change) => {
      if (stopper.stopped) return;
      const { type, iface } = change;
      if (json) io.out.write(jsonLine({ type: 'iface', change: type, iface: iface.name, ifaceIndex: iface.index, time: new Date().toISOString() }));
      else if (!quiet) io.out.write(s.dim(`${timeOfDay(new Date())} interface ${iface.name} (${iface.index}): ${type}\n`));
    });
    for (const event of ['iface-lost', 'iface-joined'] as const) {
      rx.on(event, (iface, why) => {
        if (stopper.stopped) return;
        if (json) io.out.write(jsonLine({ type: event, iface: iface.name, ifaceIndex: iface.index, why, time: new Date().toISOString() }));
        else if (!quiet) {
          const text = event === 'iface-lost' ? s.yellow(`lost ${iface.name} (${why}): its groups wait for it to come back`) : s.green(`joined ${rx.groups.join(', ')} on ${iface.name} (${why})`);
          io.out.write(`${s.dim(timeOfDay(new Date()))} ${text}\n`);
        }
      });
    }

    rx.on('error', (err) => {
      failure = err;
      stopper.stop('error');
    });
    rx.on('message', (msg) => {
      if (stopper.stopped) return;
      received += 1;
      const decoded = decodeSeq(msg.data);
      const payload = decoded === null ? msg.data : decoded.message;
      const verdict = (stats.get(msg.group) as GroupStats).add(
        msg.source.address,
        msg.data.length,
        decoded === null ? undefined : { stream: decoded.header.stream, seq: decoded.header.seq },
      );
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
        io.out.write(jsonLine(line));
      } else if (!quiet) {
        let seqText = '';
        if (decoded !== null) {
          seqText = `${decoded.header.kind === 'data' ? '' : `${decoded.header.kind} `}#${decoded.header.seq}`;
          if (verdict === 'reordered') seqText += s.yellow(' late');
          else if (verdict === 'duplicate') seqText += s.yellow(' dup');
          else if (verdict === 'gap') seqText += s.yellow(' gap');
        }
        const cells = [s.dim(timeOfDay(time)), hostPort(msg.source.address, msg.source.port), s.cyan(msg.group), msg.ifaceName, seqText, payloadForLine(payload)];
        if (msg.truncated) cells.push(s.yellow('(truncated)'));
        io.out.write(`${columns.line(cells)}\n`);
      }
      if (count !== undefined && received >= count) stopper.stop('done');
    });

    const reason = await stopper.promise;
    const { kernelDrops, truncated } = rx.stats();
    watcher.close();
    rx.close();
    const summaries = [...stats.values()].map((g) => g.summary());
    const elapsedMs = performance.now() - started;
    if (json) io.out.write(jsonLine({ type: 'summary', reason, durationMs: Math.round(elapsedMs), received, groups: summaries, kernelDrops, truncated }));
    else printSummary(io, summaries, elapsedMs, { kernelDrops, truncated });
    if (failure !== null) throw failure;
    if (count !== undefined && received < count && reason === 'timeout') {
      io.err.write(`error: received ${received} of ${count} datagrams within ${timeout} ms\n`);
      return 1;
    }
    return 0;
  },
};
