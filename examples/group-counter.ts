#!/usr/bin/env node
// TypeScript: counts the datagrams of each group per arrival interface for a while, then prints a
// table: which group arrives where, how much, from how many senders. The package's types make
// every McastMessage field, option and error code checked by the compiler.
//
//   npx tsc -p examples && node examples/build/group-counter.js --group 239.1.2.3 --port 12345
//
// (tsc -p examples compiles the TypeScript examples into examples/build/, with examples/tsconfig.json.)
import { parseArgs } from 'node:util';
import { ErrorCodes, type McastMessage, McastRxSocket, MulticastExpertError } from 'multicast-expert';

const USAGE = `Usage: node examples/build/group-counter.js [options]

Counts datagrams per group and arrival interface, then prints a table.

Options:
  --group G      a group to join; repeatable (default 239.1.2.3)
  --port P       the port (default 12345)
  --iface X      an interface to listen on; repeatable (default: every multicast interface)
  --seconds N    how long to count (default 10)
  --count N      stop earlier, after N datagrams
  -h, --help     show this help
`;

interface Options {
  groups: string[];
  port: number;
  ifaces: string[];
  seconds: number;
  count: number;
}

interface Tally {
  datagrams: number;
  bytes: number;
  senders: Set<string>;
}

function options(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      group: { type: 'string', multiple: true },
      port: { type: 'string' },
      iface: { type: 'string', multiple: true },
      seconds: { type: 'string' },
      count: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) return null;
  return {
    groups: values.group ?? ['239.1.2.3'],
    port: Number(values.port ?? 12345),
    ifaces: values.iface ?? [],
    seconds: Number(values.seconds ?? 10),
    count: Number(values.count ?? Infinity),
  };
}

async function count(o: Options): Promise<Map<string, Tally>> {
  const rx = new McastRxSocket({ groups: o.groups, port: o.port, ...(o.ifaces.length > 0 ? { ifaces: o.ifaces } : {}) });
  console.log(`counting ${rx.groups.join(', ')} port ${rx.port} on ${rx.ifaces.map((i) => i.name).join(', ')} for ${o.seconds} s`);
  const tallies = new Map<string, Tally>();
  const add = (msg: McastMessage): void => {
    const key = `${msg.group} ${msg.ifaceName}`;
    const tally = tallies.get(key) ?? { datagrams: 0, bytes: 0, senders: new Set<string>() };
    tally.datagrams += 1;
    tally.bytes += msg.data.length;
    tally.senders.add(msg.source.address);
    tallies.set(key, tally);
  };
  const deadline = Date.now() + o.seconds * 1000;
  let received = 0;
  try {
    while (received < o.count) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const msg = await rx.receive({ timeout: left }); // null: the time is up
      if (msg === null) break;
      add(msg);
      received += 1;
    }
  } finally {
    rx.close();
  }
  return tallies;
}

function print(tallies: Map<string, Tally>): void {
  const rows = [['GROUP', 'INTERFACE', 'DATAGRAMS', 'BYTES', 'SENDERS']];
  for (const [key, t] of [...tallies].sort(([a], [b]) => a.localeCompare(b))) {
    const [group = '', iface = ''] = key.split(' ');
    rows.push([group, iface, String(t.datagrams), String(t.bytes), String(t.senders.size)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
}

async function main(): Promise<number> {
  let o: Options | null;
  try {
    o = options(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (o === null) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    print(await count(o));
    return 0;
  } catch (err) {
    // err.code is a stable string: compare it with ErrorCodes, or with an errno name such as 'EADDRINUSE'.
    if (err instanceof MulticastExpertError && err.code === ErrorCodes.NO_IFACES) {
      console.error('error: no interface to listen on; give one with --iface (--iface lo for this host only)');
      return 1;
    }
    if (err instanceof MulticastExpertError) {
      console.error(`error (${err.code}): ${err.message}`);
      return 1;
    }
    throw err;
  }
}

main().then((code) => {
  process.exitCode = code;
});
