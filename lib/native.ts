/**
 * The native addon: the TypeScript shape of what it exports (the contract that test/fake-native/
 * implements too), and its loader: once per environment, a prebuild when one matches this platform,
 * else the local build, checked against the record layout mirrored here. Only the library's own
 * modules use it.
 * @internal
 * @module
 */
import * as path from 'node:path';

export interface NativeRxOptions {
  family: 4 | 6;
  port: number;
  maxMessageSize: number;
  receiveBufferSize: number;
  timestamps: boolean;
  externalLoopback: boolean;
  keepAlive: boolean;
  /** Coalescing: a batch is held until it has this many datagrams (0: off, handed over each loop turn) */
  coalesceDatagrams?: number;
  /** or its first datagram is this many microseconds old. */
  coalesceMicros?: number;
}

export interface NativeRxSocket {
  /**
   * Brings the membership of `groupId` on interface `ifindex` to exactly this, in the OS and in the
   * per-datagram filter: joined for any source (`sources` null) except `blocked`, or for `sources`
   * only. Joins when it is new (`ifaceAddress` then chooses the OS socket on Windows), else joins
   * and leaves sources, blocks and unblocks; all or nothing. Refuses (a plain Error) what the OS
   * cannot express: blocked sources on a source-specific membership, a change of mode. No policy.
   */
  setMembership(groupId: number, group: string, ifindex: number, ifaceAddress: string | null, sources: string[] | null, blocked: string[]): void;
  /** Leaves the membership of `groupId` on `ifindex`; false when there is none. */
  dropMembership(groupId: number, ifindex: number): boolean;
  /**
   * Sends `data` to `destination`:`port` out of interface `ifindex` from address `source`, from the
   * receiver's own OS socket that receives `group` there (else another that listens on `ifindex`).
   * 0: sent; 1: the socket buffer is full, retry; 2: no socket of the receiver listens on `ifindex`.
   */
  reply(group: string, ifindex: number, source: string, destination: string, port: number, data: Uint8Array, ttl: number, externalLoopback: boolean, ifaceIsLoopback: boolean): 0 | 1 | 2;
  pause(): void;
  resume(): void;
  setKeepAlive(keepAlive: boolean): void;
  /** [received, kernelDrops, truncated, filtered] */
  stats(): [number, number, number, number];
  socketCount(): number;
  close(): void;
}

export interface NativeTxOptions {
  family: 4 | 6;
  ifindex: number;
  ifaceAddress: string | null;
  bindAddress: string | null;
  port: number;
  ttl: number;
  externalLoopback: boolean;
  ifaceIsLoopback: boolean;
}

export interface NativeTxSocket {
  /** Slot `id` (at most one past the last) of the destination table means `group`:`port` from now on. */
  setDestination(id: number, group: string, port: number): void;
  /** Route `id` (1.., at most one past the last) means "out of interface `ifindex`, from `source`" from now on. */
  setRoute(id: number, ifindex: number, source: string): void;
  /** true: the kernel has it; false: the socket buffer is full, wait and retry. `route` 0 (or none): the socket's interface. */
  send(destination: number, data: Uint8Array, route?: number): boolean;
  /** `routes`: each datagram's route id (0: none); left out when no datagram has one. */
  sendBatch(destinations: Uint32Array, datas: Uint8Array[], start: number, routes?: Uint32Array): number;
  waitWritable(callback: (err: Error | null) => void): void;
  /** Sends out of another interface from now on (the same name came back, or its address changed). */
  retarget(ifindex: number, ifaceAddress: string | null, ifaceIsLoopback: boolean): void;
  address(): [string, number];
  close(): void;
}

/** The OS's source of interface events (rtnetlink, a routing socket, IP Helper notifications): see NativeAddon.IfaceEvents. */
export interface NativeIfaceEvents {
  /** Stops the events; idempotent. */
  close(): void;
}

export interface NativeAddon {
  /** A JSON array of objects in the public IfaceInfo shape (one string: far cheaper to cross than objects). */
  scanInterfaces(): string;
  defaultRouteInterface(family: 4 | 6): number;
  /** Whether a socket opened now gets the datagrams of the VRF's members (Linux; elsewhere true). */
  vrfDeliversToNewSockets(vrf: string): boolean;
  /** Words per receive metadata record: must equal RxRecord.words (checked at load). */
  rxRecordWords: number;
  RxSocket: new (
    options: NativeRxOptions,
    meta: ArrayBuffer,
    /** `count` records in meta; each datagram's data in buffers[record's `buffer` word], at its `offset`. */
    onBatch: (count: number, ...buffers: ArrayBuffer[]) => void,
    onError: (err: Error) => void,
  ) => NativeRxSocket;
  TxSocket: new (options: NativeTxOptions) => NativeTxSocket;
  /**
   * Calls `onChange` with null when interfaces or addresses may have changed (the OS says only that
   * something did), and with an error when the OS source failed and stopped. Never keeps the
   * process running.
   */
  IfaceEvents: new (onChange: (err: Error | null) => void) => NativeIfaceEvents;
}

/** Word offsets in a receive metadata record; the native side (rx_socket.h) writes this layout. */
export const RxRecord = {
  offset: 0,
  length: 1,
  flags: 2,
  groupId: 3,
  ifindex: 4,
  sourcePort: 5,
  sourceScope: 6,
  sourceAddr: 7,
  timeSecLow: 11,
  timeSecHigh: 12,
  timeNsec: 13,
  buffer: 14,
  words: 16,
} as const;
export const RxFlags = { truncated: 1, timestamp: 2 } as const;

let loaded: NativeAddon | undefined;

/**
 * Internal, for the project's own sanitizer runs only (`npm run test:asan`): the path of an addon
 * built elsewhere (build-asan/) to load instead of the normal one. Not a public setting.
 */
const kTestAddonVariable = 'MULTICAST_EXPERT_INTERNAL_TEST_ADDON';

/**
 * The addon as it was loaded, once checked: a build whose receive records are laid out otherwise
 * than RxRecord says (a stale build beside newer JavaScript) would hand out wrong groups, sources
 * and data, so it is refused.
 */
function checked(loadedExports: unknown, from: string): NativeAddon {
  const addon = loadedExports as NativeAddon;
  if (addon.rxRecordWords !== RxRecord.words)
    throw new Error(
      `multicast-expert: the native addon (${from}) lays out receive records in ${String(addon.rxRecordWords)} words, this JavaScript in ${RxRecord.words}: they are of different versions; rebuild the addon (npm run build:native) or reinstall the package`,
    );
  return addon;
}

/** The addon, loaded (and checked) on first use. */
export function native(): NativeAddon {
  if (loaded === undefined) {
    const testAddon = process.env[kTestAddonVariable];
    if (testAddon !== undefined && testAddon !== '') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = checked(require(path.resolve(testAddon)), testAddon);
    } else {
      const root = path.join(__dirname, '..');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const load = require('node-gyp-build') as (dir: string) => unknown;
      loaded = checked(load(root), `node-gyp-build in ${root}`);
    }
  }
  return loaded;
}

/**
 * Replaces the addon, for tests only (test/fake-native/): every native call from then on goes to
 * `addon`, which is checked as a loaded one is. Not exported by the package.
 */
export function setNativeAddonForTests(addon: NativeAddon): void {
  loaded = checked(addon, 'set for tests');
}
