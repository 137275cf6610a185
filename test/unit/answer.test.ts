// What rx.reply() and a per-datagram iface ask of the native layer, on the fake: the arrival
// interface and its address, the TTL, the destination; a datagram's own interface, followed by name
// and refused (ENODEV, naming it) while it is gone. The lab tests (test/reply.test.ts,
// test/tx-iface.test.ts) show what leaves on the wire.
import { ErrorCodes, McastRxSocket, McastTxSocket } from '../../lib';
import { type FakeRxSocket, type FakeTxSocket, fakeIface, installFakeNative } from '../fake-native';
import { sender as fakeSender, turns } from './helpers';

const eth0 = fakeIface(2, 'eth0', { ipv4: ['10.0.0.1'] });
const eth1 = fakeIface(3, 'eth1', { ipv4: ['10.1.0.1'] });
const fake = installFakeNative([eth0, eth1]);
fake.network.defaultRoute.ipv4 = 2;

describe('rx.reply() on the fake native layer', () => {
  it('replies out of the arrival interface, from its address, to the group or the sender, with the TTL asked for', async () => {
    const rx = new McastRxSocket({ groups: ['239.4.4.4'], port: 7100, ifaces: ['eth0', 'eth1'], ttl: 255 });
    const native = fake.receivers[fake.receivers.length - 1] as FakeRxSocket;
    const got = rx.receive({ timeout: 1000 });
    fakeSender(fake, '239.4.4.4', 7100, 3, '10.1.0.9').send('question');
    const msg = await got;
    if (msg === null) throw new Error('no datagram');
    await rx.reply(msg, 'to-group');
    await rx.reply(msg, 'to-source', { to: 'source', ttl: 4 });
    expect(native.replies.map((r) => ({ ...r, data: Buffer.from(r.data).toString() }))).toEqual([
      { group: '239.4.4.4', ifindex: 3, source: '10.1.0.1', destination: '239.4.4.4', port: 7100, data: 'to-group', ttl: 255 },
      { group: '239.4.4.4', ifindex: 3, source: '10.1.0.1', destination: '10.1.0.9', port: 5555, data: 'to-source', ttl: 4 },
    ]);
    rx.close();
  });

  it('an interface the receiver left: ENODEV naming it, nothing sent', async () => {
    const rx = new McastRxSocket({ groups: ['239.4.4.5'], port: 7101, ifaces: ['eth0', 'eth1'] });
    const native = fake.receivers[fake.receivers.length - 1] as FakeRxSocket;
    const got = rx.receive({ timeout: 1000 });
    fakeSender(fake, '239.4.4.5', 7101, 2).send('question');
    const msg = await got;
    if (msg === null) throw new Error('no datagram');
    rx.leave('239.4.4.5', { ifaces: ['eth0'] });
    await expect(rx.reply(msg, 'x')).rejects.toMatchObject({ code: 'ENODEV', message: expect.stringContaining('eth0') });
    expect(native.replies).toEqual([]);
    rx.close();
  });
});

describe('a per-datagram iface on the fake native layer', () => {
  function sender(): { tx: McastTxSocket; native: FakeTxSocket } {
    const tx = new McastTxSocket({ iface: 'eth0' });
    return { tx, native: fake.senders[fake.senders.length - 1] as FakeTxSocket };
  }
  const sent = (native: FakeTxSocket): string[] => native.sent.map((d) => `${Buffer.from(d.data).toString()} on ${d.ifindex} from ${d.source}`);

  it('send() and sendBatch(): each datagram out of its own interface, from its address, or the socket one', async () => {
    const { tx, native } = sender();
    await tx.send('a', '239.4.4.6', 7102, { iface: 'eth1' });
    await tx.send('b', '239.4.4.6', 7102);
    await tx.sendBatch([
      { data: 'c', group: '239.4.4.6', port: 7102, iface: 3 },
      { data: 'd', group: '239.4.4.6', port: 7102 },
      { data: 'e', group: '239.4.4.6', port: 7102, iface: '10.0.0.1' },
    ]);
    expect(sent(native)).toEqual(['a on 3 from 10.1.0.1', 'b on 2 from 10.0.0.1', 'c on 3 from 10.1.0.1', 'd on 2 from 10.0.0.1', 'e on 2 from 10.0.0.1']);
    tx.close();
  });

  it('a routed send that finds the socket buffer full waits, in order', async () => {
    const { tx, native } = sender();
    native.room = 0;
    const done = Promise.all([tx.send('a', '239.4.4.7', 7103, { iface: 'eth1' }), tx.send('b', '239.4.4.7', 7103)]);
    await turns();
    expect(native.sent).toEqual([]);
    native.drain();
    await done;
    expect(sent(native)).toEqual(['a on 3 from 10.1.0.1', 'b on 2 from 10.0.0.1']);
    tx.close();
  });

  it('a gone interface: ENODEV naming it, nothing sent, never by another interface; back under a new index, used again', async () => {
    const { tx, native } = sender();
    await tx.send('before', '239.4.4.8', 7104, { iface: 'eth1' });
    fake.network.setIfaces([eth0]);
    await turns();
    await expect(tx.send('gone', '239.4.4.8', 7104, { iface: 'eth1' })).rejects.toMatchObject({ code: 'ENODEV', message: expect.stringContaining('eth1') });
    await expect(tx.sendBatch([{ data: 'gone', group: '239.4.4.8', port: 7104, iface: 'eth1' }])).rejects.toMatchObject({ code: 'ENODEV' });
    fake.network.setIfaces([eth0, { ...eth1, index: 9 }]);
    await turns();
    await tx.send('back', '239.4.4.8', 7104, { iface: 'eth1' });
    expect(sent(native)).toEqual(['before on 3 from 10.1.0.1', 'back on 9 from 10.1.0.1']);
    await expect(tx.send('x', '239.4.4.8', 7104, { iface: 'nope' })).rejects.toMatchObject({ code: ErrorCodes.IFACE_NOT_FOUND });
    tx.close();
    fake.network.setIfaces([eth0, eth1]);
  });
});
