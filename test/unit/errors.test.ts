// The error objects themselves, from the sites that make them (options, addresses, closed sockets,
// OS errors from the fake native layer, a sender's interface gone): the hint is in `hint` only, not
// repeated in the message, and no field is an own property holding undefined.
import { ErrorCodes, McastRxSocket, McastTxSocket, MulticastExpertError, validateMcastIp } from '../../lib';
import { type FakeTxSocket, fakeIface, installFakeNative } from '../fake-native';

const fake = installFakeNative([fakeIface(2, 'eth0', { ipv4: ['10.0.0.1'], ipv6: ['fd00::1'] })]);
fake.network.defaultRoute.ipv4 = 2;

const osError = (code: string, errno: number, syscall: string): Error => Object.assign(new Error(`${syscall} ${code}: failed`), { code, errno, syscall });

/** The error `f` throws or rejects with. */
async function errorOf(f: () => unknown): Promise<MulticastExpertError> {
  try {
    await f();
  } catch (err) {
    expect(err).toBeInstanceOf(MulticastExpertError);
    return err as MulticastExpertError;
  }
  throw new Error('no error');
}

/** The error's own properties that hold undefined. */
const undefinedFields = (err: Error): string[] => Object.getOwnPropertyNames(err).filter((k) => (err as unknown as Record<string, unknown>)[k] === undefined);

describe('MulticastExpertError objects', () => {
  let port = 31000;

  const sites: [string, () => unknown][] = [
    ['a bad address', () => validateMcastIp('not an ip')],
    ['an unknown option (with a hint)', () => new McastRxSocket({ groups: [], port: 1, colour: 'red' } as never)],
    ['an interface not found (with a hint)', () => new McastRxSocket({ groups: ['239.1.1.1'], port: port++, iface: 'eth9' })],
    ['families mixed (with a hint)', () => new McastRxSocket({ groups: ['239.1.1.1', 'ff15::1'], port: port++ })],
    ['a group not declared (with a hint)', () => {
      const tx = new McastTxSocket({ groups: ['239.1.1.1'] });
      return tx.send('x', '239.1.1.2', 1).finally(() => tx.close());
    }],
    ['a closed receiver', () => {
      const rx = new McastRxSocket({ groups: [], port: port++, iface: 'eth0' });
      rx.close();
      return rx.receive();
    }],
    ['a closed sender', () => {
      const tx = new McastTxSocket({});
      tx.close();
      return tx.send('x', '239.1.1.1', 1);
    }],
    ['an OS error of a join (errno, syscall and a hint)', () => {
      fake.network.failNextSet = osError('ENOBUFS', -105, 'setsockopt(MCAST_JOIN_GROUP)');
      return new McastRxSocket({ groups: ['239.1.1.1'], port: port++, iface: 'eth0' });
    }],
    ['an OS error with no errno and no syscall', () => {
      fake.network.failNextSet = Object.assign(new Error('refused'), { code: 'EINVAL' });
      return new McastRxSocket({ groups: ['239.1.1.1'], port: port++, iface: 'eth0' });
    }],
    ['an OS error of a send', () => {
      const tx = new McastTxSocket({});
      (fake.senders[fake.senders.length - 1] as FakeTxSocket).failNextSend = osError('EPERM', -1, 'sendto');
      return tx.send('x', '239.1.1.1', 1).finally(() => tx.close());
    }],
  ];

  it.each(sites)('%s: the hint only in hint, no own field holding undefined', async (_, site) => {
    const err = await errorOf(site);
    expect(undefinedFields(err)).toEqual([]);
    if (err.hint !== undefined) expect(err.message).not.toContain(err.hint);
    // OS errors carry errno and syscall when the OS gave them; library errors carry neither.
    if (err.code.startsWith('ERR_')) expect(Object.keys(err)).not.toEqual(expect.arrayContaining(['errno']));
  });

  it('the sites above with a hint have one (the test sees what it checks)', async () => {
    for (const [what, site] of sites) if (what.includes('hint')) expect((await errorOf(site)).hint).toEqual(expect.any(String));
  });

  it('an OS error keeps its errno name as code, with errno and syscall', async () => {
    fake.network.failNextSet = osError('ENOBUFS', -105, 'setsockopt(MCAST_JOIN_GROUP)');
    const err = await errorOf(() => new McastRxSocket({ groups: ['239.1.1.1'], port: port++, iface: 'eth0' }));
    expect(err).toMatchObject({ code: 'ENOBUFS', errno: -105, syscall: 'setsockopt(MCAST_JOIN_GROUP)' });
  });

  it('a code outside the ones its type names (a newer libuv) becomes UNKNOWN, the name kept in the message', async () => {
    fake.network.failNextSet = osError('ENEWFANGLED', -999, 'setsockopt(MCAST_JOIN_GROUP)');
    const err = await errorOf(() => new McastRxSocket({ groups: ['239.1.1.1'], port: port++, iface: 'eth0' }));
    expect(err.code).toBe('UNKNOWN');
    expect(err.message).toContain('ENEWFANGLED');
  });

  it('the constructor leaves out the details given as undefined', () => {
    const err = new MulticastExpertError(ErrorCodes.INVALID_OPTION, 'm', { errno: undefined, syscall: undefined, hint: undefined, cause: undefined });
    expect(Object.getOwnPropertyNames(err).sort()).toEqual(['code', 'message', 'name', 'stack']);
    expect(err.message).toBe('m');
  });
});
