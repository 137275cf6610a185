'use strict';
// Runs under Windows node (node.exe in Wine), on a lab host that has one known interface (wine-lab.js
// passes its setup in MCE_WINE_SETUP): the package as shipped (dist/ and the win32-x64 prebuild)
// must load, see that interface as it is, answer the interface functions, validate input and report
// errors as on Windows. Prints one JSON object: { results: [{ name, ok, detail }] }; exit 1 on any
// failure.
//
// First it checks that it sees the lab's interfaces and nothing else; only then does it open a
// socket (to see the Winsock errors Wine returns), so that a wineserver outside the lab, which would
// show the machine's own interfaces, stops it before any socket exists.
const assert = require('node:assert/strict');
const path = require('node:path');

const root = path.join(__dirname, '..', '..', '..');
const setup = JSON.parse(process.env.MCE_WINE_SETUP || '{}');
const results = [];

function check(name, fn) {
  try {
    const detail = fn();
    results.push({ name, ok: true, detail: detail === undefined ? '' : String(detail) });
    return true;
  } catch (err) {
    results.push({ name, ok: false, detail: err && err.message ? err.message.split('\n')[0] : String(err) });
    return false;
  }
}

function finish() {
  process.stdout.write(`${JSON.stringify({ results })}\n`);
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

/** The MulticastExpertError that fn throws, with the code expected. */
function throwsCode(fn, code) {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof mce.MulticastExpertError, `threw ${err}, not a MulticastExpertError`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  throw new Error(`nothing thrown, ${code} expected`);
}

let mce;
check('runtime is Windows node x64', () => {
  assert.equal(process.platform, 'win32');
  assert.equal(process.arch, 'x64');
  return `node ${process.version} ${process.platform} ${process.arch}`;
});
check('node-gyp-build picks the shipped win32-x64 prebuild', () => {
  const addon = require('node-gyp-build').path(root);
  assert.match(addon, /prebuilds[\\/]win32-x64[\\/]multicast-expert\.node$/);
  mce = require(path.join(root, 'dist'));
  return path.relative(root, addon);
});
if (mce === undefined) {
  finish();
  return;
}

// ---- the interfaces, against the known setup (the gate before any socket) --------------------------
let lan;
const sane = check('scanInterfaces() shows the lab host: its one interface with its address, prefix, MAC, MTU and flags, and loopback', () => {
  const all = mce.scanInterfaces();
  const withIpv4 = all.filter((i) => !i.loopback && i.ipv4.length > 0);
  assert.equal(withIpv4.length, 1, `interfaces with IPv4: ${JSON.stringify(withIpv4.map((i) => [i.name, i.ipv4]))}`);
  lan = withIpv4[0];
  assert.deepEqual(lan.ipv4, [{ address: setup.ipv4, prefixLength: setup.prefixLength }]);
  assert.ok(
    lan.ipv6.some((a) => a.address === setup.ipv6 && a.prefixLength === 64),
    `IPv6 ${JSON.stringify(lan.ipv6)} lacks ${setup.ipv6}/64`,
  );
  assert.equal(lan.linkLayerAddress, setup.mac);
  assert.equal(lan.mtu, setup.mtu);
  assert.deepEqual(
    { up: lan.up, running: lan.running, multicast: lan.multicast, loopback: lan.loopback, pointToPoint: lan.pointToPoint },
    { up: true, running: true, multicast: true, loopback: false, pointToPoint: false },
  );
  assert.ok(Number.isInteger(lan.index) && lan.index > 0, `index ${lan.index}`);
  assert.ok(lan.name.length > 0 && typeof lan.friendlyName === 'string');
  const lo = all.find((i) => i.loopback);
  assert.ok(lo !== undefined && lo.ipv4.some((a) => a.address === '127.0.0.1'), 'no loopback interface with 127.0.0.1');
  return `${all.length} interfaces; ${lan.name} ("${lan.friendlyName}") index ${lan.index}, ${setup.ipv4}/${setup.prefixLength}, ${setup.mac}, MTU ${lan.mtu}`;
});
if (!sane) {
  results.push({ name: 'stopped before opening any socket: this is not the lab host', ok: false, detail: '' });
  finish();
  return;
}

check('findInterfaces() by address, index, name and IfaceInfo; an unknown address is ERR_IFACE_NOT_FOUND', () => {
  for (const spec of [setup.ipv4, setup.ipv6, lan.index, lan.name, lan]) {
    const found = mce.findInterfaces([spec]);
    assert.deepEqual(found.map((i) => i.index), [lan.index], `by ${JSON.stringify(spec)}`);
  }
  throwsCode(() => mce.findInterfaces(['10.199.0.9']), 'ERR_IFACE_NOT_FOUND');
});
check('getInterfaceIps() lists the addresses, per family', () => {
  const ips = mce.getInterfaceIps();
  assert.ok(ips.includes(setup.ipv4) && ips.includes(setup.ipv6), JSON.stringify(ips));
  assert.ok(!mce.getInterfaceIps({ ipv6: false }).includes(setup.ipv6));
  assert.ok(!mce.getInterfaceIps({ ipv4: false }).includes(setup.ipv4));
});
check('getDefaultGatewayIface*() are null without a default route', () => {
  assert.equal(mce.getDefaultGatewayIface('ipv4'), null);
  assert.equal(mce.getDefaultGatewayIface('ipv6'), null);
  assert.equal(mce.getDefaultGatewayIfaceIp('ipv4'), null);
  assert.equal(mce.getDefaultGatewayIfaceIpV4(), null);
  assert.equal(mce.getDefaultGatewayIfaceIpV6(), null);
});

// ---- validation and library errors (no socket is opened by any of these) --------------------------
check('addresses: isMulticastIp, validateMcastIp and their codes', () => {
  assert.equal(mce.isMulticastIp('239.1.2.3'), true);
  assert.equal(mce.isMulticastIp('ff02::fb'), true);
  assert.equal(mce.isMulticastIp('10.0.0.1'), false);
  assert.equal(mce.isMulticastIp(42), false);
  throwsCode(() => mce.validateMcastIp('10.0.0.1'), 'ERR_NOT_MULTICAST');
  throwsCode(() => mce.validateMcastIp('not an ip'), 'ERR_INVALID_ADDRESS');
  throwsCode(() => mce.validateMcastIp('239.1.2.3', 'ipv6'), 'ERR_FAMILY_MISMATCH');
});
check('McastTxSocket options: no default route is ERR_NO_DEFAULT_IFACE; bad interface, TTL and groups', () => {
  const err = throwsCode(() => new mce.McastTxSocket({}), 'ERR_NO_DEFAULT_IFACE');
  assert.ok(err.hint || /iface/.test(err.message), err.message);
  throwsCode(() => new mce.McastTxSocket({ iface: 'no such interface' }), 'ERR_IFACE_NOT_FOUND');
  throwsCode(() => new mce.McastTxSocket({ iface: lan.index, ttl: 256 }), 'ERR_INVALID_OPTION');
  throwsCode(() => new mce.McastTxSocket({ iface: lan.index, groups: ['10.0.0.1'] }), 'ERR_NOT_MULTICAST');
  throwsCode(() => new mce.McastTxSocket({ iface: lan.index, groups: ['ff15::1'], family: 'ipv4' }), 'ERR_FAMILY_MISMATCH');
  throwsCode(() => new mce.McastTxSocket({ iface: lan.index, port: -1 }), 'ERR_INVALID_PORT');
});
check('McastRxSocket options: port, groups, sources, interfaces', () => {
  throwsCode(() => new mce.McastRxSocket({ groups: ['239.1.2.3'], port: 0 }), 'ERR_INVALID_PORT');
  throwsCode(() => new mce.McastRxSocket({ groups: ['239.1.2.3'], port: 65536 }), 'ERR_INVALID_PORT');
  throwsCode(() => new mce.McastRxSocket({ groups: ['10.1.2.3'], port: 5000 }), 'ERR_NOT_MULTICAST');
  throwsCode(() => new mce.McastRxSocket({ groups: ['239.1.2.3', 'ff15::1'], port: 5000 }), 'ERR_FAMILY_MISMATCH');
  throwsCode(() => new mce.McastRxSocket({ groups: ['239.1.2.3'], port: 5000, iface: '10.199.0.9' }), 'ERR_IFACE_NOT_FOUND');
  throwsCode(() => new mce.McastRxSocket({ groups: ['239.1.2.3'], port: 5000, sources: ['nope'] }), 'ERR_INVALID_ADDRESS');
  throwsCode(() => new mce.McastRxSocket({ groups: ['239.1.2.3'], port: 5000, timeout: -5 }), 'ERR_INVALID_OPTION');
  throwsCode(() => new mce.McastRxSocket({ groups: ['239.1.2.3'], port: 5000, maxMessageSize: 0 }), 'ERR_INVALID_OPTION');
});

// ---- Winsock errors, from sockets on the lab host ----------------------------------------------------
// Wine 8 has no MCAST_JOIN_GROUP (WSAENOPROTOOPT), which libuv calls UNKNOWN: the error must name it.
check('a Winsock error libuv cannot name arrives named, with its number and a hint (joining under Wine: WSAENOPROTOOPT)', () => {
  const err = throwsCode(() => new mce.McastRxSocket({ groups: ['239.77.0.1'], port: 47700, iface: setup.ipv4 }), 'WSAENOPROTOOPT');
  assert.equal(err.errno, -10042);
  assert.equal(err.syscall, 'setsockopt(MCAST_JOIN_GROUP)');
  assert.match(err.message, /WSAENOPROTOOPT \[10042\]/);
  assert.ok(typeof err.hint === 'string' && err.hint.length > 0, 'no hint');
  return err.message;
});
check('a Winsock error libuv names keeps the portable code, and its message names the Winsock error', () => {
  // Wine 8 refuses IP_MULTICAST_IF by interface index (WSAEINVAL); on Windows this opens.
  let tx;
  try {
    tx = new mce.McastTxSocket({ iface: lan.index });
  } catch (err) {
    assert.ok(err instanceof mce.MulticastExpertError, String(err));
    assert.match(err.message, /\(WSA[A-Z]+\) \[100\d\d\]/, err.message);
    assert.ok(!/UNKNOWN/.test(err.code), err.code);
    return `${err.code}: ${err.message}`;
  }
  tx.close();
  return 'the sender opened (this Wine sets IP_MULTICAST_IF by index)';
});

finish();
