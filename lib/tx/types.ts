/**
 * The sender's public types: its options, events and the shapes send() and sendBatch() take.
 * @module
 */
import type { Family } from '../addresses';
import type { IfaceSpecifier } from '../interfaces';

/** Options of {@link McastTxSocket}. */
export interface McastTxSocketOptions {
  /**
   * The groups this socket may send to: send() to any other group rejects with ERR_GROUP_NOT_DECLARED.
   * @defaultValue any group
   */
  groups?: string[];
  /**
   * The address family.
   * @defaultValue the groups' family, else the iface address's, else 'ipv4'
   */
  family?: Family;
  /**
   * The interface to send from, by name, index, address or {@link IfaceInfo}; given as an address,
   * datagrams also leave from that address.
   * @defaultValue the interface of the family's default route (ERR_NO_DEFAULT_IFACE when there is none)
   */
  iface?: IfaceSpecifier;
  /**
   * 0..255 (the hop limit for IPv6). 0 keeps datagrams on this host.
   * @defaultValue 1
   */
  ttl?: number;
  /**
   * This host's own receivers on interfaces other than loopback get our datagrams (on Linux and
   * macOS the sender's setting decides, on Windows the receiver's).
   * @defaultValue false
   */
  externalLoopback?: boolean;
  /**
   * Local source port.
   * @defaultValue any free port
   */
  port?: number;
  /**
   * Closes the socket when it aborts, as `dgram.createSocket`'s `signal` does (an already-aborted
   * signal gives a socket that is closed at once, 'close' then emitted).
   */
  signal?: AbortSignal;
}

/** The events of a {@link McastTxSocket}, each with the arguments its listeners get. */
export interface McastTxSocketEvents {
  /** The socket was closed (emitted on the next tick after close()). */
  close: [];
}

/** One datagram of {@link McastTxSocket.sendBatch}. */
export interface McastBatchMessage {
  /** The payload (a string is sent as UTF-8). */
  data: string | Uint8Array;
  /** The destination group. */
  group: string;
  /** The destination port. */
  port: number;
  /** Out of this interface (name, index, address or IfaceInfo) instead of the socket's; never out of another. */
  iface?: IfaceSpecifier;
}

/** Options of {@link McastTxSocket.send}. */
export interface McastSendOptions {
  /** Out of this interface (name, index, address or IfaceInfo) instead of the socket's; never out of another. */
  iface?: IfaceSpecifier;
}
