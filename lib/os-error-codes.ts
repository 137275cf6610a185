/**
 * The codes an OS error can carry: the errno names libuv gives on every OS (as Node's own errors
 * do), and on Windows the names of the errors libuv has no portable name for.
 * @module
 */
import type { WindowsErrorName } from './windows-errors';

/**
 * An errno name as libuv (and so Node) gives it on every OS: `EADDRINUSE`, `ENOBUFS`, `ENODEV`, ...,
 * or `UNKNOWN` for an error libuv cannot map. libuv's `UV_ERRNO_MAP`, complete as of libuv 1.51
 * (Node 24); an older Node's libuv knows a subset.
 */
export type UvErrorName =
  | 'E2BIG' | 'EACCES' | 'EADDRINUSE' | 'EADDRNOTAVAIL' | 'EAFNOSUPPORT' | 'EAGAIN'
  | 'EAI_ADDRFAMILY' | 'EAI_AGAIN' | 'EAI_BADFLAGS' | 'EAI_BADHINTS' | 'EAI_CANCELED' | 'EAI_FAIL'
  | 'EAI_FAMILY' | 'EAI_MEMORY' | 'EAI_NODATA' | 'EAI_NONAME' | 'EAI_OVERFLOW' | 'EAI_PROTOCOL'
  | 'EAI_SERVICE' | 'EAI_SOCKTYPE' | 'EALREADY' | 'EBADF' | 'EBUSY' | 'ECANCELED' | 'ECHARSET'
  | 'ECONNABORTED' | 'ECONNREFUSED' | 'ECONNRESET' | 'EDESTADDRREQ' | 'EEXIST' | 'EFAULT' | 'EFBIG'
  | 'EHOSTUNREACH' | 'EINTR' | 'EINVAL' | 'EIO' | 'EISCONN' | 'EISDIR' | 'ELOOP' | 'EMFILE'
  | 'EMSGSIZE' | 'ENAMETOOLONG' | 'ENETDOWN' | 'ENETUNREACH' | 'ENFILE' | 'ENOBUFS' | 'ENODEV'
  | 'ENOENT' | 'ENOMEM' | 'ENONET' | 'ENOPROTOOPT' | 'ENOSPC' | 'ENOSYS' | 'ENOTCONN' | 'ENOTDIR'
  | 'ENOTEMPTY' | 'ENOTSOCK' | 'ENOTSUP' | 'EOVERFLOW' | 'EPERM' | 'EPIPE' | 'EPROTO'
  | 'EPROTONOSUPPORT' | 'EPROTOTYPE' | 'ERANGE' | 'EROFS' | 'ESHUTDOWN' | 'ESPIPE' | 'ESRCH'
  | 'ETIMEDOUT' | 'ETXTBSY' | 'EXDEV' | 'UNKNOWN' | 'EOF' | 'ENXIO' | 'EMLINK' | 'EHOSTDOWN'
  | 'EREMOTEIO' | 'ENOTTY' | 'EFTYPE' | 'EILSEQ' | 'ESOCKTNOSUPPORT' | 'ENODATA' | 'EUNATCH'
  | 'ENOEXEC';

/** The same names as a set for the code to check: the compiler holds it to exactly the type's (no more, none missing). */
const kUvErrorNames: Record<UvErrorName, true> = {
  E2BIG: true, EACCES: true, EADDRINUSE: true, EADDRNOTAVAIL: true, EAFNOSUPPORT: true,
  EAGAIN: true, EAI_ADDRFAMILY: true, EAI_AGAIN: true, EAI_BADFLAGS: true, EAI_BADHINTS: true,
  EAI_CANCELED: true, EAI_FAIL: true, EAI_FAMILY: true, EAI_MEMORY: true, EAI_NODATA: true,
  EAI_NONAME: true, EAI_OVERFLOW: true, EAI_PROTOCOL: true, EAI_SERVICE: true,
  EAI_SOCKTYPE: true, EALREADY: true, EBADF: true, EBUSY: true, ECANCELED: true, ECHARSET: true,
  ECONNABORTED: true, ECONNREFUSED: true, ECONNRESET: true, EDESTADDRREQ: true, EEXIST: true,
  EFAULT: true, EFBIG: true, EHOSTUNREACH: true, EINTR: true, EINVAL: true, EIO: true,
  EISCONN: true, EISDIR: true, ELOOP: true, EMFILE: true, EMSGSIZE: true, ENAMETOOLONG: true,
  ENETDOWN: true, ENETUNREACH: true, ENFILE: true, ENOBUFS: true, ENODEV: true, ENOENT: true,
  ENOMEM: true, ENONET: true, ENOPROTOOPT: true, ENOSPC: true, ENOSYS: true, ENOTCONN: true,
  ENOTDIR: true, ENOTEMPTY: true, ENOTSOCK: true, ENOTSUP: true, EOVERFLOW: true, EPERM: true,
  EPIPE: true, EPROTO: true, EPROTONOSUPPORT: true, EPROTOTYPE: true, ERANGE: true, EROFS: true,
  ESHUTDOWN: true, ESPIPE: true, ESRCH: true, ETIMEDOUT: true, ETXTBSY: true, EXDEV: true,
  UNKNOWN: true, EOF: true, ENXIO: true, EMLINK: true, EHOSTDOWN: true, EREMOTEIO: true,
  ENOTTY: true, EFTYPE: true, EILSEQ: true, ESOCKTNOSUPPORT: true, ENODATA: true, EUNATCH: true,
  ENOEXEC: true,
};

/**
 * The code of an OS error: its errno name ({@link UvErrorName}) or, on Windows, for an error libuv
 * has no portable name for, the Windows name (`WSAENOPROTOOPT`, `ERROR_NOT_FOUND`, ...).
 */
export type OsErrorCode = UvErrorName | WindowsErrorName;

/** True for a name {@link UvErrorName} holds. @internal */
export function isUvErrorName(name: string): name is UvErrorName {
  return Object.prototype.hasOwnProperty.call(kUvErrorNames, name);
}
