// McastTxSocket's own logic on the fake native layer: the family checked first, sends that wait for
// room in order, closing ('close', dispose), and a datagram from a fake sender to a fake receiver.
import { ErrorCodes, McastRxSocket, McastTxSocket } from '../../lib';
import { type FakeTxSocket, fakeIface, installFakeNative } from '../fake-native';
import { turns } from './helpers';

const fake = installFakeNative([fakeIface(2, 'eth0', { ipv4: ['10.0.0.1'], ipv6: ['fd00::1'] })]);
fake.network.defaultRoute.ipv4 = 2;

function sender(options: ConstructorParameters<typeof McastTxSocket>[0] = {}): { tx: McastTxSocket; native: FakeTxSocket } {
  const tx = new McastTxSocket(options);
  return { tx, native: fake.senders[fake.senders.length - 1] as FakeTxSocket };
}

describe('McastTxSocket on the fake native layer', () => {
  it('checks the family before it reads the groups and the interface in its light (as a receiver does)', () => {
    for (const options of [{ family: 'ipv5', groups: ['ff15::1'] }, { family: 'ipv5', iface: 'fd00::1' }, { family: 'ipv5', groups: ['239.1.1.1'] }]) {
      expect(() => new McastTxSocket(options as never)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTION, message: expect.stringContaining("family must be 'ipv4' or 'ipv6'") }));
    }
    expect(fake.senders).toHaveLength(0);
  });

  it('sends out of its interface, to a receiver on the fake network', async () => {
    const rx = new McastRxSocket({ groups: ['239.3.3.3'], port: 7000, iface: 'eth0' });
    const { tx, native } = sender();
    expect(tx.iface.name).toBe('eth0');
    const got = rx.receive({ timeout: 1000 });
    await tx.send('hello', '239.3.3.3', 7000);
    expect(native.sent.map((d) => `${d.group}:${d.port} ${Buffer.from(d.data).toString()}`)).toEqual(['239.3.3.3:7000 hello']);
    expect(await got).toMatchObject({ source: { address: '10.0.0.1', port: tx.address().port }, group: '239.3.3.3' });
    tx.close();
    rx.close();
  });

  it('sends that find the socket buffer full wait, in order, and go once there is room', async () => {
    const { tx, native } = sender();
    native.room = 1;
    const done: string[] = [];
    const sends = ['a', 'b', 'c'].map((t) => tx.send(t, '239.3.3.4', 7001).then(() => done.push(t)));
    const batch = tx.sendBatch([{ data: 'd', group: '239.3.3.4', port: 7001 }]).then((n) => done.push(`batch of ${n}`));
    await turns();
    expect(done).toEqual(['a']);
    native.drain();
    await Promise.all([...sends, batch]);
    expect(done.sort()).toEqual(['a', 'b', 'batch of 1', 'c']);
    // Sent in the order they were made.
    expect(native.sent.map((d) => Buffer.from(d.data).toString())).toEqual(['a', 'b', 'c', 'd']);
    tx.close();
  });

  it("close(): pending sends reject with ERR_SOCKET_CLOSED, 'close' is emitted once on the next tick, and again closing is a no-op", async () => {
    const { tx, native } = sender();
    native.room = 0;
    const pending = tx.send('x', '239.3.3.5', 7002);
    let closes = 0;
    tx.on('close', () => closes++);
    tx.close();
    tx.close();
    expect(closes).toBe(0);
    await expect(pending).rejects.toMatchObject({ code: ErrorCodes.SOCKET_CLOSED });
    await turns(1);
    expect(closes).toBe(1);
    expect(tx.closed).toBe(true);
    expect(native.closed).toBe(true);
    await expect(tx.send('y', '239.3.3.5', 7002)).rejects.toMatchObject({ code: ErrorCodes.SOCKET_CLOSED });
    expect(() => tx.address()).toThrow(expect.objectContaining({ code: ErrorCodes.SOCKET_CLOSED }));
  });

  it('using and await using close it (Symbol.dispose, Symbol.asyncDispose)', async () => {
    const a = sender().tx;
    a[Symbol.dispose]();
    expect(a.closed).toBe(true);
    const b = sender().tx;
    let closed = false;
    b.once('close', () => (closed = true));
    await b[Symbol.asyncDispose]();
    expect(b.closed).toBe(true);
    await turns(1);
    expect(closed).toBe(true);
  });
});
