// The ESM entry: the same (CommonJS) module instance, re-exported, so that the addon loads once and
// `instanceof` holds between code that imports and code that requires the package.
export {
  ErrorCodes,
  LOCALHOST_IPV4,
  LOCALHOST_IPV6,
  McastRxSocket,
  McastTxSocket,
  MulticastExpertError,
  findInterfaces,
  getDefaultGatewayIface,
  getDefaultGatewayIfaceIp,
  getDefaultGatewayIfaceIpV4,
  getDefaultGatewayIfaceIpV6,
  getInterfaceIps,
  isMulticastIp,
  scanInterfaces,
  validateMcastIp,
} from './index.js';
export type {
  ErrorCode,
  Family,
  IfaceAddress,
  IfaceInfo,
  IfaceSpecifier,
  McastBatchMessage,
  McastMessage,
  McastRxSocketEvents,
  McastRxSocketOptions,
  McastRxStats,
  McastTxSocketOptions,
  MulticastExpertErrorDetails,
  ReceiveOptions,
} from './index.js';
