// Loopback semantics (SPEC "Loopback"): the loopback interface always delivers to receivers on the
// same host; on any other interface a host's own datagrams reach its own receivers when both sides
// set externalLoopback, and not when both leave it false. Ports the Python library's loopback and
// external-loopback tests.
import { McastRxSocket, McastTxSocket } from '../lib';
import { type Agent, Lab } from '../lab/lab';
import { Inbox, describeLab, freshGroup, freshPort, sendCode } from './helpers';

describeLab('loopback', () => {
  let lab: Lab;
  let ifA: string;
  let a1: Agent;
  const open: Array<{ close(): void }> = [];
  function track<T extends { close(): void }>(s: T): T {
    open.push(s);
    return s;
  }

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('lo');
    ifA = await lab.connect(lab.self, lan, { ipv4: '10.64.0.100/24', ipv6: 'fd64::100/64' });
    const h1 = await lab.host('h1');
    await lab.connect(h1, lan, { ipv4: '10.64.0.1/24', ipv6: 'fd64::1/64' });
    a1 = await h1.agent();
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  afterAll(async () => {
    await a1?.stop();
    await lab?.close();
  });

  it('IPv4 on the loopback interface, named or by address, delivers without externalLoopback', async () => {
    for (const iface of ['lo', '127.0.0.1']) {
      const g = freshGroup();
      const port = freshPort();
      const inbox = new Inbox(track(new McastRxSocket({ groups: [g], port, iface })));
      const tx = track(new McastTxSocket({ groups: [g], iface }));
      await tx.send(`via ${iface}`, g, port);
      const m = await inbox.waitFor(`via ${iface}`);
      expect(m).toMatchObject({ group: g, ifaceName: 'lo', source: { address: '127.0.0.1', port: tx.address().port } });
      // Exactly once: looping the datagram as well as sending it through lo would deliver it twice.
      await tx.send('second', g, port);
      await inbox.waitFor('second');
      expect(inbox.texts).toEqual([`via ${iface}`, 'second']);
    }
  });

  it.each([
    ['interface-local', 'iface'],
    ['site-local', 'site'],
    ['link-local', 'link'],
  ] as const)('IPv6 on the loopback interface (%s group)', async (_label, scope) => {
    const g = freshGroup('ipv6', scope);
    const port = freshPort();
    const inbox = new Inbox(track(new McastRxSocket({ groups: [g], port, iface: '::1' })));
    const tx = track(new McastTxSocket({ iface: 'lo', family: 'ipv6' }));
    await tx.send('v6 loop', g, port);
    await tx.send('v6 loop 2', g, port);
    await inbox.waitFor('v6 loop 2');
    expect(inbox.texts).toEqual(['v6 loop', 'v6 loop 2']);
    expect(inbox.messages[0]).toMatchObject({ group: g, ifaceName: 'lo', source: { address: '::1', family: 'ipv6' } });
  });

  it.each(['ipv4', 'ipv6'] as const)('external loopback on (%s): both sides true, our own datagrams come back on that interface', async (family) => {
    const g = freshGroup(family);
    const port = freshPort();
    const inbox = new Inbox(track(new McastRxSocket({ groups: [g], port, iface: ifA, externalLoopback: true })));
    const tx = track(new McastTxSocket({ iface: ifA, family, externalLoopback: true }));
    await tx.send('own', g, port);
    const m = await inbox.waitFor('own');
    expect(m.ifaceName).toBe(ifA);
    expect(m.source.address).toBe(family === 'ipv4' ? '10.64.0.100' : 'fd64::100');
  });

  it.each(['ipv4', 'ipv6'] as const)('external loopback off (%s): both sides false, our own datagrams do not come back', async (family) => {
    const g = freshGroup(family);
    const port = freshPort();
    const inbox = new Inbox(track(new McastRxSocket({ groups: [g], port, iface: ifA })));
    const tx = track(new McastTxSocket({ iface: ifA, family }));
    await tx.send('own, not delivered', g, port);
    // Another host's datagram, sent after ours, proves the receiver was listening.
    await a1.run(sendCode({ iface: 'eth0', family }, 'from h1', g, port));
    await inbox.waitFor('from h1');
    expect(inbox.texts).toEqual(['from h1']);
  });
});
