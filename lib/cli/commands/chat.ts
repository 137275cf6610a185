/**
 * `multicast-expert chat`: the three-machine communicator of the Python library multicast_expert
 * (mcast_communicator.py). Machine N of 1..3 sends every second to group 0 and to group N, and
 * listens, on one port, to group 0 and to group N%3+1. So each machine sees everyone's group-0
 * traffic and only its neighbour's own group, and prints for every datagram the sender, the group it
 * was sent to and the interface it arrived on: what Node's dgram cannot tell.
 * examples/communicator.js runs this same code.
 * @internal
 * @module
 */
import { type Family, type McastMessage, McastRxSocket, McastTxSocket } from '../../index';
import { COMMON } from '../args';
import type { Command } from '../command';
import { explain } from '../hints';
import { jsonLine } from '../output';
import { Stopper, sleepUnlessStopped } from '../stop';

/** The one port of the communicator. */
export const CHAT_PORT = 45454;
/** Group 0 (everyone) and the groups of machines 1, 2 and 3. */
export const CHAT_GROUPS: Record<Family, readonly [string, string, string, string]> = {
  ipv4: ['239.255.77.0', '239.255.77.1', '239.255.77.2', '239.255.77.3'],
  ipv6: ['ff15::7700', 'ff15::7701', 'ff15::7702', 'ff15::7703'],
};

/** What machine `n` sends to and listens to. */
export function chatPlan(n: 1 | 2 | 3, family: Family): { sendTo: [string, string]; listenTo: [string, string] } {
  const g = CHAT_GROUPS[family];
  return { sendTo: [g[0], g[n]], listenTo: [g[0], g[(n % 3) + 1] as string] };
}

export const chatCommand: Command = {
  spec: {
    name: 'chat',
    usage: '--machine 1|2|3 [options]',
    summary: 'the three-machine communicator: who sent to which group, on which interface',
    description: [
      `Run it on three machines (or three lab hosts) with --machine 1, 2 and 3. Machine N sends every --interval milliseconds to group 0 and to group N, and listens on port ${CHAT_PORT} to group 0 and to group N%3+1 (IPv4: ${CHAT_GROUPS.ipv4.join(', ')}; IPv6: ${CHAT_GROUPS.ipv6.join(', ')}).`,
      'Every line it prints names the sender, the group the datagram was sent to and the interface it arrived on. A machine never prints a datagram of a group it did not join, even though all groups share one port.',
    ],
    options: {
      machine: { type: 'string', short: 'm', value: 'N', description: 'this machine: 1, 2 or 3 (required)' },
      ipv6: { type: 'boolean', short: '6', description: 'use the IPv6 groups' },
      iface: { type: 'string', short: 'i', value: 'X', description: 'listen and send on this interface only (default: listen on all, send on the default-route one)' },
      'tx-iface': { type: 'string', value: 'X', description: 'send on this interface (overrides --iface for sending)' },
      count: { ...COMMON.count, description: 'send N rounds, then stop (default: until Ctrl-C)' },
      interval: COMMON.interval,
      loopback: COMMON.loopback,
      json: { type: 'boolean', description: 'one JSON object per line: "chat", each "datagram", then "done"' },
    },
    positionals: { min: 0, max: 0 },
    examples: ['--machine 1', '--machine 2 --ipv6 --iface eth0'],
  },

  async run(args, io) {
    const machine = args.int('machine', 1, 3);
    if (machine === undefined) throw args.usage('--machine is required (1, 2 or 3)');
    const n = machine as 1 | 2 | 3;
    const family: Family = args.flag('ipv6') ? 'ipv6' : 'ipv4';
    const count = args.int('count', 1, Number.MAX_SAFE_INTEGER);
    const interval = args.int('interval', 1, 2147483647, 1000) as number;
    const iface = args.string('iface');
    const txIface = args.string('tx-iface') ?? iface;
    const loopback = args.flag('loopback');
    const json = args.flag('json');
    const { sendTo, listenTo } = chatPlan(n, family);
    const s = io.style;

    const rx = new McastRxSocket({ groups: listenTo, port: CHAT_PORT, family, externalLoopback: loopback, ...(iface !== undefined ? { iface } : {}) });
    let tx: McastTxSocket;
    try {
      tx = new McastTxSocket({ groups: sendTo, family, externalLoopback: loopback, ...(txIface !== undefined ? { iface: txIface } : {}) });
    } catch (err) {
      rx.close();
      throw err;
    }
    const stopper = new Stopper();
    const errors: Error[] = [];
    let received = 0;
    const listening = rx.ifaces.map((i) => i.name);
    if (json) io.out.write(jsonLine({ type: 'chat', machine: n, family, port: CHAT_PORT, listenTo, sendTo, ifaces: listening, txIface: tx.iface.name }));
    else io.out.write(`machine ${n}: listening to ${listenTo.join(' and ')} on ${listening.join(', ')}; sending to ${sendTo.join(' and ')} on ${tx.iface.name}\n`);

    rx.on('error', (err: Error) => {
      errors.push(err);
      stopper.stop('error');
    });
    rx.on('message', (msg: McastMessage) => {
      received += 1;
      const text = msg.data.toString('utf8');
      if (json) io.out.write(jsonLine({ type: 'datagram', machine: n, text, from: msg.source.address, group: msg.group, iface: msg.ifaceName }));
      else io.out.write(`machine ${n} got ${s.bold(JSON.stringify(text))} from ${msg.source.address}, sent to ${s.cyan(msg.group)}, arrived on ${msg.ifaceName}\n`);
    });

    try {
      for (let round = 1; (count === undefined || round <= count) && !stopper.stopped; round++) {
        if (round > 1) await sleepUnlessStopped(interval, stopper);
        if (stopper.stopped) break;
        try {
          await tx.send(`machine ${n} to everyone #${round}`, sendTo[0], CHAT_PORT);
          await tx.send(`machine ${n} to group ${n} #${round}`, sendTo[1], CHAT_PORT);
        } catch (err) {
          throw explain(err, { ifaces: txIface === undefined ? [] : [txIface], family, destinations: sendTo.map((g) => [g, CHAT_PORT]) });
        }
      }
      // Give the others' last datagrams a moment before leaving.
      if (!stopper.stopped) await sleepUnlessStopped(Math.max(500, interval * 1.5), stopper);
    } finally {
      stopper.stop('done');
      rx.close();
      tx.close();
    }
    if (errors.length > 0) throw errors[0];
    if (json) io.out.write(jsonLine({ type: 'done', machine: n, received }));
    return 0;
  },
};
