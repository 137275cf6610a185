'use strict';
// Calls the native addon directly (loaded the way lib/native.ts loads it), with random arity and
// argument types, at every export, constructor and method, and with a wrong `this`. Every call must
// return or throw an Error; an abort or a crash ends this process with a signal, which the test
// (test/bad-input-property.test.ts) reports.
//
// Among the calls, two attacks on memory the native side points into, which only a sanitizer sees
// as such (npm run test:asan; without one they may pass unnoticed or corrupt memory silently):
// - sendBatch() whose datas array has a getter that, while the batch is read, appends destinations
//   (the table's storage moves), detaches the ids' buffer, or closes the socket;
// - a receiver whose metadata ArrayBuffer is transferred away (structuredClone) and collected, and
//   that then receives datagrams: each must report an error through onError, and write nothing;
// - a receiver that detaches every ArrayBuffer a batch hands it (ArrayBuffer.prototype.transfer
//   where the runtime has it; else structuredClone, which Node refuses for these and copies) and
//   collects the new owner, while the native side goes on reading into the same slab: every later
//   datagram must still arrive whole.
// Prints one JSON line: { calls, threw, nonErrors, attacks: { sendBatchGetters, metaDetached,
// metaDetachedReported, slabDetached, slabDatagrams, slabDatagramsBroken } }.
//   node native-fuzz.js <iface> <runs> [seed]
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');
const fc = require('fast-check');
const { native } = require(path.join(__dirname, '..', '..', 'dist', 'native.js'));

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

const [ifname, runsText, seedText] = process.argv.slice(2);
const runs = Number(runsText);
const addon = native();
const ifindex = JSON.parse(addon.scanInterfaces()).find((i) => i.name === ifname)?.index ?? 1;

let calls = 0;
let threw = 0;
let nonErrors = 0;
function attempt(fn) {
  calls++;
  try {
    return fn();
  } catch (err) {
    threw++;
    if (!(err instanceof Error)) {
      nonErrors++;
      console.error('threw a non-Error:', err);
    }
    return undefined;
  }
}

const meta = () => new ArrayBuffer(1024 * 16 * 4);
const rxOptions = { family: 4, port: 47001, maxMessageSize: 65535, receiveBufferSize: 0, timestamps: false, externalLoopback: false, keepAlive: false };
const txOptions = { family: 4, ifindex, ifaceAddress: null, bindAddress: null, port: 0, ttl: 1, externalLoopback: false, ifaceIsLoopback: false };
const open = [];
function newRx() {
  const rx = attempt(() => new addon.RxSocket(rxOptions, meta(), () => {}, () => {}));
  if (rx) open.push(rx);
  return rx;
}
function newTx() {
  const tx = attempt(() => new addon.TxSocket(txOptions));
  if (tx) open.push(tx);
  return tx;
}

const value = fc.oneof(
  fc.constantFrom(
    undefined, null, true, false, 0, 1, -1, 4, 6, 0.5, NaN, Infinity, 2 ** 32, 2 ** 53, 65535, 65536, ifindex, 10n,
    '', 'x', '239.1.2.3', 'ff15::1', '10.71.0.1', '::1', '239.1.2.3%lo', 'not an address',
    Symbol('s'), () => {}, {}, [], ['239.1.2.3'], ['10.71.0.9', 'ff15::1'], [1, 2], [undefined],
    new ArrayBuffer(0), new ArrayBuffer(16), new ArrayBuffer(1024 * 16 * 4), new SharedArrayBuffer(64),
    new Uint8Array(0), new Uint8Array(4), new Uint8Array(70000), new Uint32Array([0, 1, 2 ** 32 - 1]), new Uint16Array(2), new Float32Array(2), new DataView(new ArrayBuffer(4)),
    Object.create(null), new Proxy({}, {}), { family: 4 }, { family: 6, port: 1 }, { ...rxOptions }, { ...txOptions }, { ...rxOptions, port: 0 }, { ...rxOptions, maxMessageSize: 0 },
    { ...txOptions, family: 6, bindAddress: '10.71.0.1' }, { ...txOptions, ifaceAddress: 'zz' }, { ...rxOptions, family: '4' },
    // Coalescing: the hold timer is made, armed and closed under whatever else is called.
    { ...rxOptions, coalesceDatagrams: 4, coalesceMicros: 0 }, { ...rxOptions, coalesceDatagrams: 5000 }, { ...rxOptions, coalesceDatagrams: 4, coalesceMicros: 2 ** 32 - 1 }, { ...rxOptions, coalesceDatagrams: '4' },
  ),
  fc.anything({ maxDepth: 1, withBigInt: true, withTypedArray: true, withNullPrototype: true }),
);
const args = fc.array(value, { maxLength: 6 });
const rxMethods = ['setMembership', 'dropMembership', 'pause', 'resume', 'setKeepAlive', 'stats', 'socketCount', 'close'];
const txMethods = ['setDestination', 'send', 'sendBatch', 'waitWritable', 'address', 'close'];

// ---- The attacks ----------------------------------------------------------------------------------

const attacks = { sendBatchGetters: 0, metaDetached: 0, metaDetachedReported: 0, slabDetached: 0, slabDatagrams: 0, slabDatagramsBroken: 0 };
const kGroup = '239.71.0.9';
const kMaxDetached = 16;
/** Receivers whose metadata buffer is gone: they get datagrams at the end (see below). */
const detached = [];
/** Why a receiver for the attack could not be set up (by error code), printed to stderr. */
const setupFailures = {};
let metaAttempts = 0;

/** Detaches `buffer` by transferring it to a clone that nobody keeps. */
function detach(buffer) {
  structuredClone(buffer, { transfer: [buffer] });
}

/** sendBatch() with a getter in its datas that does `variant` while the native side reads the batch. */
function sendBatchWithGetter(variant) {
  attacks.sendBatchGetters++;
  const t = attempt(() => new addon.TxSocket({ ...txOptions, externalLoopback: true }));
  if (!t) return;
  attempt(() => t.setDestination(0, kGroup, 47100));
  const ids = Uint32Array.of(0, 0, 0);
  const datas = [new Uint8Array(16), new Uint8Array(16)];
  Object.defineProperty(datas, 2, {
    enumerable: true,
    get() {
      if (variant === 'grow') {
        // Appending past the vector's capacity moves every destination the batch points at.
        for (let id = 1; id < 300; id++) attempt(() => t.setDestination(id, kGroup, 47100 + (id % 50)));
      } else if (variant === 'detach-ids') {
        detach(ids.buffer);
        gc();
      } else if (variant === 'detach-data') {
        detach(datas[0].buffer);
        gc();
      } else {
        attempt(() => t.close());
      }
      return new Uint8Array(16);
    },
  });
  attempt(() => t.sendBatch(ids, datas, 0));
  attempt(() => t.close());
}

/** A receiver joined on the lab interface whose metadata buffer is then transferred away and collected. */
function receiverWithDetachedMeta() {
  if (detached.length >= kMaxDetached) return;
  // Below the ephemeral range (32768-60999): a TxSocket the fuzzer opened on port 0 may hold any
  // port in it, and a receiver could not bind there. A port tried once is not tried again.
  const port = 27200 + metaAttempts++;
  const entry = { port, errors: 0 };
  const m = meta();
  let r;
  try {
    r = new addon.RxSocket({ ...rxOptions, port, externalLoopback: true }, m, () => {}, () => entry.errors++);
    open.push(r);
    r.setMembership(0, kGroup, ifindex, null, null, []);
  } catch (err) {
    setupFailures[err.code ?? err.message] = (setupFailures[err.code ?? err.message] ?? 0) + 1;
    return;
  }
  attacks.metaDetached++;
  detach(m);
  gc();
  entry.rx = r;
  detached.push(entry);
}

let rx = newRx();
let tx = newTx();
const action = fc.oneof(
  fc.tuple(fc.constant('module'), fc.constantFrom('scanInterfaces', 'defaultRouteInterface'), args),
  fc.tuple(fc.constant('new'), fc.constantFrom('RxSocket', 'TxSocket'), args),
  fc.tuple(fc.constant('call-class'), fc.constantFrom('RxSocket', 'TxSocket'), args),
  fc.tuple(fc.constant('rx'), fc.constantFrom(...rxMethods), args),
  fc.tuple(fc.constant('tx'), fc.constantFrom(...txMethods), args),
  fc.tuple(fc.constant('wrong-this'), fc.constantFrom(...rxMethods.map((m) => `RxSocket.${m}`), ...txMethods.map((m) => `TxSocket.${m}`)), args),
  // Nearly right calls, so that the deeper checks are reached too.
  fc.tuple(
    fc.constant('rx-set'),
    fc.constant('setMembership'),
    fc.tuple(
      fc.nat(5),
      fc.constantFrom('239.71.0.1', '239.71.0.2', 'ff15::1', '10.0.0.1'),
      fc.constantFrom(ifindex, 1, 0, 9999),
      fc.constantFrom(null, '10.71.0.1', 'bad'),
      fc.constantFrom(undefined, null, [], ['10.71.0.9'], ['10.71.0.9', '10.71.0.8'], ['ff15::2'], 'x'),
      fc.constantFrom(undefined, [], ['10.71.0.7'], ['10.71.0.7', '10.71.0.9'], ['ff15::2'], 'x'),
    ),
  ),
  fc.tuple(fc.constant('tx-send'), fc.constant('send'), fc.tuple(fc.constantFrom('239.71.0.1', 'ff15::1', '10.71.0.2', 'x'), fc.constantFrom(1, 5000, 0, 65536), value)),
  fc.tuple(fc.constant('attack'), fc.constantFrom('grow', 'detach-ids', 'detach-data', 'close', 'meta'), fc.constant([])),
);

fc.assert(
  fc.property(action, ([kind, name, a]) => {
    switch (kind) {
      case 'module':
        attempt(() => addon[name](...a));
        break;
      case 'new': {
        const made = attempt(() => new addon[name](...a));
        if (made) open.push(made);
        break;
      }
      case 'call-class':
        attempt(() => addon[name](...a));
        break;
      case 'rx':
        if (name === 'close' || !rx) {
          attempt(() => rx?.close());
          rx = newRx();
        } else attempt(() => rx[name](...a));
        break;
      case 'tx':
        if (name === 'close' || !tx) {
          attempt(() => tx?.close());
          tx = newTx();
        } else attempt(() => tx[name](...a));
        break;
      case 'wrong-this': {
        const [cls, method] = name.split('.');
        attempt(() => addon[cls].prototype[method].call(a[0], ...a.slice(1)));
        break;
      }
      case 'rx-set':
        // Set twice (the second time usually changes an existing membership), then drop.
        attempt(() => rx?.setMembership(...a));
        attempt(() => rx?.setMembership(a[0], a[1], a[2], a[3], a[5] === undefined ? a[4] : null, a[5] ?? []));
        attempt(() => rx?.dropMembership(a[0], a[2]));
        break;
      case 'attack':
        if (name === 'meta') receiverWithDetachedMeta();
        else sendBatchWithGetter(name);
        break;
      case 'tx-send': {
        attempt(() => tx?.setDestination(0, a[0], a[1]));
        attempt(() => tx?.send(0, a[2]));
        attempt(() => tx?.sendBatch(Uint32Array.of(0, 7), [a[2], Buffer.from('x')], 0));
        break;
      }
    }
  }),
  seedText ? { numRuns: runs, seed: Number(seedText) } : { numRuns: runs },
);

/**
 * A receiver that detaches every buffer it is given, after checking the datagrams in it, and the
 * sender that feeds it: datagram `i` is `i` (uint32) then bytes (i + k) & 255, 700 bytes in all.
 */
function slabDetacher() {
  const port = 47300;
  const m = meta();
  const words = new Uint32Array(m);
  const rx = new addon.RxSocket({ ...rxOptions, port, externalLoopback: true }, m, (count, ...buffers) => {
    for (let r = 0; r < count; r++) {
      const w = r * 16;
      const data = Buffer.from(buffers[words[w + 14]], words[w], words[w + 1]);
      attacks.slabDatagrams++;
      const seq = data.length === 700 ? data.readUInt32LE(0) : -1;
      let whole = seq >= 0;
      for (let k = 4; whole && k < data.length; k++) whole = data[k] === ((seq + k) & 255);
      if (!whole) attacks.slabDatagramsBroken++;
    }
    for (const b of buffers) {
      try {
        if (typeof b.transfer === 'function') b.transfer();
        else structuredClone(b, { transfer: [b] });
      } catch {
        // refused: nothing taken
      }
      if (b.byteLength === 0) attacks.slabDetached++;
    }
  }, () => {});
  open.push(rx);
  rx.setMembership(0, kGroup, ifindex, null, null, []);
  const tx = new addon.TxSocket({ ...txOptions, externalLoopback: true });
  tx.setDestination(0, kGroup, port);
  let next = 0;
  return {
    send(n) {
      for (let i = 0; i < n; i++, next++) {
        const b = Buffer.alloc(700);
        b.writeUInt32LE(next, 0);
        for (let k = 4; k < b.length; k++) b[k] = (next + k) & 255;
        attempt(() => tx.send(0, b));
      }
    },
    close() {
      tx.close();
      rx.close();
    },
  };
}

(async () => {
  // Batches into a receiver that detaches what it is given.
  const detacher = slabDetacher();
  for (let round = 0; round < 20; round++) {
    detacher.send(5);
    await new Promise((resolve) => setTimeout(resolve, 5));
    gc();
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  detacher.close();

  // The receivers without their metadata buffer now get datagrams: each must say so through onError.
  const sender = new addon.TxSocket({ ...txOptions, externalLoopback: true });
  detached.forEach((d, i) => sender.setDestination(i, kGroup, d.port));
  for (let round = 0; round < 50 && detached.some((d) => d.errors === 0); round++) {
    for (let i = 0; i < detached.length; i++) attempt(() => sender.send(i, Buffer.from('after the metadata buffer was taken')));
    await new Promise((resolve) => setTimeout(resolve, 20));
    gc();
  }
  sender.close();
  attacks.metaDetachedReported = detached.filter((d) => d.errors > 0).length;
  // Half of what is open is closed; the rest is left to the environment's teardown at exit.
  open.forEach((s, i) => i % 2 === 0 && attempt(() => s.close()));
  if (Object.keys(setupFailures).length > 0) console.error(`receivers for the metadata attack that could not be set up: ${JSON.stringify(setupFailures)}`);
  console.log(JSON.stringify({ calls, threw, nonErrors, attacks }));
  process.exit(0);
})();
