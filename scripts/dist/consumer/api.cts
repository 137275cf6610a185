// A CommonJS TypeScript consumer of the installed package: it uses every public name, so that
// `tsc --strict` (module nodenext, library checks on) proves the shipped index.d.ts, and when run it
// prints what the package found, as JSON, for scripts/dist/tarball.sh to check. It sends nothing.
import {
  ErrorCodes,
  LOCALHOST_IPV4,
  LOCALHOST_IPV6,
  McastRxSocket,
  McastTxSocket,
  MulticastExpertError,
  findInterfaces,
  getDefaultGatewayIface,
  getDefaultGatewayIfaceIp,
  getDefaultGatewayIfaceIpV4,
  getDefaultGatewayIfaceIpV6,
  getInterfaceIps,
  isMulticastIp,
  scanInterfaces,
  validateMcastIp,
} from 'multicast-expert';
import type {
  ErrorCode,
  Family,
  IfaceAddress,
  IfaceInfo,
  IfaceSpecifier,
  McastBatchMessage,
  McastMessage,
  McastRxSocketEvents,
  McastRxSocketOptions,
  McastRxStats,
  McastSendOptions,
  McastTxSocketEvents,
  McastTxSocketOptions,
  MulticastExpertErrorDetails,
  ReceiveOptions,
  ReplyOptions,
} from 'multicast-expert';
import mceNamespace = require('multicast-expert');

const family: Family = 'ipv4';
const ifaces: IfaceInfo[] = scanInterfaces();
const loopback: IfaceInfo | undefined = ifaces.find((i) => i.loopback);
const addresses: IfaceAddress[] = loopback ? [...loopback.ipv4, ...loopback.ipv6] : [];
const specifiers: IfaceSpecifier[] = loopback ? [loopback.name, loopback.index, loopback] : [];
const found: IfaceInfo[] = findInterfaces(specifiers, { ifaces });
const gateway: IfaceInfo | null = getDefaultGatewayIface(family, { ifaces });
const gatewayIps: Array<string | null> = [getDefaultGatewayIfaceIp('ipv6'), getDefaultGatewayIfaceIpV4(), getDefaultGatewayIfaceIpV6()];
const ips: string[] = getInterfaceIps({ ipv4: true, ipv6: false });

function codeOf(fn: () => void): string | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (!(err instanceof MulticastExpertError)) throw err;
    const details: MulticastExpertErrorDetails = { hint: err.hint, syscall: err.syscall, errno: err.errno };
    void details;
    return err.code;
  }
}
const notMulticast: ErrorCode = ErrorCodes.NOT_MULTICAST;
const validation = {
  multicast: isMulticastIp('239.1.2.3') && isMulticastIp('ff15::1') && !isMulticastIp(LOCALHOST_IPV4) && !isMulticastIp(LOCALHOST_IPV6),
  notMulticast: codeOf(() => validateMcastIp('10.0.0.1')) === notMulticast,
  familyMismatch: codeOf(() => validateMcastIp('239.1.2.3', 'ipv6')) === ErrorCodes.FAMILY_MISMATCH,
  badOption: codeOf(() => new McastRxSocket({ groups: ['239.1.2.3'], port: 0 })) === ErrorCodes.INVALID_PORT,
  sameModule: mceNamespace.McastRxSocket === McastRxSocket,
};

// Types of the socket API, checked by tsc; the lab round trip (roundtrip.mts) runs the same calls.
const txOptions: McastTxSocketOptions = { groups: ['239.1.2.3'], family: 'ipv4', iface: 'lo', ttl: 1, externalLoopback: false, port: 0 };
const rxOptions: McastRxSocketOptions = {
  groups: ['239.1.2.3'],
  port: 5000,
  family: 'ipv4',
  iface: 'lo',
  sources: [],
  externalLoopback: false,
  timeout: 100,
  receiveBufferSize: 1 << 20,
  maxMessageSize: 1500,
  timestamps: true,
  ttl: 255,
};
const receiveOptions: ReceiveOptions = { timeout: 10, signal: AbortSignal.timeout(1000) };
async function socketTypes(tx: McastTxSocket, rx: McastRxSocket): Promise<void> {
  const batch: McastBatchMessage[] = [{ data: 'a', group: '239.1.2.3', port: 5000 }, { data: 'b', group: '239.1.2.3', port: 5000, iface: 'lo' }];
  const sent: number = await tx.sendBatch(batch);
  await tx.send(new Uint8Array([1]), '239.1.2.3', 5000);
  const sendOptions: McastSendOptions = { iface: 1 };
  await tx.send('a', '239.1.2.3', 5000, sendOptions);
  const from: { address: string; port: number; family: Family } = tx.address();
  const txState: [Family, IfaceInfo, number, boolean] = [tx.family, tx.iface, tx.ttl, tx.closed];
  const msg: McastMessage | null = await rx.receive(receiveOptions);
  const replyOptions: ReplyOptions = { to: 'source', ttl: 255 };
  if (msg !== null) await rx.reply(msg, 'answer', replyOptions);
  const stats: McastRxStats = rx.stats();
  rx.on('message', (m) => void (m.group satisfies string));
  rx.on('batch', (ms) => void (ms.length satisfies number));
  rx.on('error', (e) => void (e.code satisfies string));
  rx.once('close', () => undefined);
  const onLost = (...[iface, why]: McastRxSocketEvents['iface-lost']): void => void [iface.name satisfies string, why satisfies string];
  rx.on('iface-lost', onLost).on('iface-joined', (iface, why) => void [iface.index satisfies number, why]);
  const onTxClose = (...args: McastTxSocketEvents['close']): void => void args;
  tx.once('close', onTxClose);
  rx.join('239.1.2.4', { ifaces: ['lo'], sources: [] });
  rx.leave('239.1.2.4', { ifaces: [1] });
  rx.blockSource('239.1.2.3', '10.0.0.9');
  rx.unblockSource('239.1.2.3', '10.0.0.9');
  rx.timeout = undefined;
  const rxState: [string[], IfaceInfo[], number, Family, number | undefined, boolean, number] = [rx.groups, rx.ifaces, rx.port, rx.family, rx.timeout, rx.closed, rx.ttl];
  for await (const m of rx) void m.timestamp;
  void [sent, from, txState, msg, stats, rxState];
  tx[Symbol.dispose]();
  await tx[Symbol.asyncDispose]();
  rx[Symbol.dispose]();
  await rx[Symbol.asyncDispose]();
  tx.close();
  rx.close();
}
void socketTypes;

// Opens (and closes) a sender on the loopback interface: the native socket path, without sending.
let sender: { opened: boolean; code?: string; syscall?: string };
try {
  const tx = new McastTxSocket({ ...txOptions, groups: undefined, iface: loopback?.name ?? 'lo', ttl: 0 });
  tx.close();
  sender = { opened: true };
} catch (err) {
  if (!(err instanceof MulticastExpertError)) throw err;
  sender = { opened: false, code: err.code, syscall: err.syscall ?? '' };
}
void rxOptions;

console.log(
  JSON.stringify({
    node: process.version,
    arch: process.arch,
    resolved: require.resolve('multicast-expert'),
    addon: require('node-gyp-build').path(require('node:path').dirname(require.resolve('multicast-expert/package.json'))),
    interfaces: ifaces.map((i) => i.name),
    loopbackFound: found.length === 1 && found[0]?.index === loopback?.index,
    addresses: addresses.length,
    gateway: gateway?.name ?? null,
    gatewayIps,
    ips: ips.length,
    validation,
    sender,
  }),
);
