/**
 * multicast-expert: IP multicast for Node.js, done right on Linux, macOS and Windows.
 * @module
 */
export { type Family, LOCALHOST_IPV4, LOCALHOST_IPV6, isMulticastIp, validateMcastIp } from './addresses';
export { ErrorCodes, type ErrorCode, MulticastExpertError, type MulticastExpertErrorCode, type MulticastExpertErrorDetails } from './errors';
export type { OsErrorCode, UvErrorName } from './os-error-codes';
export type { WindowsErrorName } from './windows-errors';
export {
  type IfaceAddress,
  type IfaceInfo,
  type IfaceSpecifier,
  findInterfaces,
  getDefaultGatewayIface,
  getDefaultGatewayIfaceIp,
  getDefaultGatewayIfaceIpV4,
  getDefaultGatewayIfaceIpV6,
  getInterfaceIps,
  scanInterfaces,
} from './interfaces';
export { McastTxSocket } from './tx-socket';
export type { McastBatchMessage, McastSendOptions, McastTxSocketEvents, McastTxSocketOptions } from './tx/types';
export { McastRxSocket } from './rx-socket';
export type { McastBatchView, McastCoalesceOptions, McastMessage, McastRxSocketEvents, McastRxSocketOptions, McastRxStats, ReceiveOptions, ReplyOptions } from './rx/types';
export { type IfaceChange, type IfaceChangeType, type IfaceWatcher, type WatchInterfacesOptions, watchInterfaces } from './watch';
