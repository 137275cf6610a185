// Proof against a real peer: linuxptp's ptp4l (software timestamps) runs a master and a slave on one
// lab LAN and a master of another domain on a second LAN; examples/ptp-observer.js, on a host on both
// LANs, names every message's type, group, port and arrival interface, with the clock identities
// that ptp4l itself reports, and a kernel timestamp.
import * as path from 'node:path';

import { type Host, Lab, type LabProcess } from '../lab/lab';
import { describeLab, itWithTools } from './helpers';

const OBSERVER = path.resolve(__dirname, '..', 'examples', 'ptp-observer.js');
const withPtp4l = itWithTools({ ptp4l: 'linuxptp' });

// Fast announce and sync (4 a second) and a short announce timeout: a master in under a second.
const FAST = ['--logAnnounceInterval=-2', '--announceReceiptTimeout=2', '--logSyncInterval=-2', '--logMinDelayReqInterval=-2'];

function ptp4l(host: Host, ...args: string[]): LabProcess {
  // -4: UDP/IPv4, -S: software timestamps, -m: log to stdout, -q: not to syslog.
  return host.spawn('ptp4l', ['-i', 'eth0', '-4', '-S', '-m', '-q', ...FAST, ...args]);
}

/** The clock identity a ptp4l reports as its own ("selected local clock X as best master"). */
async function ownClock(p: LabProcess): Promise<string> {
  const line = await p.waitFor(/selected local clock \S+ as best master/, 15000);
  return (/selected local clock (\S+)/.exec(line) as RegExpExecArray)[1] as string;
}

describeLab('proof: PTP, ptp4l masters and a slave watched by examples/ptp-observer.js', () => {
  let lab: Lab;
  let masterA: Host;
  let slaveA: Host;
  let masterB: Host;
  let observer: Host;

  beforeAll(async () => {
    lab = await Lab.create();
    const a = await lab.lan('ptpa');
    const b = await lab.lan('ptpb');
    masterA = await lab.host('gm-a');
    slaveA = await lab.host('slave-a');
    masterB = await lab.host('gm-b');
    observer = await lab.host('observer');
    await lab.connect(masterA, a, { ipv4: '10.72.1.1/24' });
    await lab.connect(slaveA, a, { ipv4: '10.72.1.2/24' });
    await lab.connect(masterB, b, { ipv4: '10.72.2.1/24' });
    await lab.connect(observer, a, { ipv4: '10.72.1.9/24' }); // eth0
    await lab.connect(observer, b, { ipv4: '10.72.2.9/24' }); // eth1
  });

  afterAll(async () => {
    await lab?.close();
  });

  withPtp4l('every message with its type, group, port, arrival interface and clock, and kernel timestamps', async () => {
    const watch = observer.spawnNode([OBSERVER]);
    await watch.waitFor('watching PTP on 224.0.1.129, 224.0.0.107 ports 319 and 320 on eth0, eth1', 15000);
    const gmA = ptp4l(masterA, '--masterOnly=1');
    const slave = ptp4l(slaveA, '-s');
    const gmB = ptp4l(masterB, '--masterOnly=1', '--domainNumber=7');
    const [clockA, clockB] = await Promise.all([ownClock(gmA), ownClock(gmB)]);
    const clockSlave = await ownClock(slave);
    // The slave's own view: it chose master A, and asked it for the path delay.
    await slave.waitFor(`selected best master clock ${clockA}`, 15000);
    await watch.waitFor(new RegExp(`Delay_Resp seq \\d+ domain 0 clock ${clockA}-1 for ${clockSlave}-1$`), 15000);
    await watch.waitFor(new RegExp(`(Sync|Follow_Up) seq \\d+ domain 7 clock ${clockB}-1 .*; the Sync arrived`), 15000);
    const result = await watch.stop();
    await Promise.all([gmA.stop(), slave.stop(), gmB.stop()]);
    expect(result.stderr).toBe('');
    const lines = result.stdout.split('\n').filter((l) => l.length > 0).slice(1);

    const T = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z'; // the kernel's timestamp, to the nanosecond
    const line = (port: number, iface: string, from: string, type: string, domain: number, clock: string): RegExp =>
      new RegExp(`^${T} 224\\.0\\.1\\.129:${port} on ${iface} from ${from.replace(/\./g, '\\.')}: ${type} seq \\d+ domain ${domain} clock ${clock}-1`);
    const has = (re: RegExp): boolean => lines.some((l) => re.test(l));
    // LAN A, domain 0: the master's event and general messages, the slave's Delay_Req.
    expect(has(line(319, 'eth0', '10.72.1.1', 'Sync', 0, clockA))).toBe(true);
    expect(has(line(320, 'eth0', '10.72.1.1', 'Follow_Up', 0, clockA))).toBe(true);
    expect(has(new RegExp(`${line(320, 'eth0', '10.72.1.1', 'Announce', 0, clockA).source} grandmaster ${clockA} priority1 128 class 248$`))).toBe(true);
    expect(has(line(319, 'eth0', '10.72.1.2', 'Delay_Req', 0, clockSlave))).toBe(true);
    // LAN B, domain 7: its own master only, on the other interface.
    expect(has(line(319, 'eth1', '10.72.2.1', 'Sync', 7, clockB))).toBe(true);
    expect(has(line(320, 'eth1', '10.72.2.1', 'Announce', 7, clockB))).toBe(true);
    // Nothing crossed over: each domain on its own LAN's interface only.
    expect(lines.filter((l) => / domain 0 /.test(l) && !/ on eth0 /.test(l))).toEqual([]);
    expect(lines.filter((l) => / domain 7 /.test(l) && !/ on eth1 /.test(l))).toEqual([]);
    // Event messages on 319, general ones on 320.
    expect(lines.filter((l) => /:319 .*: (Follow_Up|Announce|Delay_Resp) /.test(l))).toEqual([]);
    expect(lines.filter((l) => /:320 .*: (Sync|Delay_Req) /.test(l))).toEqual([]);
    // One clock for the whole lab: a Sync's kernel receive time is never before the precise time
    // its master says it left (the master's own software timestamp, in its Follow_Up).
    const delays = lines.flatMap((l) => {
      const m = /; the Sync arrived (-?\d+) ns after its precise origin$/.exec(l);
      return m ? [Number(m[1])] : [];
    });
    expect(delays.length).toBeGreaterThan(0);
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(0);
  }, 60000);
});
