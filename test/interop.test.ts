// Interoperability with a program we did not write: socat sends to our receiver and receives from
// our sender, across the lab.
import { McastRxSocket, McastTxSocket } from '../lib';
import { type Host, Lab } from '../lab/lab';
import { Inbox, describeLab, freshGroup, freshPort, itWithTools, sleep } from './helpers';

const withSocat = itWithTools({ socat: 'socat' });

describeLab('interop with socat', () => {
  let lab: Lab;
  let ifA: string;
  let h1: Host;
  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('socat');
    ifA = await lab.connect(lab.self, lan, { ipv4: '10.67.0.100/24', ipv6: 'fd67::100/64' });
    h1 = await lab.host('h1');
    await lab.connect(h1, lan, { ipv4: '10.67.0.1/24', ipv6: 'fd67::1/64' });
  });
  afterAll(() => lab?.close());

  withSocat('our receiver gets socat\'s datagrams, with group and interface', async () => {
    const g = freshGroup();
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [g], port, iface: ifA });
    const inbox = new Inbox(rx);
    const r = await h1.run('socat', ['-u', '-', `UDP4-DATAGRAM:${g}:${port},ip-multicast-if=10.67.0.1`], { input: 'hello from socat' });
    expect(r.code).toBe(0);
    const m = await inbox.waitFor('hello from socat');
    expect(m).toMatchObject({ group: g, ifaceName: ifA, source: { address: '10.67.0.1' } });
    rx.close();
  });

  withSocat('socat receives our sender\'s datagrams', async () => {
    const g = freshGroup();
    const port = freshPort();
    const listener = h1.spawn('socat', ['-u', `UDP4-RECV:${port},ip-add-membership=${g}:10.67.0.1,reuseaddr`, '-']);
    // socat has joined once the kernel lists the group on its interface.
    const hex = g.split('.').map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase()).reverse().join('');
    for (let i = 0; i < 100 && !(await h1.sh('cat /proc/net/igmp')).includes(hex); i++) await sleep(30);
    const tx = new McastTxSocket({ groups: [g], iface: ifA });
    await tx.send('hello socat\n', g, port);
    await listener.waitFor('hello socat', 5000);
    await listener.stop();
    tx.close();
  });

  withSocat('IPv6: our receiver gets socat\'s datagrams', async () => {
    const g = freshGroup('ipv6');
    const port = freshPort();
    const rx = new McastRxSocket({ groups: [g], port, iface: ifA });
    const inbox = new Inbox(rx);
    // This socat has no IPv6 multicast-interface option; h1's only interface carries the route.
    const r = await h1.run('socat', ['-u', '-', `UDP6-DATAGRAM:[${g}]:${port}`], { input: 'v6 from socat' });
    expect(r.code).toBe(0);
    expect((await inbox.waitFor('v6 from socat')).source.address).toBe('fd67::1');
    rx.close();
  });
});
