/**
 * The one error class of multicast-expert, its stable codes, and the hints that say what to do.
 * @module
 */
import { type OsErrorCode, isUvErrorName } from './os-error-codes';
import { describeWindowsError } from './windows-errors';

/**
 * Codes of errors the library itself raises (OS errors keep their errno name as the code).
 *
 * @example
 * ```ts
 * try {
 *   validateMcastIp(input);
 * } catch (err) {
 *   if (err instanceof MulticastExpertError && err.code === ErrorCodes.NOT_MULTICAST) console.log('not a group');
 * }
 * ```
 */
export const ErrorCodes = {
  /** Not an IP address. */
  INVALID_ADDRESS: 'ERR_INVALID_ADDRESS',
  /** An IP address, but not a multicast group. */
  NOT_MULTICAST: 'ERR_NOT_MULTICAST',
  /** IPv4 where IPv6 was expected, or the reverse. */
  FAMILY_MISMATCH: 'ERR_FAMILY_MISMATCH',
  /** A port outside 1..65535 (or 0..65535 where 0 means "any"). */
  INVALID_PORT: 'ERR_INVALID_PORT',
  /** Wrong type or range of any other option or argument. */
  INVALID_OPTION: 'ERR_INVALID_OPTION',
  /** No interface matches the name, index or address. */
  IFACE_NOT_FOUND: 'ERR_IFACE_NOT_FOUND',
  /** An address that two interfaces share: name the interface instead. */
  IFACE_AMBIGUOUS: 'ERR_IFACE_AMBIGUOUS',
  /** The interface has no address of the family. */
  IFACE_NO_ADDRESS: 'ERR_IFACE_NO_ADDRESS',
  /** No interface was given and the machine has no default route of the family. */
  NO_DEFAULT_IFACE: 'ERR_NO_DEFAULT_IFACE',
  /** Nothing to listen on. */
  NO_IFACES: 'ERR_NO_IFACES',
  /** send() to a group the Tx socket did not declare. */
  GROUP_NOT_DECLARED: 'ERR_GROUP_NOT_DECLARED',
  /** Source filtering that the group's mode does not allow. */
  SOURCE_NOT_ALLOWED: 'ERR_SOURCE_NOT_ALLOWED',
  /** The socket is closed. */
  SOCKET_CLOSED: 'ERR_SOCKET_CLOSED',
  /** The datagram is larger than the OS or the path allows. */
  MESSAGE_TOO_LARGE: 'ERR_MESSAGE_TOO_LARGE',
} as const;

/** A library error code. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/**
 * Every code a {@link MulticastExpertError} can carry: a library code ({@link ErrorCode}) or an OS
 * error's errno name ({@link OsErrorCode}). A string union, so a misspelt code in a comparison or a
 * `case` does not compile; still assignable to `string`.
 */
export type MulticastExpertErrorCode = ErrorCode | OsErrorCode;

const kBrand = Symbol.for('multicast-expert.MulticastExpertError');

/** Fields of a {@link MulticastExpertError} beyond its code and message, as its constructor takes them (one given as undefined is left out). */
export interface MulticastExpertErrorDetails {
  /** For OS errors: libuv's error number (negative). */
  errno?: number | undefined;
  /** For OS errors: the failing call. */
  syscall?: string | undefined;
  /** What the caller can do about it (kept out of the message). */
  hint?: string | undefined;
  /** The error this one wraps. */
  cause?: unknown;
}

/**
 * Every error that multicast-expert throws or rejects with. `code` is stable: one of
 * {@link ErrorCodes}, or for an OS error the errno name (`EADDRINUSE`, `ENOBUFS`, ...), then also
 * with `errno` (libuv's number, negative as in Node's own errors) and `syscall`. `hint`, when
 * present, says what the caller can do about it; the message does not repeat it (print both, as the
 * command line does: `message (hint)`). A field that does not apply is absent, never `undefined`.
 *
 * `instanceof` works across copies of the package (the check uses a global symbol).
 *
 * @example
 * ```ts
 * try {
 *   new McastRxSocket({ groups: ['239.1.2.3'], port: 5000, iface: 'eth9' });
 * } catch (err) {
 *   if (err instanceof MulticastExpertError) console.log(err.code, err.hint); // 'ERR_IFACE_NOT_FOUND', ...
 * }
 * ```
 */
export class MulticastExpertError extends Error {
  // Declared, not defined: a class field would make every error carry its own `errno: undefined`
  // (and so for each field), where an absent field is what Node's errors have.
  /** Stable error code: one of {@link ErrorCodes}, or an OS error's errno name. */
  declare readonly code: MulticastExpertErrorCode;
  /** For OS errors: libuv's error number (negative, as in Node's SystemError). */
  declare readonly errno?: number;
  /** For OS errors: the failing call, e.g. `setsockopt(MCAST_JOIN_GROUP)`. */
  declare readonly syscall?: string;
  /** What the caller can do about it, when known; not repeated in the message. */
  declare readonly hint?: string;

  /** An error with a code, a message, and (for OS errors) errno and syscall; fields given as undefined are left out. */
  constructor(code: MulticastExpertErrorCode, message: string, details: MulticastExpertErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'MulticastExpertError';
    this.code = code;
    if (details.errno !== undefined) this.errno = details.errno;
    if (details.syscall !== undefined) this.syscall = details.syscall;
    if (details.hint !== undefined) this.hint = details.hint;
    Object.defineProperty(this, kBrand, { value: true });
  }

  /** True for a MulticastExpertError from any copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kBrand] === true;
  }
}

/** Hints for OS errors, keyed by errno name; the failing call and the OS refine some of them. */
function hintForOsError(code: OsErrorCode, syscall: string | undefined, platform: NodeJS.Platform = process.platform): string | undefined {
  const call = syscall ?? '';
  switch (code) {
    case 'ENOBUFS':
      if (call.includes('JOIN') || call.includes('MEMBERSHIP') || call.includes('SOURCE'))
        return platform === 'linux'
          ? 'the kernel limits memberships per socket: raise net.ipv4.igmp_max_memberships (IPv4) or net.ipv4.igmp_max_msf / net.ipv6.mld_max_msf (source filters) with sysctl, or use fewer groups per socket'
          : 'the OS limits memberships per socket: use fewer groups or interfaces per socket';
      return 'the socket buffer is full: send more slowly or raise the send buffer';
    case 'EADDRINUSE':
      return platform === 'win32'
        ? 'another program holds the port exclusively'
        : 'the port is held by a socket without address reuse; close it or pick another port';
    case 'EADDRNOTAVAIL':
      return 'the interface has no such address, or the group cannot be joined there; check the interface and the group';
    case 'ENODEV':
      return 'the interface does not exist (any more) or cannot do multicast; check the interface name or index';
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      if (platform === 'darwin')
        return 'no route for the group on this interface; on macOS 15+ also allow "Local Network" access for this program (System Settings, Privacy & Security)';
      if (platform === 'win32')
        return 'no route for the group: pass the interface explicitly; on the loopback interface, Windows sends to a group only once a receiver on this host has joined it there';
      return 'no route for the group: pass the interface explicitly, or add a multicast route (IPv4: ip route add 224.0.0.0/4 dev IFACE; IPv6 on lo: ip -6 route add local ff00::/8 dev lo table local)';
    case 'EACCES':
    case 'EPERM':
      return 'the OS refused: a firewall rule, a privileged port, or a missing permission';
    case 'EINVAL':
      if (call.includes('SOURCE')) return 'the OS refused the source filter; the group may be any-source where source-specific was needed, or the reverse';
      return undefined;
    case 'EMSGSIZE':
      return 'the datagram is larger than the path allows; IPv4 UDP carries at most 65507 bytes, IPv6 65527';
    default:
      return undefined;
  }
}

/** Raw shape of an error thrown by the native layer. */
interface NativeErrorShape {
  message?: unknown;
  code?: unknown;
  errno?: unknown;
  syscall?: unknown;
  /** On Windows: the Windows error number (WSAGetLastError() or a Win32 error), before libuv's mapping. */
  windowsError?: unknown;
}

/**
 * Turns an error from the native layer into a MulticastExpertError with a hint. `what` says what
 * we were doing ("joining 239.1.2.3 on eth0"), for the message.
 *
 * On Windows the message also names the Windows error (`WSAEADDRINUSE`, 10048). Where libuv has
 * no portable name for it, the code is the Windows name (`WSAENOPROTOOPT`) instead of `UNKNOWN`,
 * and errno is the Windows number, negated (-10042), like libuv's own.
 * @internal
 */
export function fromNativeError(err: unknown, what: string): MulticastExpertError {
  if (err instanceof MulticastExpertError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as NativeErrorShape;
  // A name outside libuv's map (a newer libuv's) would break the promise of the code's type: it
  // stays in the message, and the code is libuv's own for what it cannot map.
  let code: OsErrorCode = typeof e.code === 'string' && isUvErrorName(e.code) ? e.code : 'UNKNOWN';
  const syscall = typeof e.syscall === 'string' ? e.syscall : undefined;
  let errno = typeof e.errno === 'number' ? e.errno : undefined;
  let detail = typeof e.message === 'string' ? e.message : String(err);
  let hint: string | undefined;
  if (typeof e.windowsError === 'number') {
    const windows = describeWindowsError(e.windowsError);
    const name = windows?.name ?? `Windows error ${e.windowsError}`;
    if (code === 'UNKNOWN' && windows !== undefined) {
      code = windows.name;
      errno = -e.windowsError;
    }
    detail = `${syscall ?? 'unknown'} ${code}${name === code ? '' : ` (${name})`} [${e.windowsError}]: ${windows?.text ?? 'unknown error'}`;
    hint = windows?.hint ?? hintForOsError(code, syscall, 'win32');
  } else {
    hint = hintForOsError(code, syscall);
  }
  if (code === 'EMSGSIZE') {
    return new MulticastExpertError(ErrorCodes.MESSAGE_TOO_LARGE, `${what}: the datagram is too large (${syscall ?? 'send'} EMSGSIZE)`, {
      errno,
      syscall,
      hint,
      cause: err,
    });
  }
  return new MulticastExpertError(code, `${what}: ${detail}`, { errno, syscall, hint, cause: err });
}

/**
 * Calls the native layer: what `call` returns, or the error it throws as a MulticastExpertError
 * (fromNativeError, with `what` in the message), which `refine` may make more precise. The one way
 * the library calls native code, except on the send path (McastTxSocket), whose errors name the
 * state of the interface and which allocates nothing per datagram.
 * @internal
 */
export function callNative<T>(what: string, call: () => T, refine?: (err: MulticastExpertError, raw: unknown) => MulticastExpertError): T {
  try {
    return call();
  } catch (err) {
    const e = fromNativeError(err, what);
    throw refine === undefined ? e : refine(e, err);
  }
}

/** `message (hint)`: an error as a warning prints it, where nobody can read `hint` on its own. @internal */
export function messageWithHint(err: MulticastExpertError): string {
  return err.hint === undefined ? err.message : `${err.message} (${err.hint})`;
}

/** Shorthand for a library error. @internal */
export function fail(code: ErrorCode, message: string, hint?: string): never {
  throw new MulticastExpertError(code, message, hint === undefined ? {} : { hint });
}

/**
 * The error of a send that failed natively, said in the sender's terms (`message`: what it was doing
 * and what the interface's state is), with the native code, errno and syscall kept and the native
 * error as its cause.
 */
export function explainNativeError(native: MulticastExpertError, cause: unknown, message: string, hint: string): MulticastExpertError {
  const detail = native.syscall !== undefined ? ` (${native.syscall} ${native.code})` : ` (${native.code})`;
  return new MulticastExpertError(native.code, `${message}${detail}`, {
    ...(native.errno !== undefined ? { errno: native.errno } : {}),
    ...(native.syscall !== undefined ? { syscall: native.syscall } : {}),
    hint,
    cause,
  });
}
