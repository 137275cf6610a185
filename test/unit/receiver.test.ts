// McastRxSocket's own logic on the fake native layer (test/fake-native/), without sockets or
// namespaces, on any OS: what a datagram becomes, the bounded queue and its pause and resume, the
// consumers (listeners, receive(), for await), liveness, the 'error' rule, closing. What the OS does
// (kernel filtering, isolation, real datagrams) is tested in the lab.
import { ErrorCodes, McastRxSocket, MulticastExpertError, type McastMessage } from '../../lib';
import { type FakeRxSocket, fakeIface, installFakeNative, kFakeKernelQueue } from '../fake-native';
import { numberOf, sender, textOf, turns } from './helpers';

const fake = installFakeNative([
  fakeIface(1, 'lo', { ipv4: ['127.0.0.1'] }, { loopback: true }),
  fakeIface(2, 'eth0', { ipv4: ['10.0.0.1'], ipv6: ['fd00::1'] }),
  fakeIface(3, 'eth1', { ipv4: ['10.1.0.1'] }),
]);
const QUEUE_LIMIT = 4096;
const QUEUE_RESUME = 1024;

let port = 30000;
const open: McastRxSocket[] = [];
afterEach(() => {
  for (const rx of open.splice(0)) rx.close();
});

/** A receiver of `groups` on eth0 (or other options), and its fake native socket. */
function receiver(groups = ['239.1.1.1'], options: Partial<ConstructorParameters<typeof McastRxSocket>[0]> = {}): { rx: McastRxSocket; native: FakeRxSocket; port: number } {
  const p = port++;
  // eth0 unless the options name interfaces themselves (iface and ifaces together are an error).
  const rx = new McastRxSocket({ groups, port: p, ...(options.ifaces === undefined ? { iface: 'eth0' } : {}), ...options });
  open.push(rx);
  return { rx, native: fake.receivers[fake.receivers.length - 1] as FakeRxSocket, port: p };
}

describe('what a datagram becomes', () => {
  it('a McastMessage with its group, interface, source, port and data; other groups, interfaces and sources are filtered', async () => {
    const { rx, port: p } = receiver(['239.1.1.1', '239.1.1.2'], { ifaces: ['eth0'], sources: ['10.0.0.7'] });
    const got: McastMessage[] = [];
    rx.on('message', (msg) => got.push(msg));
    sender(fake, '239.1.1.2', p).send('one');
    sender(fake, '239.1.1.3', p).send('other group');
    sender(fake, '239.1.1.1', p, 3).send('other interface');
    sender(fake, '239.1.1.1', p, 2, '10.0.0.8').send('other source');
    sender(fake, '239.1.1.1', p).send('two');
    await turns();
    expect(got.map(textOf)).toEqual(['one', 'two']);
    expect(got[0]).toMatchObject({ group: '239.1.1.2', port: p, ifaceIndex: 2, ifaceName: 'eth0', truncated: false, source: { address: '10.0.0.7', port: 5555, family: 'ipv4' } });
    expect(got[0]?.timestamp).toBeUndefined();
    expect(rx.stats()).toEqual({ received: 2, kernelDrops: 0, truncated: 0, filtered: 2 });
  });

  it('IPv6 sources as the OS writes them, truncation and timestamps as flagged', async () => {
    const { rx, port: p } = receiver(['ff15::1']);
    const got: McastMessage[] = [];
    rx.on('message', (msg) => got.push(msg));
    fake.network.deliver({ group: 'ff15::1', port: p, ifindex: 2, source: 'fd00:0:0::7', sourcePort: 1, data: Buffer.from('x'), truncated: true, timestamp: 1_700_000_000_123_456_789n });
    await turns();
    expect(got[0]).toMatchObject({ source: { address: 'fd00::7', family: 'ipv6' }, truncated: true, timestamp: 1_700_000_000_123_456_789n });
  });
});

describe('the bounded queue', () => {
  it('without a consumer, datagrams wait in order up to the bound; then the socket stops reading and the kernel drops, counted', async () => {
    const { rx, native, port: p } = receiver();
    const tx = sender(fake, '239.1.1.1', p);
    tx.numbered(QUEUE_LIMIT);
    await turns(8);
    expect(native.paused).toBe(true);
    // What the kernel holds, and then drops.
    tx.numbered(kFakeKernelQueue + 10);
    expect(rx.stats().kernelDrops).toBe(10);
    const first = await rx.receive();
    expect(first === null ? null : numberOf(first)).toBe(0);
  });

  it('a receive() loop empties it in order and the socket reads again once it is down to the resume mark', async () => {
    const { rx, native, port: p } = receiver();
    sender(fake, '239.1.1.1', p).numbered(QUEUE_LIMIT + 20);
    await turns(8);
    expect(native.paused).toBe(true);
    const seen: number[] = [];
    while (seen.length < QUEUE_LIMIT - QUEUE_RESUME - 1) seen.push(numberOf((await rx.receive()) as McastMessage));
    expect(native.paused).toBe(true);
    seen.push(numberOf((await rx.receive()) as McastMessage));
    expect(native.paused).toBe(false);
    await turns();
    while (seen.length < QUEUE_LIMIT + 20) seen.push(numberOf((await rx.receive({ timeout: 1000 })) as McastMessage));
    expect(seen).toEqual([...Array(QUEUE_LIMIT + 20).keys()]);
  });

  it.each(['message', 'batch'] as const)("a '%s' listener that comes later gets the queue first, in order, once the call that added it returned, then the rest", async (kind) => {
    const { rx, native, port: p } = receiver();
    const tx = sender(fake, '239.1.1.1', p);
    tx.numbered(QUEUE_LIMIT + 100);
    await turns(8);
    expect(native.paused).toBe(true);
    const got: number[] = [];
    if (kind === 'message') rx.on('message', (msg) => got.push(numberOf(msg)));
    else rx.on('batch', (msgs) => got.push(...msgs.map(numberOf)));
    expect(got).toEqual([]);
    await turns(8);
    expect(native.paused).toBe(false);
    tx.numbered(50);
    await turns(8);
    expect(got).toEqual([...Array(QUEUE_LIMIT + 150).keys()]);
  });

  it("with only 'batch' listeners nothing waits for receive(); a 'message' listener gets the same datagrams one by one", async () => {
    const { rx, port: p } = receiver();
    const batches: number[][] = [];
    const onBatch = (msgs: McastMessage[]): void => void batches.push(msgs.map(numberOf));
    rx.on('batch', onBatch);
    sender(fake, '239.1.1.1', p).numbered(3);
    await turns();
    expect(batches).toEqual([[0, 1, 2]]);
    expect(await rx.receive({ timeout: 0 })).toBeNull();
    const one: number[] = [];
    rx.on('message', (msg) => one.push(numberOf(msg)));
    sender(fake, '239.1.1.1', p).numbered(2);
    await turns();
    expect(batches).toEqual([[0, 1, 2], [0, 1]]);
    expect(one).toEqual([0, 1]);
  });
});

describe('receive()', () => {
  it('resolves to null when its timeout (or the socket default) passes, at once with 0', async () => {
    const { rx } = receiver(undefined, { timeout: 5 });
    expect(await rx.receive({ timeout: 0 })).toBeNull();
    expect(await rx.receive({ timeout: 5 })).toBeNull();
    expect(await rx.receive()).toBeNull();
    rx.timeout = undefined;
    expect(rx.timeout).toBeUndefined();
  });

  it('rejects with an AbortError when its signal aborts, and at once for one aborted already; the socket goes on', async () => {
    const { rx, port: p } = receiver();
    const controller = new AbortController();
    const pending = rx.receive({ signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    await expect(rx.receive({ signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const next = rx.receive();
    sender(fake, '239.1.1.1', p).send('after');
    expect(textOf(await next)).toBe('after');
  });

  it('pending calls get datagrams in the order they were made', async () => {
    const { rx, port: p } = receiver();
    const calls = [rx.receive(), rx.receive(), rx.receive()];
    sender(fake, '239.1.1.1', p).send('a', 'b', 'c');
    expect((await Promise.all(calls)).map(textOf)).toEqual(['a', 'b', 'c']);
  });
});

describe('for await', () => {
  it('yields the datagrams in order and ends when the socket closes', async () => {
    const { rx, port: p } = receiver();
    sender(fake, '239.1.1.1', p).send('a', 'b');
    const got: string[] = [];
    for await (const msg of rx) {
      got.push(msg.data.toString());
      if (got.length === 2) setImmediate(() => rx.close());
    }
    expect(got).toEqual(['a', 'b']);
  });

  it('breaking out closes the socket (the loop owns it, as a stream does); receive() takes datagrams and leaves it open', async () => {
    const { rx, native, port: p } = receiver();
    const tx = sender(fake, '239.1.1.1', p);
    tx.send('a', 'b');
    expect(textOf(await rx.receive())).toBe('a');
    expect(rx.closed).toBe(false);
    const closed = new Promise<void>((resolve) => rx.once('close', resolve));
    for await (const msg of rx) {
      expect(textOf(msg)).toBe('b');
      break;
    }
    expect(rx.closed).toBe(true);
    expect(native.closed).toBe(true);
    await closed;
    await expect(rx.receive()).rejects.toMatchObject({ code: ErrorCodes.SOCKET_CLOSED });
  });

  it('a throw in the loop body closes the socket too, and the throw goes on', async () => {
    const { rx, port: p } = receiver();
    sender(fake, '239.1.1.1', p).send('a');
    const loop = (async () => {
      for await (const msg of rx) throw new Error(`stop at ${textOf(msg)}`);
    })();
    await expect(loop).rejects.toThrow('stop at a');
    expect(rx.closed).toBe(true);
  });
});

describe('liveness: the socket keeps the process running exactly while someone waits for data', () => {
  it('follows listeners, whatever added or removed them, and pending receive() calls', async () => {
    const { rx, native } = receiver();
    const f = (): void => undefined;
    expect(native.keepAlive).toBe(false);
    rx.on('message', f);
    expect(native.keepAlive).toBe(true);
    rx.off('message', f);
    expect(native.keepAlive).toBe(false);
    rx.on('batch', f).on('error', f);
    rx.removeAllListeners();
    expect(native.keepAlive).toBe(false);
    rx.prependOnceListener('message', f);
    expect(native.keepAlive).toBe(true);
    rx.removeAllListeners('message');
    expect(native.keepAlive).toBe(false);
    const pending = rx.receive({ timeout: 5 });
    expect(native.keepAlive).toBe(true);
    await pending;
    expect(native.keepAlive).toBe(false);
  });

  it('a once() listener holds it until its datagram came', async () => {
    const { rx, native, port: p } = receiver();
    const got = new Promise<McastMessage>((resolve) => rx.once('message', resolve));
    expect(native.keepAlive).toBe(true);
    sender(fake, '239.1.1.1', p).send('x');
    expect(textOf(await got)).toBe('x');
    expect(native.keepAlive).toBe(false);
  });
});

describe("the 'error' rule", () => {
  const osError = (): Error => Object.assign(new Error('recvmsg ENOMEM'), { code: 'ENOMEM', errno: -12, syscall: 'recvmsg' });

  it("an error of the receive path goes to the 'error' listeners, as a MulticastExpertError with the OS error's code", () => {
    const { rx, native } = receiver();
    const errors: MulticastExpertError[] = [];
    rx.on('error', (err) => errors.push(err));
    native.onError(osError());
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(MulticastExpertError);
    expect(errors[0]).toMatchObject({ code: 'ENOMEM', errno: -12, syscall: 'recvmsg' });
    expect(errors[0]?.message).toMatch(/^receiving: /);
  });

  it('without a listener it rejects the oldest pending receive() (ending a for await loop with it), and only that one', async () => {
    const { rx, native, port: p } = receiver();
    const first = rx.receive();
    const second = rx.receive();
    native.onError(osError());
    await expect(first).rejects.toMatchObject({ code: 'ENOMEM' });
    sender(fake, '239.1.1.1', p).send('still there');
    expect(textOf(await second)).toBe('still there');
    expect(rx.closed).toBe(false);
    const loop = (async () => {
      for await (const msg of rx) void msg;
    })();
    await turns(1);
    native.onError(osError());
    await expect(loop).rejects.toMatchObject({ code: 'ENOMEM' });
    // The error ended the loop, which owns the socket: as a stream's iterator, it closed it.
    expect(rx.closed).toBe(true);
  });

  it('with neither it is a process warning, never a throw; the socket goes on', async () => {
    const { rx, native, port: p } = receiver();
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      expect(() => native.onError(osError())).not.toThrow();
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('ENOMEM'), expect.objectContaining({ code: 'ENOMEM', type: 'MulticastExpertWarning' }));
    } finally {
      warn.mockRestore();
    }
    const next = rx.receive();
    sender(fake, '239.1.1.1', p).send('after');
    expect(textOf(await next)).toBe('after');
  });
});

describe('closing', () => {
  it('pending receive() calls resolve to null, later ones reject with ERR_SOCKET_CLOSED; close is emitted once, on the next tick', async () => {
    const { rx, native } = receiver();
    let closes = 0;
    rx.on('close', () => closes++);
    const pending = rx.receive();
    rx.close();
    rx.close();
    expect(closes).toBe(0);
    expect(await pending).toBeNull();
    await turns(1);
    expect(closes).toBe(1);
    expect(rx.closed).toBe(true);
    expect(native.closed).toBe(true);
    await expect(rx.receive()).rejects.toMatchObject({ code: ErrorCodes.SOCKET_CLOSED });
    expect(() => rx.stats()).toThrow(expect.objectContaining({ code: ErrorCodes.SOCKET_CLOSED }));
    expect(() => rx.join('239.1.1.9')).toThrow(expect.objectContaining({ code: ErrorCodes.SOCKET_CLOSED }));
    expect(rx.osSocketCount).toBe(0);
  });

  it('a listener that closes the socket gets no datagram after it', async () => {
    const { rx, port: p } = receiver();
    const got: string[] = [];
    rx.on('message', (msg) => {
      got.push(msg.data.toString());
      rx.close();
    });
    sender(fake, '239.1.1.1', p).send('a', 'b', 'c');
    await turns();
    expect(got).toEqual(['a']);
  });

  it('using and await using close it (Symbol.dispose, Symbol.asyncDispose)', async () => {
    const a = receiver().rx;
    a[Symbol.dispose]();
    expect(a.closed).toBe(true);
    const b = receiver().rx;
    await b[Symbol.asyncDispose]();
    expect(b.closed).toBe(true);
  });

  it('a constructor that fails to join leaves nothing open, and says what it was doing', () => {
    const before = fake.receivers.length;
    fake.network.failNextSet = Object.assign(new Error('setsockopt ENOBUFS'), { code: 'ENOBUFS', syscall: 'setsockopt(MCAST_JOIN_GROUP)' });
    expect(() => new McastRxSocket({ groups: ['239.1.1.1'], port: 1, iface: 'eth0' })).toThrow(expect.objectContaining({ code: 'ENOBUFS', message: expect.stringContaining('joining 239.1.1.1 on eth0') }));
    expect(fake.receivers.length).toBe(before + 1);
    expect(fake.receivers[before]?.closed).toBe(true);
  });
});
