/**
 * The native addon: loaded once per environment (a prebuild when one matches this platform, else the
 * local build), and the TypeScript shape of what it exports. Only the library's own modules use it.
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
}

export interface NativeRxSocket {
  join(groupId: number, group: string, ifindex: number, ifaceAddress: string | null, sources: string[]): void;
  leave(groupId: number, ifindex: number): boolean;
  block(groupId: number, ifindex: number, source: string): void;
  unblock(groupId: number, ifindex: number, source: string): void;
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
  /** true: the kernel has it; false: the socket buffer is full, wait and retry. */
  send(destination: number, data: Uint8Array): boolean;
  sendBatch(destinations: Uint32Array, datas: Uint8Array[], start: number): number;
  waitWritable(callback: (err: Error | null) => void): void;
  /** Sends out of another interface from now on (the same name came back, or its address changed). */
  retarget(ifindex: number, ifaceAddress: string | null, ifaceIsLoopback: boolean): void;
  address(): [string, number];
  close(): void;
}

/** Calls back (with null) when interfaces or addresses may have changed; with an error when the OS source failed and stopped. */
export interface NativeIfaceWatcher {
  close(): void;
}

export interface NativeAddon {
  /** A JSON array of objects in the public IfaceInfo shape (one string: far cheaper to cross than objects). */
  scanInterfaces(): string;
  defaultRouteInterface(family: 4 | 6): number;
  /** Whether a socket opened now gets the datagrams of the VRF's members (Linux; elsewhere true). */
  vrfDeliversToNewSockets(vrf: string): boolean;
  rxRecordWords: number;
  RxSocket: new (
    options: NativeRxOptions,
    meta: ArrayBuffer,
    /** `count` records in meta; each datagram's data in buffers[record's `buffer` word], at its `offset`. */
    onBatch: (count: number, ...buffers: ArrayBuffer[]) => void,
    onError: (err: Error) => void,
  ) => NativeRxSocket;
  TxSocket: new (options: NativeTxOptions) => NativeTxSocket;
  IfaceEvents: new (onChange: (err: Error | null) => void) => NativeIfaceWatcher;
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

/** The addon, loaded on first use. */
export function native(): NativeAddon {
  if (loaded === undefined) {
    const testAddon = process.env[kTestAddonVariable];
    if (testAddon !== undefined && testAddon !== '') {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(path.resolve(testAddon)) as NativeAddon;
    } else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const load = require('node-gyp-build') as (dir: string) => unknown;
      loaded = load(path.join(__dirname, '..')) as NativeAddon;
    }
  }
  return loaded;
}
