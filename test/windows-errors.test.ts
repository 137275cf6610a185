// Windows errors, as the native layer of a Windows build reports them (libuv's code, and the Windows
// number in `windowsError`), turned into errors a Windows user can act on: named (WSAENOPROTOOPT
// rather than UNKNOWN), with the Windows name in the message and a hint. The real path, from a
// Winsock call that fails under Wine, is run by scripts/cross/wine-smoke.sh; this pins the mapping
// on every OS. No socket is opened here.
import { ErrorCodes, MulticastExpertError } from '../lib';
import { fromNativeError } from '../lib/errors';
import { describeWindowsError } from '../lib/windows-errors';

/** What native/errors.cc throws on Windows for `windowsError`, given libuv's code and errno for it. */
function windowsNativeError(windowsError: number, code: string, errno: number, syscall: string): Error {
  return Object.assign(new Error(`${syscall} ${code}: libuv's text`), { code, errno, syscall, windowsError });
}

const UV_UNKNOWN = -4094;

describe('Windows errors', () => {
  it('an error libuv cannot name (UNKNOWN) takes its Winsock name as code, its number as errno, and a hint', () => {
    const err = fromNativeError(windowsNativeError(10042, 'UNKNOWN', UV_UNKNOWN, 'setsockopt(MCAST_JOIN_GROUP)'), 'joining 239.1.2.3 on eth0');
    expect(err).toBeInstanceOf(MulticastExpertError);
    expect(err.code).toBe('WSAENOPROTOOPT');
    expect(err.errno).toBe(-10042);
    expect(err.syscall).toBe('setsockopt(MCAST_JOIN_GROUP)');
    expect(err.message).toContain('joining 239.1.2.3 on eth0: setsockopt(MCAST_JOIN_GROUP) WSAENOPROTOOPT [10042]: the socket option is not supported');
    expect(err.hint).toMatch(/does not support the option/);
    // The hint is in `hint` only, not repeated in the message.
    expect(err.message).not.toContain(err.hint as string);
  });

  it('an error libuv names keeps the portable code and errno (as in Node), and the message names the Winsock error', () => {
    const err = fromNativeError(windowsNativeError(10048, 'EADDRINUSE', -4091, 'bind'), 'opening a multicast receiver');
    expect(err.code).toBe('EADDRINUSE');
    expect(err.errno).toBe(-4091);
    expect(err.message).toContain('bind EADDRINUSE (WSAEADDRINUSE) [10048]: address already in use');
    expect(err.hint).toBe('another program holds the port exclusively');
  });

  it('hints are the Windows ones, not the Linux commands', () => {
    const err = fromNativeError(windowsNativeError(10051, 'ENETUNREACH', -4062, 'sendto'), 'sending to 239.1.2.3:5000');
    expect(err.code).toBe('ENETUNREACH');
    expect(err.hint).toMatch(/Windows sends to a group only once a receiver/);
    expect(err.hint).not.toMatch(/ip route/);
    const denied = fromNativeError(windowsNativeError(10013, 'EACCES', -4092, 'bind'), 'opening a multicast receiver');
    expect(denied.hint).toMatch(/SO_EXCLUSIVEADDRUSE/);
    const down = fromNativeError(windowsNativeError(10050, 'UNKNOWN', UV_UNKNOWN, 'sendto'), 'sending');
    expect(down.code).toBe('WSAENETDOWN');
    expect(down.hint).toMatch(/adapter is disabled or disconnected/);
  });

  it('Win32 errors of the IP Helper functions are named too', () => {
    const err = fromNativeError(windowsNativeError(1168, 'UNKNOWN', UV_UNKNOWN, 'NotifyIpInterfaceChange'), 'watching interfaces');
    expect(err.code).toBe('ERROR_NOT_FOUND');
    expect(err.errno).toBe(-1168);
  });

  it('a number nobody knows stays UNKNOWN, and the message still gives the number', () => {
    const err = fromNativeError(windowsNativeError(12345, 'UNKNOWN', UV_UNKNOWN, 'WSAIoctl'), 'reading');
    expect(err.code).toBe('UNKNOWN');
    expect(err.errno).toBe(UV_UNKNOWN);
    expect(err.message).toContain('WSAIoctl UNKNOWN (Windows error 12345) [12345]: unknown error');
  });

  it('a datagram too large is ERR_MESSAGE_TOO_LARGE on Windows as elsewhere', () => {
    const err = fromNativeError(windowsNativeError(10040, 'EMSGSIZE', -4065, 'WSASendTo'), 'sending');
    expect(err.code).toBe(ErrorCodes.MESSAGE_TOO_LARGE);
  });

  it('errors from Linux and macOS (no windowsError) are left as they were', () => {
    const native = Object.assign(new Error('setsockopt(MCAST_JOIN_GROUP) ENODEV: no such device'), {
      code: 'ENODEV',
      errno: -19,
      syscall: 'setsockopt(MCAST_JOIN_GROUP)',
    });
    const err = fromNativeError(native, 'joining');
    expect(err.code).toBe('ENODEV');
    expect(err.errno).toBe(-19);
    expect(err.message).toBe('joining: setsockopt(MCAST_JOIN_GROUP) ENODEV: no such device');
    expect(err.hint).toMatch(/the interface does not exist/);
  });

  it('the table names every Winsock error libuv leaves UNKNOWN that a datagram socket can meet', () => {
    for (const n of [10036, 10039, 10041, 10042, 10045, 10050, 10052, 10064, 10091, 10093, 10106]) {
      expect(describeWindowsError(n)?.name).toMatch(/^WSA/);
    }
    expect(describeWindowsError(0)).toBeUndefined();
    expect(describeWindowsError(Number.NaN)).toBeUndefined();
  });
});
