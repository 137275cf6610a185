// Isolation as security: a hostile host on the LAN sends to the receivers' port from other groups,
// as unicast and broadcast, to the all-hosts groups, to a source-specific group from a source it is
// not allowed to use, and to the right group on the wrong port, with 0-, 16- and 65507-byte payloads.
// None of it reaches a receiver that did not ask for it; the allowed traffic (same sizes) still does.
// A witness on the receiving host (a plain dgram socket on the port that also joins the attacked
// groups) proves that the hostile datagrams did reach the host: the receivers filtered them.
import { describeLab, sleep } from './helpers';
import { Lab, type Host } from '../lab/lab';
import { Probe, type ProbeMessage } from './reliability/probe';

const PORT = 4840;
const SIZES = [0, 16, 65507];

/** JavaScript for a lab host: payload(label, size) — the label at the start, padded with dots. */
const PAYLOAD = `const payload = (label, size) => { const b = Buffer.alloc(size, '.'); b.write(label.slice(0, size)); return b; };`;

interface Plan {
  family: 'ipv4' | 'ipv6';
  legit: string;
  hostile: string;
  receiverAddress: string;
  broadcast: string[];
  asm: string; // the any-source group receiver A asks for
  ssm: string; // the source-specific group receiver S asks for, from `legit` only
  other: string; // a group that receiver B (another program) joined on the same port
  nobody: string; // a group no receiver joined (the witness did)
  allHosts: string;
}

const plans: Plan[] = [
  {
    family: 'ipv4',
    legit: '10.84.0.2',
    hostile: '10.84.0.66',
    receiverAddress: '10.84.0.3',
    broadcast: ['10.84.0.255'],
    asm: '239.84.0.1',
    ssm: '232.84.0.1',
    other: '239.84.0.2',
    nobody: '239.84.0.3',
    allHosts: '224.0.0.1',
  },
  {
    family: 'ipv6',
    legit: 'fd84::2',
    hostile: 'fd84::66',
    receiverAddress: 'fd84::3',
    broadcast: [],
    asm: 'ff15::84:1',
    ssm: 'ff3e::8401',
    other: 'ff15::84:2',
    nobody: 'ff15::84:3',
    allHosts: 'ff02::1',
  },
];

describeLab('isolation as security', () => {
  let lab: Lab;
  let legit: Host;
  let hostile: Host;
  let receiver: Host;

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('sec');
    legit = await lab.host('legit');
    hostile = await lab.host('hostile');
    receiver = await lab.host('target');
    await lab.connect(legit, lan, { ipv4: '10.84.0.2/24', ipv6: 'fd84::2/64' });
    await lab.connect(hostile, lan, { ipv4: '10.84.0.66/24', ipv6: 'fd84::66/64' });
    await lab.connect(receiver, lan, { ipv4: '10.84.0.3/24', ipv6: 'fd84::3/64' });
  });
  afterAll(() => lab?.close());

  it.each(plans)('$family: hostile traffic reaches no receiver that did not ask for it; allowed traffic does', async (plan) => {
    const rx = {
      asm: await Probe.start(receiver, { groups: [plan.asm], port: PORT, iface: 'eth0' }),
      ssm: await Probe.start(receiver, { groups: [plan.ssm], port: PORT, iface: 'eth0', sources: [plan.legit] }),
      other: await Probe.start(receiver, { groups: [plan.other], port: PORT, iface: 'eth0' }),
    };
    for (const r of Object.values(rx)) expect(r.opened).toBe('ready');
    const udp = plan.family === 'ipv4' ? 'udp4' : 'udp6';
    const witness = receiver.spawnEval(`
      const s = require('dgram').createSocket({ type: '${udp}', reuseAddr: true${plan.family === 'ipv6' ? ', ipv6Only: true' : ''} });
      s.on('message', (m, r) => console.log('w ' + r.address + ' ' + m.length + ' ' + m.subarray(0, 16).toString()));
      s.bind(${PORT}, () => {
        for (const g of ${JSON.stringify([plan.ssm, plan.nobody])}) s.addMembership(g, ${JSON.stringify(plan.family === 'ipv4' ? plan.receiverAddress : '::%eth0')});
        console.log('ready');
      });
    `);
    await witness.waitFor('ready', 10000);

    const r = await hostile.eval(`
      ${PAYLOAD}
      const dgram = require('dgram');
      const tx = new mce.McastTxSocket({ iface: 'eth0', family: '${plan.family}' });
      const u = dgram.createSocket('${udp}');
      (async () => {
        await new Promise((r) => u.bind(0, r));
        ${plan.family === 'ipv4' ? 'u.setBroadcast(true);' : ''}
        for (const size of ${JSON.stringify(SIZES)}) {
          await tx.send(payload('h-other', size), '${plan.other}', ${PORT});
          await tx.send(payload('h-nobody', size), '${plan.nobody}', ${PORT});
          await tx.send(payload('h-ssm', size), '${plan.ssm}', ${PORT});
          await tx.send(payload('h-allhosts', size), '${plan.allHosts}', ${PORT});
          await tx.send(payload('h-wrongport', size), '${plan.asm}', ${PORT + 1});
          const to = ${JSON.stringify([['h-unicast', plan.receiverAddress], ...plan.broadcast.map((b) => ['h-broadcast', b])])};
          for (const [label, address] of to)
            await new Promise((r, j) => u.send(payload(label, size), ${PORT}, address, (e) => (e ? j(e) : r())));
        }
        tx.close();
        u.close();
        console.log('sent');
      })().catch((e) => { console.error(e); process.exit(1); });
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('sent');
    const l = await legit.eval(`
      ${PAYLOAD}
      const tx = new mce.McastTxSocket({ iface: 'eth0', family: '${plan.family}' });
      (async () => {
        for (const size of ${JSON.stringify(SIZES)}) {
          await tx.send(payload('legit-asm', size), '${plan.asm}', ${PORT});
          await tx.send(payload('legit-ssm', size), '${plan.ssm}', ${PORT});
        }
        tx.close();
        console.log('sent');
      })();
    `);
    expect(l.stdout.trim()).toBe('sent');
    await sleep(500);

    const reports: Record<string, ProbeMessage[]> = {};
    for (const [name, probe] of Object.entries(rx)) {
      reports[name] = (await probe.probe.report()).messages;
      expect(await probe.probe.close()).toEqual({ code: 0, signal: null });
    }
    const seen = witness.lines.filter((x) => x.startsWith('w '));
    await witness.stop();

    const lengths = (ms: ProbeMessage[]): number[] => ms.map((m) => m.length).sort((a, b) => a - b);
    // The allowed traffic arrives, whole, and nothing else.
    expect(reports.asm?.every((m) => m.group === plan.asm && m.source === plan.legit)).toBe(true);
    expect(lengths(reports.asm ?? [])).toEqual(SIZES);
    expect(reports.ssm?.every((m) => m.group === plan.ssm && m.source === plan.legit)).toBe(true);
    expect(lengths(reports.ssm ?? [])).toEqual(SIZES);
    // Receiver B asked for the other group: it gets the hostile host's datagrams to it, and only those.
    expect(reports.other?.every((m) => m.group === plan.other && m.source === plan.hostile)).toBe(true);
    expect(lengths(reports.other ?? [])).toEqual(SIZES);
    // The hostile datagrams did reach the host: the witness saw each kind (the 16-byte ones name it).
    const hostileSeen = new Set(seen.filter((x) => x.split(' ')[1] === plan.hostile && x.split(' ')[2] === '16').map((x) => x.split(' ')[3]?.replace(/\.+$/, '')));
    for (const kind of ['h-nobody', 'h-ssm', 'h-unicast', ...(plan.broadcast.length > 0 ? ['h-broadcast'] : [])]) expect(hostileSeen).toContain(kind);
    console.log(`${plan.family}: witness saw ${seen.length} datagrams (${[...hostileSeen].join(', ')} among them); receivers got only what they asked for`);
  }, 60000);
});
