// Bad input of every type to every exported function and constructor: each call works or throws
// (rejects) a MulticastExpertError with a documented code. Never a TypeError from inside, never a
// crash, never an open socket left behind.
import * as mce from '../lib';
import { describeLab, freshPort } from './helpers';
import { Lab } from '../lab/lab';

const documented = new Set<string>(Object.values(mce.ErrorCodes));
const weird: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  2 ** 40,
  10n,
  '',
  'x'.repeat(5000),
  'eth0',
  '239.1.2.3',
  'ff15::1',
  '10.0.0.1',
  Symbol('s'),
  () => 1,
  {},
  [],
  [undefined],
  [{}],
  new Uint8Array(2),
  { name: 'lo', index: 1 },
  Object.create(null),
  new Proxy({}, {}),
];

function checkOutcome(fn: () => unknown): void {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    expect(err).toBeInstanceOf(mce.MulticastExpertError);
    expect(documented.has((err as mce.MulticastExpertError).code)).toBe(true);
    return;
  }
  // Sockets that a weird value happened to open are closed again.
  if (result instanceof mce.McastRxSocket || result instanceof mce.McastTxSocket) result.close();
}

async function checkAsyncOutcome(p: () => Promise<unknown>): Promise<void> {
  try {
    await p();
  } catch (err) {
    expect(err).toBeInstanceOf(mce.MulticastExpertError);
    expect(documented.has((err as mce.MulticastExpertError).code)).toBe(true);
  }
}

describe('bad input to the address and interface functions', () => {
  it('never throws anything but a MulticastExpertError with a documented code', () => {
    for (const a of weird) {
      checkOutcome(() => mce.validateMcastIp(a as string));
      checkOutcome(() => mce.isMulticastIp(a as string));
      for (const b of weird) checkOutcome(() => mce.validateMcastIp(a as string, b as mce.Family));
      checkOutcome(() => mce.getInterfaceIps(a as { ipv4?: boolean }));
      checkOutcome(() => mce.getInterfaceIps({ ipv4: a as boolean }));
      checkOutcome(() => mce.getDefaultGatewayIfaceIp(a as mce.Family));
      checkOutcome(() => mce.getDefaultGatewayIface(a as mce.Family));
      checkOutcome(() => mce.getDefaultGatewayIface('ipv4', a as { ifaces?: mce.IfaceInfo[] }));
      checkOutcome(() => mce.getDefaultGatewayIface('ipv4', { ifaces: a as mce.IfaceInfo[] }));
      checkOutcome(() => mce.findInterfaces(a as mce.IfaceSpecifier[]));
      checkOutcome(() => mce.findInterfaces([a as mce.IfaceSpecifier]));
      checkOutcome(() => mce.findInterfaces(['lo'], a as { ifaces?: mce.IfaceInfo[] }));
      checkOutcome(() => mce.findInterfaces(['lo'], { ifaces: a as mce.IfaceInfo[] }));
    }
  });

  it('isMulticastIp answers false rather than throwing', () => {
    for (const a of weird) if (typeof a !== 'string') expect(mce.isMulticastIp(a as string)).toBe(false);
  });
});

describeLab('bad input to the socket classes', () => {
  let lab: Lab;
  let iface: string;
  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('bad');
    iface = await lab.connect(lab.self, lan, { ipv4: '10.51.0.1/24', ipv6: 'fd51::1/64' });
  });
  afterAll(() => lab?.close());

  it('constructors take any value for any option without crashing or leaking', async () => {
    const before = new Set(require('node:fs').readdirSync('/proc/self/fd'));
    const rxKeys = ['groups', 'port', 'family', 'iface', 'ifaces', 'sources', 'externalLoopback', 'timeout', 'receiveBufferSize', 'maxMessageSize', 'timestamps', 'rejoin', 'bogus'];
    const txKeys = ['groups', 'family', 'iface', 'ttl', 'externalLoopback', 'port', 'bogus'];
    for (const a of weird) {
      checkOutcome(() => new mce.McastRxSocket(a as mce.McastRxSocketOptions));
      checkOutcome(() => new mce.McastTxSocket(a as mce.McastTxSocketOptions));
      for (const key of rxKeys) checkOutcome(() => new mce.McastRxSocket({ groups: ['239.5.1.1'], port: freshPort(), iface, [key]: a } as mce.McastRxSocketOptions));
      for (const key of txKeys) checkOutcome(() => new mce.McastTxSocket({ iface, [key]: a } as mce.McastTxSocketOptions));
    }
    // Descriptors are closed once libuv has released their handles: a loop turn later.
    await new Promise((r) => setTimeout(r, 50));
    const after = require('node:fs').readdirSync('/proc/self/fd') as string[];
    expect(after.filter((fd) => !before.has(fd)).length).toBeLessThanOrEqual(1);
  });

  it('methods take any value for any argument', async () => {
    const rx = new mce.McastRxSocket({ groups: ['239.5.1.2'], port: freshPort(), iface });
    const tx = new mce.McastTxSocket({ iface });
    for (const a of weird) {
      checkOutcome(() => rx.join(a as string));
      checkOutcome(() => rx.join('239.5.1.3', a as { ifaces?: mce.IfaceSpecifier[] }));
      checkOutcome(() => rx.join('239.5.1.3', { ifaces: a as mce.IfaceSpecifier[] }));
      checkOutcome(() => rx.join('239.5.1.4', { sources: a as string[] }));
      checkOutcome(() => rx.leave(a as string));
      checkOutcome(() => rx.leave('239.5.1.3', a as { ifaces?: mce.IfaceSpecifier[] }));
      checkOutcome(() => rx.blockSource(a as string, '10.51.0.9'));
      checkOutcome(() => rx.blockSource('239.5.1.2', a as string));
      checkOutcome(() => rx.unblockSource('239.5.1.2', a as string));
      checkOutcome(() => {
        rx.timeout = a as number;
      });
      // Whatever that set, receive() below must not wait.
      rx.timeout = 0;
      await checkAsyncOutcome(() => rx.receive(a as mce.ReceiveOptions));
      await checkAsyncOutcome(() => rx.receive({ timeout: a as number }));
      await checkAsyncOutcome(() => rx.receive({ timeout: 0, signal: a as AbortSignal }));
      await checkAsyncOutcome(() => tx.send(a as string, '239.5.1.2', 1234));
      await checkAsyncOutcome(() => tx.send('x', a as string, 1234));
      await checkAsyncOutcome(() => tx.send('x', '239.5.1.2', a as number));
      await checkAsyncOutcome(() => tx.sendBatch(a as mce.McastBatchMessage[]));
      await checkAsyncOutcome(() => tx.sendBatch([a as mce.McastBatchMessage]));
      await checkAsyncOutcome(() => tx.sendBatch([{ data: 'x', group: '239.5.1.2', port: a as number }]));
    }
    rx.close();
    tx.close();
    await checkAsyncOutcome(() => rx.receive());
    await checkAsyncOutcome(() => tx.send('x', '239.5.1.2', 1234));
    checkOutcome(() => rx.join('239.5.1.9'));
    checkOutcome(() => rx.stats());
    checkOutcome(() => tx.address());
  });
});
