// Bad input of every type to every exported function and constructor: each call works or throws
// (rejects) a MulticastExpertError with a documented code. Never a TypeError from inside, never a
// crash, never an open socket left behind.
import * as mce from '../lib';
import { describeLab, freshPort } from './helpers';
import * as oracle from './bad-input-oracle';
import { type Verdict, all } from './bad-input-oracle';
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

/** A call's outcome against its verdict: an error must be a documented MulticastExpertError. */
function expectOutcome(verdict: Verdict, fn: () => unknown, label: () => string): void {
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    if (!(err instanceof mce.MulticastExpertError)) throw new Error(`${label()}: threw ${String(err)}, not a MulticastExpertError`);
    if (!documented.has(err.code)) throw new Error(`${label()}: undocumented code ${err.code}`);
    if (verdict === 'ok') throw new Error(`${label()}: must work, threw ${err.code}: ${err.message}`);
    return;
  }
  // Sockets that a weird value happened to open are closed again.
  if (result instanceof mce.McastRxSocket || result instanceof mce.McastTxSocket) result.close();
  if (verdict === 'error') throw new Error(`${label()}: must throw a MulticastExpertError, but worked`);
}

async function expectAsyncOutcome(verdict: Verdict, p: () => Promise<unknown>, label: () => string): Promise<void> {
  try {
    await p();
  } catch (err) {
    if (!(err instanceof mce.MulticastExpertError)) throw new Error(`${label()}: rejected with ${String(err)}, not a MulticastExpertError`);
    if (!documented.has(err.code)) throw new Error(`${label()}: undocumented code ${err.code}`);
    if (verdict === 'ok') throw new Error(`${label()}: must work, rejected with ${err.code}: ${err.message}`);
    return;
  }
  if (verdict === 'error') throw new Error(`${label()}: must reject with a MulticastExpertError, but resolved`);
}

/** A readable name for a weird value, for failure messages. */
function show(v: unknown): string {
  if (typeof v === 'symbol') return 'a symbol';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'string') return JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v);
  try {
    return Object.prototype.toString.call(v) === '[object Object]' || Array.isArray(v) ? JSON.stringify(v) ?? String(v) : Object.prototype.toString.call(v);
  } catch {
    return 'an object';
  }
}

describe('bad input to the address and interface functions', () => {
  it('throws a MulticastExpertError with a documented code where the value is wrong, and works where it is right', () => {
    const none = {};
    for (const a of weird) {
      const at = (call: string) => () => `${call} with ${show(a)}`;
      expectOutcome(oracle.groupVerdict(a), () => mce.validateMcastIp(a as string), at('validateMcastIp(a)'));
      expectOutcome('ok', () => mce.isMulticastIp(a as string), at('isMulticastIp(a)'));
      for (const b of weird) expectOutcome(oracle.groupOfFamily(a, b), () => mce.validateMcastIp(a as string, b as mce.Family), () => `validateMcastIp(${show(a)}, ${show(b)})`);
      expectOutcome(oracle.interfaceIpsVerdict(a), () => mce.getInterfaceIps(a as { ipv4?: boolean }), at('getInterfaceIps(a)'));
      expectOutcome(oracle.interfaceIpsVerdict({ ipv4: a }), () => mce.getInterfaceIps({ ipv4: a as boolean }), at('getInterfaceIps({ ipv4: a })'));
      expectOutcome(oracle.familyArgument(a), () => mce.getDefaultGatewayIfaceIp(a as mce.Family), at('getDefaultGatewayIfaceIp(a)'));
      expectOutcome(oracle.familyArgument(a), () => mce.getDefaultGatewayIface(a as mce.Family), at('getDefaultGatewayIface(a)'));
      expectOutcome(oracle.ifacesOptionVerdict(a), () => mce.getDefaultGatewayIface('ipv4', a as { ifaces?: mce.IfaceInfo[] }), at("getDefaultGatewayIface('ipv4', a)"));
      expectOutcome(oracle.ifacesOptionVerdict({ ifaces: a }), () => mce.getDefaultGatewayIface('ipv4', { ifaces: a as mce.IfaceInfo[] }), at("getDefaultGatewayIface('ipv4', { ifaces: a })"));
      expectOutcome(oracle.specifiersVerdict(a), () => mce.findInterfaces(a as mce.IfaceSpecifier[]), at('findInterfaces(a)'));
      expectOutcome(oracle.specifiersVerdict([a]), () => mce.findInterfaces([a as mce.IfaceSpecifier]), at('findInterfaces([a])'));
      expectOutcome(oracle.ifacesOptionVerdict(a), () => mce.findInterfaces(['lo'], a as { ifaces?: mce.IfaceInfo[] }), at("findInterfaces(['lo'], a)"));
      // Given interfaces are the only ones looked at: 'lo' is found only when it is among them.
      const given = a === undefined ? 'ok' : oracle.ifacesOptionVerdict({ ifaces: a }) === 'error' ? 'error' : (a as unknown[]).some((i) => (i as { name?: string }).name === 'lo') ? 'ok' : 'error';
      expectOutcome(given, () => mce.findInterfaces(['lo'], { ifaces: a as mce.IfaceInfo[] }), at("findInterfaces(['lo'], { ifaces: a })"));
    }
    // The right values work.
    expectOutcome('ok', () => mce.validateMcastIp('239.1.2.3', 'ipv4'), () => 'validateMcastIp ipv4');
    expectOutcome('ok', () => mce.findInterfaces(['lo'], none), () => "findInterfaces(['lo'], {})");
    expectOutcome('ok', () => mce.findInterfaces(['lo'], { ifaces: mce.scanInterfaces() }), () => 'findInterfaces with scanned ifaces');
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

  it('constructors take any value for any option without crashing or leaking, and refuse every wrong one', async () => {
    const before = new Set(require('node:fs').readdirSync('/proc/self/fd'));
    const rxKeys = [...Object.keys(oracle.rxOptions), 'bogus'];
    const txKeys = [...Object.keys(oracle.txOptions), 'bogus'];
    for (const a of weird) {
      expectOutcome(oracle.optionsVerdict(a, oracle.rxOptions, false), () => new mce.McastRxSocket(a as mce.McastRxSocketOptions), () => `new McastRxSocket(${show(a)})`);
      expectOutcome(oracle.optionsVerdict(a, oracle.txOptions, true), () => new mce.McastTxSocket(a as mce.McastTxSocketOptions), () => `new McastTxSocket(${show(a)})`);
      for (const key of rxKeys) {
        const options = { groups: ['239.5.1.1'], port: freshPort(), iface, [key]: a };
        expectOutcome(oracle.optionsVerdict(options, oracle.rxOptions, false), () => new mce.McastRxSocket(options as mce.McastRxSocketOptions), () => `new McastRxSocket({ ${key}: ${show(a)} })`);
      }
      for (const key of txKeys) {
        const options = { iface, [key]: a };
        expectOutcome(oracle.optionsVerdict(options, oracle.txOptions, true), () => new mce.McastTxSocket(options as mce.McastTxSocketOptions), () => `new McastTxSocket({ ${key}: ${show(a)} })`);
      }
    }
    // Descriptors are closed once libuv has released their handles: a loop turn later.
    await new Promise((r) => setTimeout(r, 50));
    const after = require('node:fs').readdirSync('/proc/self/fd') as string[];
    expect(after.filter((fd) => !before.has(fd)).length).toBeLessThanOrEqual(1);
  });

  it('methods take any value for any argument, and refuse every wrong one', async () => {
    const rx = new mce.McastRxSocket({ groups: ['239.5.1.2'], port: freshPort(), iface });
    const tx = new mce.McastTxSocket({ iface });
    const joinOptions = { ifaces: oracle.rxOptions.ifaces as (v: unknown) => Verdict, sources: oracle.rxOptions.sources as (v: unknown) => Verdict };
    const leaveOptions = { ifaces: oracle.rxOptions.ifaces as (v: unknown) => Verdict };
    const receiveOptions = { timeout: oracle.timeoutVerdict, signal: (v: unknown): Verdict => (v === undefined || v instanceof AbortSignal ? 'ok' : 'error') };
    const ipv4Group = (v: unknown): Verdict => oracle.groupOfFamily(v, 'ipv4');
    const ipv4Source = (v: unknown): Verdict => (oracle.sourceVerdict(v) === 'error' || !require('node:net').isIPv4(v) ? 'error' : 'ok');
    for (const a of weird) {
      const at = (call: string) => () => `${call} with ${show(a)}`;
      expectOutcome(ipv4Group(a), () => rx.join(a as string), at('rx.join(a)'));
      expectOutcome(oracle.methodOptionsVerdict(a, joinOptions), () => rx.join('239.5.1.3', a as { ifaces?: mce.IfaceSpecifier[] }), at("rx.join('239.5.1.3', a)"));
      // An empty list of interfaces leaves nothing to join on.
      const ifacesVerdict = Array.isArray(a) && a.length === 0 ? 'error' : oracle.methodOptionsVerdict({ ifaces: a }, joinOptions);
      expectOutcome(ifacesVerdict, () => rx.join('239.5.1.3', { ifaces: a as mce.IfaceSpecifier[] }), at("rx.join('239.5.1.3', { ifaces: a })"));
      expectOutcome(all([oracle.methodOptionsVerdict({ sources: a }, joinOptions), a === undefined || (Array.isArray(a) && a.length === 0) ? 'ok' : 'either']), () => rx.join('239.5.1.4', { sources: a as string[] }), at("rx.join('239.5.1.4', { sources: a })"));
      expectOutcome(ipv4Group(a), () => rx.leave(a as string), at('rx.leave(a)'));
      expectOutcome(oracle.methodOptionsVerdict(a, leaveOptions), () => rx.leave('239.5.1.3', a as { ifaces?: mce.IfaceSpecifier[] }), at("rx.leave('239.5.1.3', a)"));
      // Blocking needs a joined any-source group and an IPv4 source.
      expectOutcome(a === '239.5.1.2' ? 'ok' : 'error', () => rx.blockSource(a as string, '10.51.0.9'), at("rx.blockSource(a, '10.51.0.9')"));
      expectOutcome(ipv4Source(a), () => rx.blockSource('239.5.1.2', a as string), at("rx.blockSource('239.5.1.2', a)"));
      expectOutcome(ipv4Source(a), () => rx.unblockSource('239.5.1.2', a as string), at("rx.unblockSource('239.5.1.2', a)"));
      expectOutcome(
        oracle.timeoutVerdict(a),
        () => {
          rx.timeout = a as number;
        },
        at('rx.timeout = a'),
      );
      // Whatever that set, receive() below must not wait.
      rx.timeout = 0;
      await expectAsyncOutcome(oracle.methodOptionsVerdict(a, receiveOptions), () => rx.receive(a as mce.ReceiveOptions), at('rx.receive(a)'));
      await expectAsyncOutcome(oracle.methodOptionsVerdict({ timeout: a }, receiveOptions), () => rx.receive({ timeout: a as number }), at('rx.receive({ timeout: a })'));
      await expectAsyncOutcome(oracle.methodOptionsVerdict({ timeout: 0, signal: a }, receiveOptions), () => rx.receive({ timeout: 0, signal: a as AbortSignal }), at('rx.receive({ signal: a })'));
      await expectAsyncOutcome(oracle.dataVerdict(a), () => tx.send(a as string, '239.5.1.2', 1234), at('tx.send(a, group, port)'));
      await expectAsyncOutcome(ipv4Group(a), () => tx.send('x', a as string, 1234), at('tx.send(data, a, port)'));
      await expectAsyncOutcome(oracle.destinationPort(a), () => tx.send('x', '239.5.1.2', a as number), at('tx.send(data, group, a)'));
      await expectAsyncOutcome(Array.isArray(a) && a.length === 0 ? 'ok' : 'error', () => tx.sendBatch(a as mce.McastBatchMessage[]), at('tx.sendBatch(a)'));
      await expectAsyncOutcome('error', () => tx.sendBatch([a as mce.McastBatchMessage]), at('tx.sendBatch([a])'));
      await expectAsyncOutcome(oracle.destinationPort(a), () => tx.sendBatch([{ data: 'x', group: '239.5.1.2', port: a as number }]), at('tx.sendBatch([{ port: a }])'));
    }
    rx.close();
    tx.close();
    for (const [name, call] of [
      ['rx.receive()', () => rx.receive()],
      ["tx.send('x', '239.5.1.2', 1234)", () => tx.send('x', '239.5.1.2', 1234)],
      ["tx.sendBatch([...])", () => tx.sendBatch([{ data: 'x', group: '239.5.1.2', port: 1234 }])],
    ] as const) {
      await expect(call()).rejects.toMatchObject({ code: mce.ErrorCodes.SOCKET_CLOSED, name: 'MulticastExpertError' });
      void name;
    }
    for (const call of [() => rx.join('239.5.1.9'), () => rx.leave('239.5.1.2'), () => rx.blockSource('239.5.1.2', '10.51.0.9'), () => rx.stats(), () => tx.address()]) {
      expect(call).toThrow(expect.objectContaining({ code: mce.ErrorCodes.SOCKET_CLOSED }));
    }
  });
});
