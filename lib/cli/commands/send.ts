/**
 * `multicast-expert send`: sends a message to a group, once or --count times, or the datagrams it
 * reads from stdin (a line each, or --size bytes each), optionally with the sequence header that
 * `listen` reads to count loss and reordering.
 * @internal
 * @module
 */
import * as os from 'node:os';

import { type Family, McastTxSocket } from '../../index';
import { COMMON, canonicalGroup, checkGroupArgs } from '../args';
import type { Command } from '../command';
import { explain } from '../hints';
import { hostPort, jsonLine, payloadForLine } from '../output';
import { SEQ_HEADER_LENGTH, encodeSeq, newStreamId, nowUs } from '../seq-header';
import { type StdinFraming, stdinDatagrams } from '../stdin-datagrams';
import { Stopper, sleepUnlessStopped } from '../stop';

/** The largest UDP payload of a family (a 65535-byte IP packet less the IP and UDP headers). */
export const MAX_UDP_PAYLOAD: Record<Family, number> = { ipv4: 65507, ipv6: 65527 };

export const sendCommand: Command = {
  spec: {
    name: 'send',
    usage: '<group> --port P [options] [message]',
    summary: 'send datagrams to a group, or what arrives on stdin (with --seq: numbered, for listen to count loss)',
    description: [
      'Sends the message (default: "hello from <hostname>") to the group, --count times, --interval milliseconds apart, out of one interface: --iface, or the interface of the default route.',
      'With --stdin it sends what it reads instead, as it arrives: one datagram per line, the newline included (as socat and nc send lines, so `listen --raw` or socat on the other end writes the same bytes back out), or with --size N one datagram per N bytes, whatever they hold. With --hex each line is one datagram in hex. --count then stops after N datagrams and --interval paces them (default: no pause).',
      'With --seq every datagram starts with a 24-byte header (magic "MCEQ", a stream id, a sequence number from 1, the send time) that `listen` reads to count loss, reordering and duplicates.',
    ],
    options: {
      port: COMMON.port,
      iface: { type: 'string', short: 'i', value: 'X', description: 'send out of this interface: name, index or address (default: the default-route interface)' },
      ttl: COMMON.ttl,
      count: { ...COMMON.count, description: 'send N datagrams (default 1; with --stdin: all of it)' },
      interval: { ...COMMON.interval, description: 'milliseconds between datagrams (default 1000; with --stdin 0)' },
      loopback: COMMON.loopback,
      stdin: { type: 'boolean', description: 'send what stdin holds: one datagram per line (or per --size bytes)' },
      size: { type: 'string', value: 'BYTES', description: 'with --stdin: cut it into datagrams of this many bytes instead of lines (binary input)' },
      seq: { type: 'boolean', description: 'number the datagrams (sequence header)' },
      hex: { type: 'boolean', description: 'the message (with --stdin: each line) is hex digits (binary payload)' },
      quiet: { type: 'boolean', short: 'q', description: 'print only the last line' },
      json: { type: 'boolean', description: 'print one JSON object when done' },
    },
    positionals: { min: 1, max: 2 },
    examples: [
      '239.1.2.3 --port 5000 hello',
      '239.1.2.3 -p 5000 -i eth0 --seq --count 100 --interval 10',
      'ff15::1234 -p 5000 --ttl 4 --hex 00ff10',
      '239.1.2.3 -p 5000 -i eth0 --stdin < lines.txt',
      '239.1.2.3 -p 5000 -i eth0 --stdin --size 1316 < video.ts',
    ],
  },

  async run(args, io) {
    const [given, text] = args.positionals as [string, string | undefined];
    const family = checkGroupArgs(args, [given]);
    const group = canonicalGroup(given);
    const port = args.port(true);
    const ttl = args.int('ttl', 0, 255, 1) as number;
    const fromStdin = args.flag('stdin');
    const seq = args.flag('seq');
    const maxPayload = MAX_UDP_PAYLOAD[family] - (seq ? SEQ_HEADER_LENGTH : 0);
    const count = args.int('count', 1, Number.MAX_SAFE_INTEGER, fromStdin ? undefined : 1);
    const interval = args.int('interval', 0, 2147483647, fromStdin ? 0 : 1000) as number;
    const size = args.int('size', 1, maxPayload);
    const iface = args.string('iface');
    const json = args.flag('json');
    const quiet = args.flag('quiet') || json;
    if (size !== undefined && !fromStdin) throw args.usage('--size cuts stdin: it needs --stdin');
    if (fromStdin && text !== undefined) throw args.usage('give the message as an argument or on stdin (--stdin), not both');
    if (size !== undefined && args.flag('hex')) throw args.usage('--size sends bytes as they are; --hex is for lines of hex digits');
    let message = Buffer.alloc(0);
    if (!fromStdin && args.flag('hex')) {
      const digits = (text ?? '').replace(/\s+/g, '');
      if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw args.usage('--hex needs an even number of hex digits as the message');
      message = Buffer.from(digits, 'hex');
    } else if (!fromStdin) {
      message = Buffer.from(text ?? `hello from ${os.hostname()}`, 'utf8');
    }

    const tx = new McastTxSocket({ groups: [group], family, ttl, externalLoopback: args.flag('loopback'), ...(iface !== undefined ? { iface } : {}) });
    const stopper = new Stopper();
    const stream = newStreamId();
    const from = tx.address();
    const s = io.style;
    let sent = 0;
    let bytes = 0;

    const sendOne = async (payload: Buffer): Promise<void> => {
      const n = sent + 1;
      const data = seq ? encodeSeq({ kind: 'data', stream, seq: n, sentAtUs: nowUs() }, payload) : payload;
      try {
        await tx.send(data, group, port);
      } catch (err) {
        throw explain(err, { ifaces: iface === undefined ? [] : [iface], family, destinations: [[group, port]] });
      }
      sent = n;
      bytes += data.length;
      if (!quiet) io.out.write(`${s.dim('sent')} ${seq ? `#${n} ` : ''}${payloadForLine(payload)} ${s.dim(`(${data.length} byte${data.length === 1 ? '' : 's'})`)}\n`);
    };

    try {
      if (fromStdin) {
        const framing: StdinFraming = size !== undefined ? { kind: 'size', size } : args.flag('hex') ? { kind: 'hex-lines' } : { kind: 'lines' };
        // Ctrl-C while stdin is quiet: end the read, so that the summary is printed.
        void stopper.promise.then(() => (io.in as { destroy?: () => void }).destroy?.());
        try {
          for await (const payload of stdinDatagrams(io.in, framing, maxPayload)) {
            if (stopper.stopped) break;
            if (sent > 0 && interval > 0) await sleepUnlessStopped(interval, stopper);
            if (stopper.stopped) break;
            await sendOne(payload);
            if (count !== undefined && sent >= count) break;
          }
        } catch (err) {
          // Reading a stdin that was closed on Ctrl-C ends early: that is the stop, not a failure.
          if (!stopper.stopped || (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
        }
      } else {
        for (let n = 1; n <= (count as number) && !stopper.stopped; n++) {
          if (n > 1 && interval > 0) await sleepUnlessStopped(interval, stopper);
          if (stopper.stopped) break;
          await sendOne(message);
        }
      }
    } finally {
      stopper.stop('done');
      tx.close();
    }
    if (json) {
      io.out.write(jsonLine({ type: 'sent', group, port, iface: tx.iface.name, source: from.address, sourcePort: from.port, ttl, count: sent, bytes, seq, stream: seq ? stream : null }));
    } else {
      // An unbound sender's address is the wildcard: the OS picks the interface's address per datagram.
      const source = from.address === '0.0.0.0' || from.address === '::' ? `port ${from.port}` : hostPort(from.address, from.port);
      io.out.write(`sent ${sent} datagram${sent === 1 ? '' : 's'} (${bytes} byte${bytes === 1 ? '' : 's'}) to ${s.cyan(hostPort(group, port))} on ${tx.iface.name} from ${source}, ttl ${ttl}\n`);
    }
    return 0;
  },
};
