/**
 * `multicast-expert send`: sends a message to a group, once or --count times, optionally with the
 * sequence header that `listen` reads to count loss and reordering.
 * @internal
 * @module
 */
import * as os from 'node:os';

import { McastTxSocket } from '../../index';
import { COMMON, canonicalGroup, checkGroupArgs } from '../args';
import type { Command } from '../command';
import { explain } from '../hints';
import { hostPort, jsonLine, payloadForLine } from '../output';
import { encodeSeq, newStreamId, nowUs } from '../seq-header';
import { Stopper, sleepUnlessStopped } from '../stop';

export const sendCommand: Command = {
  spec: {
    name: 'send',
    usage: '<group> --port P [options] [message]',
    summary: 'send datagrams to a group (with --seq: numbered, for listen to count loss)',
    description: [
      'Sends the message (default: "hello from <hostname>") to the group, --count times, --interval milliseconds apart, out of one interface: --iface, or the interface of the default route.',
      'With --seq every datagram starts with a 24-byte header (magic "MCEQ", a stream id, a sequence number from 1, the send time) that `listen` reads to count loss, reordering and duplicates.',
    ],
    options: {
      port: COMMON.port,
      iface: { type: 'string', short: 'i', value: 'X', description: 'send out of this interface: name, index or address (default: the default-route interface)' },
      ttl: COMMON.ttl,
      count: { ...COMMON.count, description: 'send N datagrams (default 1)' },
      interval: COMMON.interval,
      loopback: COMMON.loopback,
      seq: { type: 'boolean', description: 'number the datagrams (sequence header)' },
      hex: { type: 'boolean', description: 'the message is hex digits (binary payload)' },
      quiet: { type: 'boolean', short: 'q', description: 'print only the last line' },
      json: { type: 'boolean', description: 'print one JSON object when done' },
    },
    positionals: { min: 1, max: 2 },
    examples: ['239.1.2.3 --port 5000 hello', '239.1.2.3 -p 5000 -i eth0 --seq --count 100 --interval 10', 'ff15::1234 -p 5000 --ttl 4 --hex 00ff10'],
  },

  async run(args, io) {
    const [given, text] = args.positionals as [string, string | undefined];
    const family = checkGroupArgs(args, [given]);
    const group = canonicalGroup(given);
    const port = args.port(true);
    const ttl = args.int('ttl', 0, 255, 1) as number;
    const count = args.int('count', 1, Number.MAX_SAFE_INTEGER, 1) as number;
    const interval = args.int('interval', 0, 2147483647, 1000) as number;
    const iface = args.string('iface');
    const json = args.flag('json');
    const quiet = args.flag('quiet') || json;
    let message: Buffer;
    if (args.flag('hex')) {
      const digits = (text ?? '').replace(/\s+/g, '');
      if (!/^([0-9a-fA-F]{2})*$/.test(digits)) throw args.usage('--hex needs an even number of hex digits as the message');
      message = Buffer.from(digits, 'hex');
    } else {
      message = Buffer.from(text ?? `hello from ${os.hostname()}`, 'utf8');
    }

    const tx = new McastTxSocket({ groups: [group], family, ttl, externalLoopback: args.flag('loopback'), ...(iface !== undefined ? { iface } : {}) });
    const stopper = new Stopper();
    const stream = newStreamId();
    const from = tx.address();
    const s = io.style;
    let sent = 0;
    let bytes = 0;
    try {
      for (let n = 1; n <= count && !stopper.stopped; n++) {
        if (n > 1 && interval > 0) await sleepUnlessStopped(interval, stopper);
        if (stopper.stopped) break;
        const data = args.flag('seq') ? encodeSeq({ kind: 'data', stream, seq: n, sentAtUs: nowUs() }, message) : message;
        try {
          await tx.send(data, group, port);
        } catch (err) {
          throw explain(err, { ifaces: iface === undefined ? [] : [iface], family, destinations: [[group, port]] });
        }
        sent += 1;
        bytes += data.length;
        if (!quiet) io.out.write(`${s.dim('sent')} ${args.flag('seq') ? `#${n} ` : ''}${payloadForLine(message)} ${s.dim(`(${data.length} bytes)`)}\n`);
      }
    } finally {
      stopper.stop('done');
      tx.close();
    }
    if (json) {
      io.out.write(jsonLine({ type: 'sent', group, port, iface: tx.iface.name, source: from.address, sourcePort: from.port, ttl, count: sent, bytes, seq: args.flag('seq'), stream: args.flag('seq') ? stream : null }));
    } else {
      // An unbound sender's address is the wildcard: the OS picks the interface's address per datagram.
      const source = from.address === '0.0.0.0' || from.address === '::' ? `port ${from.port}` : hostPort(from.address, from.port);
      io.out.write(`sent ${sent} datagram${sent === 1 ? '' : 's'} (${bytes} bytes) to ${s.cyan(hostPort(group, port))} on ${tx.iface.name} from ${source}, ttl ${ttl}\n`);
    }
    return 0;
  },
};
