// Helpers of the unit tests on the fake native layer (test/fake-native/).
import type { McastMessage } from '../../lib';
import type { FakeNative } from '../fake-native';

/** Lets the event loop run a few turns: the fake hands batches over, and announces interface changes, on later turns. */
export async function turns(count = 4): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A sender on the fake network: datagrams `texts` (or numbered ones) to `group`:`port`, arriving on interface `ifindex` from `source`. */
export function sender(fake: FakeNative, group: string, port: number, ifindex = 2, source = '10.0.0.7') {
  let seq = 0;
  return {
    /** Sends each text, in order. */
    send(...texts: string[]): void {
      for (const text of texts) fake.network.deliver({ group, port, ifindex, source, sourcePort: 5555, data: Buffer.from(text) });
    },
    /** Sends `count` datagrams, each holding its number (from 0 on, across calls) as a 32-bit word. */
    numbered(count: number): void {
      for (let i = 0; i < count; i++) {
        const data = Buffer.alloc(4);
        data.writeUInt32LE(seq++, 0);
        fake.network.deliver({ group, port, ifindex, source, sourcePort: 5555, data });
      }
    },
  };
}

export const numberOf = (msg: McastMessage): number => msg.data.readUInt32LE(0);
export const textOf = (msg: McastMessage | null): string | null => (msg === null ? null : msg.data.toString());
