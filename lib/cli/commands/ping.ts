/**
 * `multicast-expert ping` and `pong`: round-trip time and loss over multicast between hosts, like
 * the classic multicast ping tools. ping sends numbered pings to a group; every pong on that group
 * answers each on the interface it arrived on, echoing its header; ping prints each reply and, per
 * responder (an address and port: two pongs on one host are two responders), loss and
 * min/avg/p99/max round-trip time.
 * @internal
 * @module
 */
import * as os from 'node:os';

import { type Family, type McastMessage, McastRxSocket, McastTxSocket } from '../../index';
import { type Args, COMMON, canonicalGroup, checkGroupArgs } from '../args';
import type { Command } from '../command';
import { explain } from '../hints';
import { formatMs, hostPort, jsonLine, percent, table } from '../output';
import { decodeSeq, encodeSeq, newStreamId, nowUs } from '../seq-header';
import { Stopper, sleepUnlessStopped } from '../stop';

/** min, avg, p99 (nearest rank) and max of round-trip times in ms. */
export function rttSummary(rtts: number[]): { min: number; avg: number; p99: number; max: number } | null {
  if (rtts.length === 0) return null;
  const sorted = [...rtts].sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 1000) / 1000;
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    min: round(sorted[0] as number),
    avg: round(sum / sorted.length),
    p99: round(sorted[Math.ceil(0.99 * sorted.length) - 1] as number),
    max: round(sorted[sorted.length - 1] as number),
  };
}

interface Responder {
  address: string;
  port: number;
  rtts: Map<number, number>;
  duplicates: number;
}

function common(args: Args): { group: string; family: Family; port: number; ttl: number; loopback: boolean; json: boolean } {
  const given = args.positionals[0] as string;
  const family = checkGroupArgs(args, [given]);
  return { group: canonicalGroup(given), family, port: args.port(true), ttl: args.int('ttl', 0, 255, 1) as number, loopback: args.flag('loopback'), json: args.flag('json') };
}

export const pingCommand: Command = {
  spec: {
    name: 'ping',
    usage: '<group> --port P [options]',
    summary: 'round-trip time and loss to every `pong` on a group',
    description: [
      'Sends numbered pings to the group, --interval milliseconds apart, and prints every reply of every `multicast-expert pong` listening on that group and port: who answered, on which interface, and the round-trip time. Stops after --count pings (then waits --wait milliseconds for late replies) or on Ctrl-C, and prints per responder the loss and the min/avg/p99/max round-trip time.',
      'Exits 1 when no ping was answered.',
    ],
    options: {
      port: COMMON.port,
      iface: { type: 'string', short: 'i', value: 'X', description: 'send and listen on this interface (default: send on the default-route interface, listen on all)' },
      count: { ...COMMON.count, description: 'send N pings (default: until Ctrl-C)' },
      interval: COMMON.interval,
      wait: { type: 'string', value: 'MS', description: 'after the last ping, wait this long for replies (default 1000)' },
      ttl: COMMON.ttl,
      loopback: COMMON.loopback,
      json: { type: 'boolean', description: 'one JSON object per line: "ping", each "reply", then the "summary"' },
    },
    positionals: { min: 1, max: 1 },
    examples: ['239.1.2.3 --port 5000 --count 10', '239.1.2.3 -p 5000 -i eth0 -c 100 --interval 100'],
  },

  async run(args, io) {
    const { group, family, port, ttl, loopback, json } = common(args);
    const count = args.int('count', 1, Number.MAX_SAFE_INTEGER);
    const interval = args.int('interval', 0, 2147483647, 1000) as number;
    const wait = args.int('wait', 0, 2147483647, 1000) as number;
    const iface = args.string('iface');
    const s = io.style;

    const rx = new McastRxSocket({ groups: [group], port, family, externalLoopback: loopback, ...(iface !== undefined ? { iface } : {}) });
    let tx: McastTxSocket;
    try {
      tx = new McastTxSocket({ groups: [group], family, ttl, externalLoopback: loopback, ...(iface !== undefined ? { iface } : {}) });
    } catch (err) {
      rx.close();
      throw err;
    }
    const stream = newStreamId();
    const sentAt = new Map<number, number>();
    const responders = new Map<string, Responder>();
    const stopper = new Stopper();
    const errors: Error[] = [];
    let sent = 0;

    const allAnswered = (): boolean => responders.size > 0 && [...responders.values()].every((r) => r.rtts.size === sent);

    rx.on('error', (err: Error) => {
      errors.push(err);
      stopper.stop('error');
    });
    rx.on('message', (msg: McastMessage) => {
      const arrived = performance.now();
      const d = decodeSeq(msg.data);
      if (d === null || d.header.kind !== 'pong' || d.header.stream !== stream) return;
      const at = sentAt.get(d.header.seq);
      if (at === undefined) return;
      const rtt = arrived - at;
      // A responder is an address and a port: two pongs on one host answer from two ports.
      const who = hostPort(msg.source.address, msg.source.port);
      let r = responders.get(who);
      if (r === undefined) {
        r = { address: msg.source.address, port: msg.source.port, rtts: new Map(), duplicates: 0 };
        responders.set(who, r);
      }
      const duplicate = r.rtts.has(d.header.seq);
      if (duplicate) r.duplicates += 1;
      else r.rtts.set(d.header.seq, rtt);
      if (json) io.out.write(jsonLine({ type: 'reply', from: msg.source.address, fromPort: msg.source.port, iface: msg.ifaceName, seq: d.header.seq, rttMs: Math.round(rtt * 1000) / 1000, duplicate }));
      else io.out.write(`reply from ${s.bold(who)} on ${msg.ifaceName}: #${d.header.seq} time=${formatMs(rtt)} ms${duplicate ? s.yellow(' (duplicate)') : ''}\n`);
    });

    if (json) io.out.write(jsonLine({ type: 'ping', group, port, iface: tx.iface.name, ttl, count: count ?? null, interval }));
    else io.out.write(`${s.bold('PING')} ${s.cyan(hostPort(group, port))} on ${tx.iface.name}, ttl ${ttl}, listening on ${rx.ifaces.map((i) => i.name).join(', ')}\n`);

    const body = Buffer.from(`ping from ${os.hostname()}`);
    try {
      for (let n = 1; (count === undefined || n <= count) && !stopper.stopped; n++) {
        if (n > 1) await sleepUnlessStopped(interval, stopper);
        if (stopper.stopped) break;
        sentAt.set(n, performance.now());
        try {
          await tx.send(encodeSeq({ kind: 'ping', stream, seq: n, sentAtUs: nowUs() }, body), group, port);
        } catch (err) {
          throw explain(err, { ifaces: iface === undefined ? [] : [iface], family, destinations: [[group, port]] });
        }
        sent = n;
      }
      // Late replies: wait up to --wait, less when every responder seen so far has answered everything.
      const deadline = performance.now() + wait;
      while (!stopper.stopped && performance.now() < deadline && !allAnswered()) await sleepUnlessStopped(Math.min(20, wait), stopper);
    } finally {
      stopper.stop('done');
      rx.close();
      tx.close();
    }
    if (errors.length > 0) throw errors[0];

    const answered = new Set<number>();
    for (const r of responders.values()) for (const seq of r.rtts.keys()) answered.add(seq);
    const list = [...responders.values()].map((r) => ({
      address: r.address,
      port: r.port,
      replies: r.rtts.size,
      duplicates: r.duplicates,
      lossPercent: sent === 0 ? 0 : Math.round(((sent - r.rtts.size) / sent) * 10000) / 100,
      rttMs: rttSummary([...r.rtts.values()]),
    }));
    if (json) {
      io.out.write(jsonLine({ type: 'summary', sent, answered: answered.size, lossPercent: sent === 0 ? 0 : Math.round(((sent - answered.size) / sent) * 10000) / 100, responders: list }));
    } else {
      io.out.write(`${s.bold(`--- ${group} multicast ping: ${sent} sent, ${answered.size} answered, ${percent(sent - answered.size, sent)} loss, ${list.length} responder${list.length === 1 ? '' : 's'} ---`)}\n`);
      if (list.length > 0) {
        const rows = [['RESPONDER', 'REPLIES', 'LOSS', 'MIN ms', 'AVG ms', 'P99 ms', 'MAX ms'].map((h) => s.bold(h))];
        for (const r of list) {
          const t = r.rttMs;
          rows.push([hostPort(r.address, r.port), String(r.replies), percent(sent - r.replies, sent), ...(t === null ? ['-', '-', '-', '-'] : [t.min, t.avg, t.p99, t.max].map(formatMs))]);
        }
        for (const line of table(rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right'])) io.out.write(`${line}\n`);
      }
    }
    if (sent > 0 && answered.size === 0) {
      io.err.write(`error: no reply to ${sent} ping${sent === 1 ? '' : 's'} (is \`multicast-expert pong ${group} --port ${port}\` running on another host? \`multicast-expert doctor\` checks this one)\n`);
      return 1;
    }
    return 0;
  },
};

export const pongCommand: Command = {
  spec: {
    name: 'pong',
    usage: '<group> --port P [options]',
    summary: 'answer the pings of `ping` on a group',
    description: [
      'Listens to the group and answers every ping of `multicast-expert ping` with a pong to the same group and port, sent out of the interface the ping arrived on. Runs until Ctrl-C, --count answers or --timeout.',
    ],
    options: {
      port: COMMON.port,
      iface: { type: 'string', short: 'i', multiple: true, value: 'X', description: 'listen on this interface (default: every multicast interface)' },
      count: { ...COMMON.count, description: 'stop after answering N pings' },
      timeout: COMMON.timeout,
      ttl: COMMON.ttl,
      loopback: COMMON.loopback,
      quiet: { type: 'boolean', short: 'q', description: 'print nothing per ping' },
      json: { type: 'boolean', description: 'one JSON object per line: "pong", each "answer", then the "summary"' },
    },
    positionals: { min: 1, max: 1 },
    examples: ['239.1.2.3 --port 5000', '239.1.2.3 -p 5000 -i eth0 -i eth1'],
  },

  async run(args, io) {
    const { group, family, port, ttl, loopback, json } = common(args);
    const count = args.int('count', 1, Number.MAX_SAFE_INTEGER);
    const timeout = args.int('timeout', 1, 2147483647);
    const ifaces = args.strings('iface');
    const quiet = args.flag('quiet');
    const s = io.style;

    const rx = new McastRxSocket({ groups: [group], port, family, externalLoopback: loopback, ...(ifaces.length > 0 ? { ifaces } : {}) });
    const txByIface = new Map<number, McastTxSocket>();
    const stopper = new Stopper(timeout);
    const errors: Error[] = [];
    const body = Buffer.from(`pong from ${os.hostname()}`);
    let answers = 0;

    // One sender per interface, ready before the first ping so that it does not pay for opening it.
    try {
      for (const iface of rx.ifaces) txByIface.set(iface.index, new McastTxSocket({ groups: [group], family, ttl, externalLoopback: loopback, iface }));
    } catch (err) {
      rx.close();
      for (const tx of txByIface.values()) tx.close();
      stopper.stop('error');
      throw err;
    }
    const fail = (err: unknown): void => {
      if (stopper.stopped) return; // a send cut short by closing at the end is no failure
      errors.push(explain(err, { ifaces, family, destinations: [[group, port]] }));
      stopper.stop('error');
    };
    rx.on('error', fail);
    rx.on('message', (msg: McastMessage) => {
      const d = decodeSeq(msg.data);
      if (d === null || d.header.kind !== 'ping' || stopper.stopped) return;
      let tx = txByIface.get(msg.ifaceIndex);
      try {
        if (tx === undefined) {
          // Answer on the interface the ping came in on, so that it finds its way back.
          tx = new McastTxSocket({ groups: [group], family, ttl, externalLoopback: loopback, iface: msg.ifaceIndex });
          txByIface.set(msg.ifaceIndex, tx);
        }
      } catch (err) {
        fail(err);
        return;
      }
      answers += 1;
      const n = answers;
      tx.send(encodeSeq({ ...d.header, kind: 'pong' }, body), msg.group, msg.port).then(() => {
        if (json) io.out.write(jsonLine({ type: 'answer', to: msg.source.address, iface: msg.ifaceName, seq: d.header.seq }));
        else if (!quiet) io.out.write(`pong to ${s.bold(msg.source.address)} on ${msg.ifaceName}: #${d.header.seq}\n`);
        if (count !== undefined && n >= count) stopper.stop('done');
      }, fail);
    });

    if (json) io.out.write(jsonLine({ type: 'pong', group, port, ifaces: rx.ifaces.map((i) => i.name) }));
    else io.out.write(s.dim(`answering pings to ${hostPort(group, port)} on ${rx.ifaces.map((i) => i.name).join(', ')}\n`));
    await stopper.promise;
    rx.close();
    for (const tx of txByIface.values()) tx.close();
    if (errors.length > 0) throw errors[0];
    if (json) io.out.write(jsonLine({ type: 'summary', answered: answers }));
    else io.out.write(`answered ${answers} ping${answers === 1 ? '' : 's'}\n`);
    return 0;
  },
};
