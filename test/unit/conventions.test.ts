// Node's conventions on the fake native layer: the `signal` option of both sockets (as
// dgram.createSocket's), and iface with ifaces rejected. A real socket closed by its signal, and a
// real receive loop broken out of, are tested in the lab (test/conventions.test.ts).
import { getEventListeners } from 'node:events';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { ErrorCodes, McastRxSocket, McastTxSocket } from '../../lib';
import { type FakeRxSocket, type FakeTxSocket, fakeIface, installFakeNative } from '../fake-native';
import { turns } from './helpers';

const fake = installFakeNative([fakeIface(2, 'eth0', { ipv4: ['10.0.0.1'] }), fakeIface(3, 'eth1', { ipv4: ['10.1.0.1'] })]);
fake.network.defaultRoute.ipv4 = 2;

let port = 32000;
const lastRx = (): FakeRxSocket => fake.receivers[fake.receivers.length - 1] as FakeRxSocket;
const lastTx = (): FakeTxSocket => fake.senders[fake.senders.length - 1] as FakeTxSocket;
const abortListeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

/** The 'close' events `socket` emits from now on, counted. */
function closeEvents(socket: McastRxSocket | McastTxSocket): { count: number } {
  const seen = { count: 0 };
  const count = (): void => void seen.count++;
  if (socket instanceof McastRxSocket) socket.on('close', count);
  else socket.on('close', count);
  return seen;
}

const kinds = {
  McastRxSocket: (signal?: AbortSignal) => {
    const rx = new McastRxSocket({ groups: ['239.1.1.1'], port: port++, iface: 'eth0', ...(signal === undefined ? {} : { signal }) });
    return { socket: rx, native: lastRx() };
  },
  McastTxSocket: (signal?: AbortSignal) => {
    const tx = new McastTxSocket({ iface: 'eth0', ...(signal === undefined ? {} : { signal }) });
    return { socket: tx, native: lastTx() };
  },
};

describe.each(Object.entries(kinds))('%s: the signal option', (_, open) => {
  it('closes the socket when the signal aborts, once, with one close event', async () => {
    const ac = new AbortController();
    const { socket, native } = open(ac.signal);
    const closes = closeEvents(socket);
    expect(socket.closed).toBe(false);
    expect(abortListeners(ac.signal)).toBe(1);
    ac.abort();
    expect(socket.closed).toBe(true);
    expect(native.closed).toBe(true);
    socket.close();
    await turns();
    expect(closes.count).toBe(1);
    expect(abortListeners(ac.signal)).toBe(0);
  });

  it('an already-aborted signal: as dgram.createSocket, a socket that is closed at once (no throw), then its close event', async () => {
    const ac = new AbortController();
    ac.abort();
    const { socket, native } = open(ac.signal);
    const closes = closeEvents(socket);
    expect(socket.closed).toBe(true);
    expect(native.closed).toBe(true);
    expect(abortListeners(ac.signal)).toBe(0);
    await turns();
    expect(closes.count).toBe(1);
  });

  it('close() takes the listener off the signal: many sockets on one long-lived signal leave none behind', () => {
    const ac = new AbortController();
    for (let i = 0; i < 50; i++) open(ac.signal).socket.close();
    expect(abortListeners(ac.signal)).toBe(0);
    // An abort after close does nothing more.
    expect(() => ac.abort()).not.toThrow();
  });

  it('rejects a signal that is not an AbortSignal, opening nothing', () => {
    const before = fake.receivers.length + fake.senders.length;
    expect(() => open({ aborted: false } as AbortSignal)).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTION, message: expect.stringContaining('signal must be an AbortSignal') }));
    expect(fake.receivers.length + fake.senders.length).toBe(before);
  });
});

describe('McastRxSocket with an already-aborted signal', () => {
  it('joins nothing: no membership is set on the way to closing', () => {
    const ac = new AbortController();
    ac.abort();
    new McastRxSocket({ groups: ['239.1.1.1', '239.1.1.2'], port: port++, iface: 'eth0', signal: ac.signal });
    expect(lastRx().calls).toEqual([]);
  });

  it('a pending receive() resolves to null when the signal closes the socket', async () => {
    const ac = new AbortController();
    const rx = new McastRxSocket({ groups: ['239.1.1.1'], port: port++, iface: 'eth0', signal: ac.signal });
    const pending = rx.receive();
    ac.abort();
    expect(await pending).toBeNull();
  });
});

describe('iface and ifaces together', () => {
  it('are rejected with ERR_INVALID_OPTION, the message saying which to keep, nothing opened', () => {
    const before = fake.receivers.length;
    let thrown: unknown;
    try {
      new McastRxSocket({ groups: ['239.1.1.1'], port: port++, iface: 'eth0', ifaces: ['eth1'] });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: ErrorCodes.INVALID_OPTION, message: expect.stringMatching(/both iface and ifaces: keep iface for one interface, or ifaces for several/) });
    expect(fake.receivers).toHaveLength(before);
  });

  it('also when they name the same interface, or ifaces is empty', () => {
    for (const ifaces of [['eth0'], []]) {
      expect(() => new McastRxSocket({ groups: ['239.1.1.1'], port: port++, iface: 'eth0', ifaces })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_OPTION }));
    }
  });

  it('each alone is fine', () => {
    const one = new McastRxSocket({ groups: ['239.1.1.1'], port: port++, iface: 'eth0' });
    const several = new McastRxSocket({ groups: ['239.1.1.1'], port: port++, ifaces: ['eth0', 'eth1'] });
    expect(one.ifaces.map((i) => i.name)).toEqual(['eth0']);
    expect(several.ifaces.map((i) => i.name)).toEqual(['eth0', 'eth1']);
    one.close();
    several.close();
  });
});

describe('a long-lived signal and sockets nobody closed', () => {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;

  it.each(Object.entries(kinds))('does not keep a %s alive: it is garbage-collected, closed, and its listener taken off', async (_, open) => {
    const ac = new AbortController();
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const natives = Array.from({ length: 5 }, () => open(ac.signal).native);
      expect(abortListeners(ac.signal)).toBe(5);
      for (let i = 0; i < 20 && natives.some((n) => !n.closed); i++) {
        gc();
        await turns(2);
      }
      expect(natives.every((n) => n.closed)).toBe(true);
      expect(abortListeners(ac.signal)).toBe(0);
    } finally {
      warn.mockRestore();
    }
  });
});
