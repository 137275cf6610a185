// Property-based bad input (fast-check): random values of every JavaScript type and shape, mixed
// with nearly-valid ones, at every exported function, constructor option and method argument. Each
// call works or throws (rejects) a MulticastExpertError with a documented code: never a TypeError
// from inside, never a crash, never a socket left open. The native layer, called directly with wrong
// arity and types, throws and never aborts (in a child process, so that an abort fails the test).
// test/bad-input.test.ts holds the deterministic matrix; CLI arguments are tested with the CLI.
import * as path from 'node:path';

import * as fc from 'fast-check';

import * as mce from '../lib';
import { catchError, describeLab, openSockets, sleep } from './helpers';
import * as oracle from './bad-input-oracle';
import type { Verdict } from './bad-input-oracle';
import { Lab } from '../lab/lab';

const RUNS = Number(process.env.MCE_PROPERTY_RUNS ?? 2000);
const SEED = process.env.MCE_PROPERTY_SEED === undefined ? undefined : Number(process.env.MCE_PROPERTY_SEED);
const params = (numRuns: number): fc.Parameters<unknown> => (SEED === undefined ? { numRuns } : { numRuns, seed: SEED });

const libraryCodes = new Set<string>(Object.values(mce.ErrorCodes));
let calls = 0;
let worked = 0;
let socketsOpened = 0;

/** A documented code: one of ErrorCodes, or an OS error (errno name) that carries errno and syscall. */
function checkError(err: unknown, allowAbort = false): void {
  if (allowAbort && err instanceof Error && err.name === 'AbortError') return;
  if (!(err instanceof mce.MulticastExpertError)) throw new Error(`not a MulticastExpertError: ${err instanceof Error ? err.stack : String(err)}`);
  if (libraryCodes.has(err.code)) return;
  if (/^E[A-Z0-9]+$/.test(err.code) && typeof err.errno === 'number' && typeof err.syscall === 'string') return;
  throw new Error(`undocumented code ${err.code}: ${err.message}`);
}

/**
 * Calls fn: it returns, or throws a documented MulticastExpertError; with a verdict of 'error' (see
 * bad-input-oracle.ts) it must throw, with 'ok' it must not. Sockets it opens are closed.
 */
function outcome(fn: () => unknown, verdict: Verdict = 'either', what?: () => string): unknown {
  calls++;
  let result: unknown;
  try {
    result = fn();
  } catch (err) {
    checkError(err);
    if (verdict === 'ok') throw new Error(`${what?.() ?? 'the call'} must work, but threw ${(err as Error).message}`);
    return undefined;
  }
  worked++;
  if (verdict === 'error') {
    if (result instanceof mce.McastRxSocket || result instanceof mce.McastTxSocket) result.close();
    throw new Error(`${what?.() ?? 'the call'} must throw a MulticastExpertError, but worked`);
  }
  if (result instanceof mce.McastRxSocket || result instanceof mce.McastTxSocket) {
    socketsOpened++;
    result.close();
  }
  return result;
}

/** For promises: settles with a documented error, or is still pending after a moment (a receive that waits). */
async function asyncOutcome(fn: () => unknown, allowAbort = false): Promise<void> {
  calls++;
  let p: unknown;
  try {
    p = fn();
  } catch (err) {
    checkError(err, allowAbort);
    return;
  }
  if (!(p instanceof Promise)) return;
  const settled = await Promise.race([p.then(() => 'ok', (err: unknown) => err), sleep(5).then(() => 'pending')]);
  if (settled !== 'ok' && settled !== 'pending') checkError(settled, allowAbort);
  else worked++;
}

// ---- Arbitraries ---------------------------------------------------------------------------------

const hostile = (): object => ({
  toString(): string {
    throw new Error('hostile toString');
  },
  valueOf(): number {
    throw new Error('hostile valueOf');
  },
  [Symbol.toPrimitive](): never {
    throw new Error('hostile toPrimitive');
  },
});

function specials(iface: string): fc.Arbitrary<unknown> {
  const aborted = new AbortController();
  aborted.abort();
  return fc.constantFrom<unknown>(
    undefined, null, true, false, NaN, -0, Infinity, -Infinity, -1, 0, 1, 1.5, 255, 256, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 53, Number.MAX_VALUE, -(2 ** 31), 10n, -1n,
    '', ' ', '\0', '%', '::', '0.0.0.0', '255.255.255.255', 'x'.repeat(10000), '\u{1F600}', 'lo', iface, 'eth0', '1', '0',
    '239.1.2.3', '224.0.0.1', '232.1.1.1', 'ff15::1', 'ff02::1', 'ff02::1%lo', '239.1.2.3%lo', '10.0.0.1', '10.70.0.1', 'fd70::1', '::1', '127.0.0.1', 'fe80::1%lo', '::ffff:239.1.2.3',
    'ipv4', 'ipv6', 'IPV4', 4, 6,
    Symbol('s'), Symbol.iterator, () => 1, function named(): void {}, class K {},
    {}, [], [[]], [undefined], [null], [{}], [''], Object.create(null), new Proxy({}, {}), new Proxy([], {}), hostile(), [hostile()], { length: 2 ** 32 - 1 },
    new Uint8Array(0), new Uint8Array(3), Buffer.from('hi'), new Uint8Array(65507), new Uint8Array(65508), new Uint8Array(70000), new Float64Array(2), new DataView(new ArrayBuffer(2)), new ArrayBuffer(8),
    new Date(NaN), /re/, new Map(), new Set(['239.1.2.3']), new WeakMap(), Promise.resolve(), new Error('e'),
    aborted.signal, new AbortController().signal,
    { name: 'lo', index: 1, ipv4: [], ipv6: [] }, { name: 'lo', index: 1, ipv4: [{ address: '127.0.0.1', prefixLength: 8 }], ipv6: [] }, { name: 'x', index: 99999, ipv4: [], ipv6: [] },
  );
}

function nearlyValid(iface: string): fc.Arbitrary<unknown> {
  const group4 = fc.tuple(fc.integer({ min: 224, max: 239 }), fc.nat(255), fc.nat(255), fc.nat(255)).map((b) => b.join('.'));
  const group6 = fc.tuple(fc.constantFrom('ff02', 'ff05', 'ff15', 'ff3e', 'ff01', 'ff12'), fc.nat(0xffff)).map(([p, n]) => `${p}::${n.toString(16)}`);
  return fc.oneof(
    group4,
    group6,
    fc.ipV4(),
    fc.ipV6(),
    fc.ipV4Extended(),
    fc.constantFrom('lo', iface, 'nope0', '10.70.0.1', 'fd70::1'),
    fc.integer({ min: -2, max: 70000 }),
    fc.double(),
    fc.boolean(),
  );
}

function anyValue(iface: string): fc.Arbitrary<unknown> {
  const scalar = fc.oneof(specials(iface), nearlyValid(iface), fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true, maxDepth: 2 }));
  return fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: fc.array(scalar, { maxLength: 4 }) });
}

/** Values that fit each option, so that random option objects also open sockets now and then. */
function fitting(key: string, iface: string): fc.Arbitrary<unknown> {
  const group = fc.constantFrom('239.70.2.1', '239.70.2.2', '232.70.2.1', 'ff15::72', 'ff02::72');
  const ifaceSpec = fc.constantFrom<unknown>(iface, 'lo', '10.70.0.1', 'fd70::1', 1);
  switch (key) {
    case 'groups':
      return fc.array(group, { maxLength: 3 });
    case 'port':
      return fc.integer({ min: 1, max: 65535 });
    case 'family':
      return fc.constantFrom('ipv4', 'ipv6');
    case 'iface':
      return ifaceSpec;
    case 'ifaces':
      return fc.array(ifaceSpec, { maxLength: 3 });
    case 'sources':
      return fc.array(fc.constantFrom('10.70.0.9', 'fd70::9'), { maxLength: 2 });
    case 'timeout':
      return fc.nat();
    case 'receiveBufferSize':
      return fc.integer({ min: 1, max: 1 << 22 });
    case 'maxMessageSize':
      return fc.integer({ min: 1, max: 65535 });
    case 'ttl':
      return fc.nat(255);
    default:
      return fc.boolean();
  }
}

/** Option objects: any subset of the real keys (now and then a bogus one), each with a fitting or any value. */
function optionsOf(keys: readonly string[], iface: string): fc.Arbitrary<unknown> {
  const v = anyValue(iface);
  const entry = (k: string): [string, fc.Arbitrary<unknown>] => [k, fc.oneof({ weight: 3, arbitrary: fitting(k, iface) }, { weight: 1, arbitrary: v })];
  const record = fc.record(Object.fromEntries(keys.map(entry)), { requiredKeys: [] });
  const withBogus = fc.record(Object.fromEntries([...keys, 'bogus'].map(entry)), { requiredKeys: [] });
  return fc.oneof({ weight: 8, arbitrary: record }, { weight: 1, arbitrary: withBogus }, { weight: 1, arbitrary: v });
}

const rxKeys = ['groups', 'port', 'family', 'iface', 'ifaces', 'sources', 'externalLoopback', 'timeout', 'receiveBufferSize', 'maxMessageSize', 'timestamps'] as const;
const txKeys = ['groups', 'family', 'iface', 'ttl', 'externalLoopback', 'port'] as const;

describe('cases the properties found', () => {
  it('a receiver with no groups and a family that is not one throws ERR_INVALID_OPTION', () => {
    for (const family of [{}, Object.create(null), 'ipv5', 4, null]) {
      const err = catchError(() => new mce.McastRxSocket({ groups: [], port: 1, family: family as mce.Family, sources: ['10.70.0.9'] }));
      expect(err.code).toBe('ERR_INVALID_OPTION');
    }
  });
});

describe('property: the address and interface functions take anything', () => {
  const v = anyValue('lo');
  const args = fc.array(v, { maxLength: 3 });

  it('isMulticastIp never throws and answers a boolean', () => {
    fc.assert(
      fc.property(v, (a) => {
        calls++;
        expect(typeof mce.isMulticastIp(a as string)).toBe('boolean');
      }),
      params(RUNS * 2),
    );
  });

  it('every other exported function works or throws a documented MulticastExpertError, and throws for every wrong argument', () => {
    // Each function with the verdict on its arguments (see bad-input-oracle.ts).
    const fns: [string, (...a: unknown[]) => unknown, (a: unknown[]) => Verdict][] = [
      ['validateMcastIp', mce.validateMcastIp as (...a: unknown[]) => unknown, (a) => oracle.groupOfFamily(a[0], a[1])],
      ['scanInterfaces', mce.scanInterfaces as (...a: unknown[]) => unknown, () => 'ok'],
      ['findInterfaces', mce.findInterfaces as (...a: unknown[]) => unknown, (a) => oracle.all([oracle.specifiersVerdict(a[0]), oracle.ifacesOptionVerdict(a[1])])],
      ['getInterfaceIps', mce.getInterfaceIps as (...a: unknown[]) => unknown, (a) => oracle.interfaceIpsVerdict(a[0])],
      ['getDefaultGatewayIface', mce.getDefaultGatewayIface as (...a: unknown[]) => unknown, (a) => oracle.all([oracle.familyArgument(a[0]), oracle.ifacesOptionVerdict(a[1])])],
      ['getDefaultGatewayIfaceIp', mce.getDefaultGatewayIfaceIp as (...a: unknown[]) => unknown, (a) => oracle.familyArgument(a[0])],
      ['getDefaultGatewayIfaceIpV4', mce.getDefaultGatewayIfaceIpV4 as (...a: unknown[]) => unknown, () => 'ok'],
      ['getDefaultGatewayIfaceIpV6', mce.getDefaultGatewayIfaceIpV6 as (...a: unknown[]) => unknown, () => 'ok'],
    ];
    fc.assert(
      fc.property(fc.constantFrom(...fns), args, ([name, fn, verdict], a) => {
        outcome(() => fn(...a), verdict(a), () => `${name}(${a.map((x) => fc.stringify(x)).join(', ')})`);
      }),
      params(RUNS * 3),
    );
  });
});

describeLab('property: the socket classes take anything', () => {
  let lab: Lab;
  let iface: string;
  let socketsBefore: number;

  beforeAll(async () => {
    lab = await Lab.create();
    const lan = await lab.lan('prop');
    iface = await lab.connect(lab.self, lan, { ipv4: '10.70.0.1/24', ipv6: 'fd70::1/64' });
    socketsBefore = openSockets();
  });
  afterAll(async () => {
    await lab?.close();
    console.log(
      `bad-input properties: ${calls} calls with random arguments, ${worked} worked (${socketsOpened} sockets opened and closed), the rest threw documented errors (${RUNS} runs per property${SEED === undefined ? '' : `, seed ${SEED}`})`,
    );
  });

  it('constructors: any options work (then close) or throw a documented error, leaving nothing open', async () => {
    fc.assert(
      fc.property(optionsOf(rxKeys, iface), (o) => {
        outcome(() => new mce.McastRxSocket(o as mce.McastRxSocketOptions), oracle.optionsVerdict(o, oracle.rxOptions, false), () => `new McastRxSocket(${fc.stringify(o)})`);
      }),
      params(RUNS * 2),
    );
    fc.assert(
      fc.property(optionsOf(txKeys, iface), (o) => {
        outcome(() => new mce.McastTxSocket(o as mce.McastTxSocketOptions), oracle.optionsVerdict(o, oracle.txOptions, true), () => `new McastTxSocket(${fc.stringify(o)})`);
      }),
      params(RUNS * 2),
    );
    // Descriptors go once libuv has released their handles: a loop turn or two.
    await sleep(50);
    expect(openSockets()).toBe(socketsBefore);
  });

  it('methods: random calls in random order, close among them, on open and closed sockets', async () => {
    const v = anyValue(iface);
    const groups = fc.constantFrom('239.70.0.1', '239.70.0.2', '239.70.0.3', '232.70.0.1', 'ff15::70', '10.70.0.9');
    const arg = fc.oneof(v, groups);
    const call = fc.tuple(
      fc.constantFrom('join', 'leave', 'blockSource', 'unblockSource', 'receive', 'timeout', 'stats', 'groups', 'iterate', 'close', 'send', 'sendBatch', 'address', 'emit'),
      fc.array(arg, { maxLength: 4 }),
    );
    const family = fc.constantFrom<mce.Family>('ipv4', 'ipv6');
    await fc.assert(
      fc.asyncProperty(family, fc.array(call, { minLength: 1, maxLength: 12 }), async (fam, script) => {
        const rx = new mce.McastRxSocket({ groups: [fam === 'ipv4' ? '239.70.1.1' : 'ff15::71'], port: 47000, iface });
        const tx = new mce.McastTxSocket({ iface, family: fam });
        rx.on('error', () => {});
        for (const [method, a] of script) {
          switch (method) {
            case 'receive':
              await asyncOutcome(() => rx.receive(...(a as [mce.ReceiveOptions])), true);
              break;
            case 'timeout':
              outcome(() => {
                rx.timeout = a[0] as number;
              });
              break;
            case 'groups':
              outcome(() => [rx.groups, rx.ifaces, rx.closed, rx.osSocketCount, rx.port, rx.family, tx.iface, tx.closed]);
              break;
            case 'iterate':
              await asyncOutcome(() => rx[Symbol.asyncIterator]().next());
              break;
            case 'close':
              outcome(() => (a.length % 2 === 0 ? rx.close() : tx.close()));
              break;
            case 'send':
              await asyncOutcome(() => tx.send(...(a as [string, string, number])));
              break;
            case 'sendBatch':
              await asyncOutcome(() => tx.sendBatch(a as mce.McastBatchMessage[]));
              await asyncOutcome(() => tx.sendBatch([{ data: a[0], group: a[1], port: a[2] }] as mce.McastBatchMessage[]));
              break;
            case 'address':
              outcome(() => tx.address());
              break;
            case 'emit':
              // What a user may do to the EventEmitter: listeners come and go.
              outcome(() => {
                const f = (): void => {};
                rx.on('message', f);
                rx.off('message', f);
              });
              break;
            case 'stats':
              outcome(() => rx.stats());
              break;
            default:
              outcome(() => (rx as unknown as Record<string, (...x: unknown[]) => unknown>)[method]?.(...a));
          }
        }
        rx.close();
        tx.close();
      }),
      params(Math.max(10, Math.floor(RUNS / 4))),
    );
    await sleep(50);
    expect(openSockets()).toBe(socketsBefore);
  });

  it('the native layer, called directly with wrong arity and types, throws and never aborts', async () => {
    const runs = Math.max(100, RUNS * 4);
    const r = await lab.self.node([path.join(__dirname, 'reliability', 'native-fuzz.js'), iface, String(runs), String(SEED ?? '')], { timeoutMs: 120000 });
    if (r.signal !== null || r.code !== 0) throw new Error(`native fuzz ended with code ${r.code} signal ${r.signal}\n${r.stdout}\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as {
      calls: number;
      threw: number;
      nonErrors: number;
      attacks: { sendBatchGetters: number; metaDetached: number; metaDetachedReported: number; slabDetached: number; slabDatagrams: number; slabDatagramsBroken: number };
    };
    console.log(`native layer: ${out.calls} direct calls, ${out.threw} threw; attacks: ${JSON.stringify(out.attacks)}${r.stderr.trim() === '' ? '' : `\n${r.stderr.trim()}`}`);
    expect(out.nonErrors).toBe(0);
    expect(out.calls).toBeGreaterThanOrEqual(runs);
    // The attacks on memory the native side points into ran (npm run test:asan is what sees a
    // use-after-free), and every receiver whose metadata buffer was taken said so, rather than
    // writing into memory that is no longer its own.
    expect(out.attacks.sendBatchGetters).toBeGreaterThan(0);
    expect(out.attacks.metaDetached).toBeGreaterThan(0);
    expect(out.attacks.metaDetachedReported).toBe(out.attacks.metaDetached);
    // A receiver that detached every buffer it was given (where the runtime lets it: see
    // slabDetached) still got whole datagrams after that.
    expect(out.attacks.slabDatagrams).toBeGreaterThan(5);
    expect(out.attacks.slabDatagramsBroken).toBe(0);
    calls += out.calls;
  }, 130000);
});
