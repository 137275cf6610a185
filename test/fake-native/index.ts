// A fake native layer (serialport's MockBinding is the model): the NativeAddon contract of
// lib/native.ts in TypeScript, over a fake machine whose interfaces a test edits and between whose
// sockets datagrams travel. With it the receive queue, rejoin, error and lifecycle logic run as fast
// unit tests on any OS, without sockets or namespaces; what the OS does is tested in the lab.
//
//   const fake = installFakeNative([fakeIface(2, 'eth0', { ipv4: ['10.0.0.1'] })]);
//   const rx = new McastRxSocket({ groups: ['239.1.2.3'], port: 5000 });
//   fake.network.deliver({ group: '239.1.2.3', port: 5000, ifindex: 2, source: '10.0.0.7', sourcePort: 1, data: Buffer.from('hi') });
import type { IfaceInfo } from '../../lib';
import { type NativeAddon, type NativeRxOptions, type NativeTxOptions, RxRecord, setNativeAddonForTests } from '../../lib/native';
import { FakeNetwork } from './network';
import { FakeRxSocket } from './rx';
import { FakeTxSocket } from './tx';

export { type FakeDatagram, FakeIfaceEvents, FakeNetwork, fakeIface } from './network';
export { FakeRxSocket, kFakeKernelQueue } from './rx';
export { FakeTxSocket } from './tx';

export interface FakeNative {
  addon: NativeAddon;
  network: FakeNetwork;
  /** Every receiver and sender opened, in order. */
  receivers: FakeRxSocket[];
  senders: FakeTxSocket[];
}

/** A fake addon over a new fake machine with these interfaces. */
export function createFakeNative(ifaces: IfaceInfo[]): FakeNative {
  const network = new FakeNetwork();
  network.setIfaces(ifaces);
  const receivers: FakeRxSocket[] = [];
  const senders: FakeTxSocket[] = [];
  const addon: NativeAddon = {
    scanInterfaces: () => JSON.stringify(network.ifaces),
    defaultRouteInterface: (family) => (family === 4 ? network.defaultRoute.ipv4 : network.defaultRoute.ipv6),
    vrfDeliversToNewSockets: () => true,
    rxRecordWords: RxRecord.words,
    RxSocket: class extends FakeRxSocket {
      constructor(options: NativeRxOptions, meta: ArrayBuffer, onBatch: (count: number, ...buffers: ArrayBuffer[]) => void, onError: (err: Error) => void) {
        super(network, options, meta, onBatch, onError);
        receivers.push(this);
      }
    },
    TxSocket: class extends FakeTxSocket {
      constructor(options: NativeTxOptions) {
        super(network, options);
        senders.push(this);
      }
    },
    IfaceEvents: class {
      constructor(onChange: (err: Error | null) => void) {
        return network.openEvents(onChange);
      }
    } as unknown as NativeAddon['IfaceEvents'],
  };
  return { addon, network, receivers, senders };
}

/** createFakeNative(), and the library's native calls go to it from now on (in this test file's module registry). */
export function installFakeNative(ifaces: IfaceInfo[]): FakeNative {
  const fake = createFakeNative(ifaces);
  setNativeAddonForTests(fake.addon);
  return fake;
}
