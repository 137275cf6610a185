/**
 * Windows errors by number: Winsock's (WSAE...) and the Win32 ones the IP Helper functions return,
 * with what they mean and, where we know it, what to do. libuv gives a portable name to some of them
 * (WSAEADDRINUSE is EADDRINUSE, as in Node's own errors) and calls the rest UNKNOWN (errno -4094);
 * the native layer on Windows passes the number along, and {@link describeWindowsError} names it.
 * @internal
 * @module
 */

/** What is known of one Windows error. */
export interface WindowsErrorInfo {
  /** The constant's name in the Windows SDK, e.g. `WSAENOPROTOOPT`. */
  readonly name: string;
  /** What it means, in a few words. */
  text: string;
  /** What the user can do about it, when the portable code has no hint of its own. */
  hint?: string;
}

/**
 * The name of a Windows error the library knows (its Windows SDK constant): the code of an OS error
 * on Windows that libuv has no portable name for.
 */
export type WindowsErrorName =
  | 'ERROR_NOT_ENOUGH_MEMORY' | 'ERROR_NOT_SUPPORTED' | 'ERROR_INVALID_PARAMETER'
  | 'ERROR_BUFFER_OVERFLOW' | 'ERROR_NO_DATA' | 'ERROR_NOT_FOUND' | 'ERROR_NETWORK_UNREACHABLE'
  | 'WSAEINTR' | 'WSAEBADF' | 'WSAEACCES' | 'WSAEFAULT' | 'WSAEINVAL' | 'WSAEMFILE'
  | 'WSAEWOULDBLOCK' | 'WSAEINPROGRESS' | 'WSAEALREADY' | 'WSAENOTSOCK' | 'WSAEDESTADDRREQ'
  | 'WSAEMSGSIZE' | 'WSAEPROTOTYPE' | 'WSAENOPROTOOPT' | 'WSAEPROTONOSUPPORT' | 'WSAESOCKTNOSUPPORT'
  | 'WSAEOPNOTSUPP' | 'WSAEPFNOSUPPORT' | 'WSAEAFNOSUPPORT' | 'WSAEADDRINUSE' | 'WSAEADDRNOTAVAIL'
  | 'WSAENETDOWN' | 'WSAENETUNREACH' | 'WSAENETRESET' | 'WSAECONNABORTED' | 'WSAECONNRESET'
  | 'WSAENOBUFS' | 'WSAEISCONN' | 'WSAENOTCONN' | 'WSAESHUTDOWN' | 'WSAETIMEDOUT'
  | 'WSAECONNREFUSED' | 'WSAEHOSTDOWN' | 'WSAEHOSTUNREACH' | 'WSAEPROCLIM' | 'WSASYSNOTREADY'
  | 'WSAVERNOTSUPPORTED' | 'WSANOTINITIALISED' | 'WSAEDISCON' | 'WSAEPROVIDERFAILEDINIT'
  | 'WSASERVICE_NOT_FOUND';

const kTable = {
  // Win32 errors (GetAdaptersAddresses, GetIpForwardTable2, NotifyIpInterfaceChange, ...)
  8: { name: 'ERROR_NOT_ENOUGH_MEMORY', text: 'not enough memory' },
  50: { name: 'ERROR_NOT_SUPPORTED', text: 'not supported' },
  87: { name: 'ERROR_INVALID_PARAMETER', text: 'invalid parameter' },
  111: { name: 'ERROR_BUFFER_OVERFLOW', text: 'the buffer is too small' },
  232: { name: 'ERROR_NO_DATA', text: 'no data' },
  1168: { name: 'ERROR_NOT_FOUND', text: 'not found' },
  1231: { name: 'ERROR_NETWORK_UNREACHABLE', text: 'the network is unreachable' },
  // Winsock
  10004: { name: 'WSAEINTR', text: 'a blocking call was interrupted' },
  10009: { name: 'WSAEBADF', text: 'the socket handle is not valid' },
  10013: {
    name: 'WSAEACCES',
    text: 'permission denied',
    hint: 'another program holds the port exclusively (SO_EXCLUSIVEADDRUSE), or a firewall or policy forbids it',
  },
  10014: { name: 'WSAEFAULT', text: 'bad address' },
  10022: { name: 'WSAEINVAL', text: 'invalid argument' },
  10024: { name: 'WSAEMFILE', text: 'too many open sockets' },
  10035: { name: 'WSAEWOULDBLOCK', text: 'the operation would block' },
  10036: { name: 'WSAEINPROGRESS', text: 'a blocking operation is in progress' },
  10037: { name: 'WSAEALREADY', text: 'an operation is already in progress' },
  10038: { name: 'WSAENOTSOCK', text: 'not a socket' },
  10039: { name: 'WSAEDESTADDRREQ', text: 'a destination address is required' },
  10040: { name: 'WSAEMSGSIZE', text: 'the datagram is too long' },
  10041: { name: 'WSAEPROTOTYPE', text: 'wrong protocol type for the socket' },
  10042: {
    name: 'WSAENOPROTOOPT',
    text: 'the socket option is not supported',
    hint: "this network stack does not support the option (Windows' own has it since Vista): a third-party network filter or VPN client, or a Windows emulation such as Wine, can lack it",
  },
  10043: { name: 'WSAEPROTONOSUPPORT', text: 'protocol not supported' },
  10044: { name: 'WSAESOCKTNOSUPPORT', text: 'socket type not supported' },
  10045: {
    name: 'WSAEOPNOTSUPP',
    text: 'operation not supported',
    hint: 'this network stack does not support the operation on a UDP socket; a third-party network filter or VPN client can cause this',
  },
  10046: { name: 'WSAEPFNOSUPPORT', text: 'protocol family not supported' },
  10047: {
    name: 'WSAEAFNOSUPPORT',
    text: 'address family not supported',
    hint: 'this IP version is not enabled on the machine or the adapter (Network Connections, adapter properties, Internet Protocol Version 4/6)',
  },
  10048: { name: 'WSAEADDRINUSE', text: 'address already in use' },
  10049: { name: 'WSAEADDRNOTAVAIL', text: 'the address is not available' },
  10050: {
    name: 'WSAENETDOWN',
    text: 'the network is down',
    hint: 'the adapter is disabled or disconnected, or the network subsystem failed: check Network Connections',
  },
  10051: { name: 'WSAENETUNREACH', text: 'the network is unreachable' },
  10052: { name: 'WSAENETRESET', text: 'the network dropped the connection on reset' },
  10053: { name: 'WSAECONNABORTED', text: 'the connection was aborted' },
  10054: { name: 'WSAECONNRESET', text: 'the connection was reset by the peer' },
  10055: { name: 'WSAENOBUFS', text: 'no buffer space available' },
  10056: { name: 'WSAEISCONN', text: 'the socket is already connected' },
  10057: { name: 'WSAENOTCONN', text: 'the socket is not connected' },
  10058: { name: 'WSAESHUTDOWN', text: 'the socket was shut down' },
  10060: { name: 'WSAETIMEDOUT', text: 'timed out' },
  10061: { name: 'WSAECONNREFUSED', text: 'connection refused' },
  10064: { name: 'WSAEHOSTDOWN', text: 'the host is down' },
  10065: { name: 'WSAEHOSTUNREACH', text: 'no route to the host' },
  10067: { name: 'WSAEPROCLIM', text: 'too many processes use Winsock' },
  10091: {
    name: 'WSASYSNOTREADY',
    text: 'the network subsystem is not ready',
    hint: 'Windows networking is not ready (still starting, or broken): retry, or run `netsh winsock reset` and restart',
  },
  10092: { name: 'WSAVERNOTSUPPORTED', text: 'this Winsock version is not supported' },
  10093: { name: 'WSANOTINITIALISED', text: 'Winsock is not initialised' },
  10101: { name: 'WSAEDISCON', text: 'graceful shutdown in progress' },
  10106: {
    name: 'WSAEPROVIDERFAILEDINIT',
    text: 'a Winsock service provider failed to initialise',
    hint: 'a network filter or VPN client installed a broken Winsock provider: run `netsh winsock reset` and restart',
  },
  10108: { name: 'WSASERVICE_NOT_FOUND', text: 'service not found' },
} as const satisfies Record<number, WindowsErrorInfo & { name: WindowsErrorName }>;

// The table gives only names the type lists (satisfies, above), and the type lists only names the
// table gives (this does not compile otherwise): one list, checked both ways.
type UnknownToTable = Exclude<WindowsErrorName, (typeof kTable)[keyof typeof kTable]['name']>;
const everyNameInTable: [UnknownToTable] extends [never] ? true : UnknownToTable = true;
void everyNameInTable;

/** The name, meaning and hint of a Windows error number, or undefined for one we do not know. */
export function describeWindowsError(code: number): (WindowsErrorInfo & { readonly name: WindowsErrorName }) | undefined {
  return Object.prototype.hasOwnProperty.call(kTable, code) ? (kTable as Record<number, WindowsErrorInfo & { readonly name: WindowsErrorName }>)[code] : undefined;
}
