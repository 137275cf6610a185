// Addresses and groups: recognition, validation, canonical forms, and the error codes of that layer.
import { ErrorCodes, LOCALHOST_IPV4, LOCALHOST_IPV6, MulticastExpertError, isMulticastIp, validateMcastIp } from '../lib';
import { expectCode } from './helpers';

describe('isMulticastIp', () => {
  it.each([
    ['224.0.0.1', true],
    ['239.255.255.255', true],
    ['223.255.255.255', false],
    ['240.0.0.0', false],
    ['10.0.0.1', false],
    ['ff02::1', true],
    ['FF15::1234', true],
    ['fe80::1', false],
    ['::ffff:239.1.2.3', false],
    ['ff02::1%eth0', true],
    ['239.1.2', false],
    ['01.2.3.4', false],
    ['', false],
  ])('%s -> %s', (ip, expected) => {
    expect(isMulticastIp(ip)).toBe(expected);
  });

  it('is false, never a throw, for values that are not strings', () => {
    for (const v of [undefined, null, 239, {}, [], Symbol('x'), () => 1, 10n]) expect(isMulticastIp(v as unknown as string)).toBe(false);
  });

  it('exports the loopback addresses', () => {
    expect(LOCALHOST_IPV4).toBe('127.0.0.1');
    expect(LOCALHOST_IPV6).toBe('::1');
  });
});

describe('validateMcastIp', () => {
  it('accepts groups of either family, and of the family asked for', () => {
    expect(() => validateMcastIp('239.1.2.3')).not.toThrow();
    expect(() => validateMcastIp('ff15::1', 'ipv6')).not.toThrow();
    expect(() => validateMcastIp('224.0.0.251', 'ipv4')).not.toThrow();
  });

  it('gives ERR_INVALID_ADDRESS for what is not an IP address', () => {
    for (const v of ['239.1.2', 'hello', '', '1.2.3.4.5', 'ff15::1::2', undefined, 42, null, {}]) {
      const err = expectCode(() => validateMcastIp(v as string), ErrorCodes.INVALID_ADDRESS);
      expect(err).toBeInstanceOf(MulticastExpertError);
      expect(err.hint).toMatch(/multicast address/);
    }
  });

  it('gives ERR_NOT_MULTICAST for unicast addresses', () => {
    expectCode(() => validateMcastIp('10.0.0.1'), ErrorCodes.NOT_MULTICAST);
    expectCode(() => validateMcastIp('fe80::1'), ErrorCodes.NOT_MULTICAST);
    expectCode(() => validateMcastIp('::1', 'ipv6'), ErrorCodes.NOT_MULTICAST);
  });

  it('gives ERR_FAMILY_MISMATCH for the other family', () => {
    expectCode(() => validateMcastIp('239.1.2.3', 'ipv6'), ErrorCodes.FAMILY_MISMATCH);
    expectCode(() => validateMcastIp('ff15::1', 'ipv4'), ErrorCodes.FAMILY_MISMATCH);
  });

  it('gives ERR_INVALID_OPTION for a family that is not one', () => {
    expectCode(() => validateMcastIp('239.1.2.3', 'ip4' as 'ipv4'), ErrorCodes.INVALID_OPTION);
  });

  it('rejects a group with a zone: the interface is a separate option', () => {
    const err = expectCode(() => validateMcastIp('ff02::1%eth0'), ErrorCodes.INVALID_ADDRESS);
    expect(err.message).toMatch(/zone/);
  });

  it('brands errors so that instanceof holds across copies of the package', () => {
    const e = new MulticastExpertError(ErrorCodes.INVALID_OPTION, 'm');
    const lookalike = Object.assign(Object.create(Error.prototype) as object, { [Symbol.for('multicast-expert.MulticastExpertError')]: true });
    expect(lookalike instanceof MulticastExpertError).toBe(true);
    expect(new Error('plain') instanceof MulticastExpertError).toBe(false);
    expect(e.name).toBe('MulticastExpertError');
  });
});
