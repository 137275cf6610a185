/**
 * The codes an OS error can carry: the errno names libuv gives on every OS (as Node's own errors
 * do), and on Windows the names of the errors libuv has no portable name for.
 * @module
 */
import type { WindowsErrorName } from './windows-errors';

/**
 * libuv's error names (its `UV_ERRNO_MAP`, complete as of libuv 1.51, Node 24), which the native
 * layer gives every OS error; an older Node's libuv knows a subset. `UNKNOWN` is libuv's name for
 * an error it cannot map.
 * @internal
 */
export const kUvErrorNames = [
  'E2BIG', 'EACCES', 'EADDRINUSE', 'EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EAGAIN', 'EAI_ADDRFAMILY', 'EAI_AGAIN', 'EAI_BADFLAGS',
  'EAI_BADHINTS', 'EAI_CANCELED', 'EAI_FAIL', 'EAI_FAMILY', 'EAI_MEMORY', 'EAI_NODATA', 'EAI_NONAME', 'EAI_OVERFLOW',
  'EAI_PROTOCOL', 'EAI_SERVICE', 'EAI_SOCKTYPE', 'EALREADY', 'EBADF', 'EBUSY', 'ECANCELED', 'ECHARSET', 'ECONNABORTED',
  'ECONNREFUSED', 'ECONNRESET', 'EDESTADDRREQ', 'EEXIST', 'EFAULT', 'EFBIG', 'EHOSTUNREACH', 'EINTR', 'EINVAL', 'EIO',
  'EISCONN', 'EISDIR', 'ELOOP', 'EMFILE', 'EMSGSIZE', 'ENAMETOOLONG', 'ENETDOWN', 'ENETUNREACH', 'ENFILE', 'ENOBUFS',
  'ENODEV', 'ENOENT', 'ENOMEM', 'ENONET', 'ENOPROTOOPT', 'ENOSPC', 'ENOSYS', 'ENOTCONN', 'ENOTDIR', 'ENOTEMPTY', 'ENOTSOCK',
  'ENOTSUP', 'EOVERFLOW', 'EPERM', 'EPIPE', 'EPROTO', 'EPROTONOSUPPORT', 'EPROTOTYPE', 'ERANGE', 'EROFS', 'ESHUTDOWN',
  'ESPIPE', 'ESRCH', 'ETIMEDOUT', 'ETXTBSY', 'EXDEV', 'UNKNOWN', 'EOF', 'ENXIO', 'EMLINK', 'EHOSTDOWN', 'EREMOTEIO', 'ENOTTY',
  'EFTYPE', 'EILSEQ', 'ESOCKTNOSUPPORT', 'ENODATA', 'EUNATCH', 'ENOEXEC',
] as const;

/** An errno name as libuv (and Node) gives it on every OS: `EADDRINUSE`, `ENOBUFS`, `ENODEV`, ..., or `UNKNOWN`. */
export type UvErrorName = (typeof kUvErrorNames)[number];

/**
 * The code of an OS error: its errno name ({@link UvErrorName}) or, on Windows, for an error libuv
 * has no portable name for, the Windows name (`WSAENOPROTOOPT`, `ERROR_NOT_FOUND`, ...).
 */
export type OsErrorCode = UvErrorName | WindowsErrorName;

const kUvErrorNameSet: ReadonlySet<string> = new Set(kUvErrorNames);

/** True for a name {@link UvErrorName} holds. @internal */
export function isUvErrorName(name: string): name is UvErrorName {
  return kUvErrorNameSet.has(name);
}
