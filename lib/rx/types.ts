/**
 * The public types of a receiver: its options, a received datagram, its counters, receive()'s
 * options, and its events.
 * @module
 */
import type { Family } from '../addresses';
import type { MulticastExpertError } from '../errors';
import type { IfaceInfo, IfaceSpecifier } from '../interfaces';
import type { IfaceChangeType } from '../watch';

/** Options of {@link McastRxSocket}. */
export interface McastRxSocketOptions {
  /** Groups to join at once; may be empty (join() later). */
  groups: string[];
  /** The UDP port, 1..65535. */
  port: number;
  /**
   * The address family.
   * @defaultValue the groups' family, else 'ipv4'
   */
  family?: Family;
  /**
   * The one interface to join on, by name, index, address or {@link IfaceInfo}; give this or `ifaces`.
   * @defaultValue every interface that is up, multicast-capable, not loopback and has an address of the family
   */
  iface?: IfaceSpecifier;
  /**
   * The interfaces to join on, each by name, index, address or {@link IfaceInfo}.
   * @defaultValue every interface that is up, multicast-capable, not loopback and has an address of the family
   */
  ifaces?: IfaceSpecifier[];
  /**
   * Source-specific multicast: only these senders (IPv4 and IPv6).
   * @defaultValue any source
   */
  sources?: string[];
  /**
   * Receive this host's own datagrams on interfaces other than loopback (on Windows the receiver's
   * setting decides, elsewhere the sender's); see the README's Loopback section.
   * @defaultValue false
   */
  externalLoopback?: boolean;
  /**
   * Default timeout of receive(), in ms; 0 does not wait. Also settable later: `rx.timeout = ms`.
   * @defaultValue undefined: wait forever
   */
  timeout?: number;
  /**
   * SO_RCVBUF in bytes; the OS caps it (Linux: net.core.rmem_max).
   * @defaultValue the OS default
   */
  receiveBufferSize?: number;
  /**
   * The longest datagram delivered whole; a longer one is cut and flagged `truncated`.
   * @defaultValue 65535
   */
  maxMessageSize?: number;
  /**
   * Kernel receive timestamps in McastMessage.timestamp (ns since the epoch).
   * @defaultValue false
   */
  timestamps?: boolean;
  /**
   * When an interface the socket listens on goes away (down, removed, or without an
   * address of the family) and comes back (up again, or a new interface of the same name), join the
   * groups there again; a socket on all interfaces also joins new ones. 'iface-lost' and
   * 'iface-joined' tell. False: keep the interfaces as opened, and only emit 'iface-lost'. A renamed
   * interface (Linux) is not lost: the socket follows it under its new name.
   * @defaultValue true
   */
  rejoin?: boolean;
  /**
   * Closes the socket when it aborts, as `dgram.createSocket`'s `signal` does (an already-aborted
   * signal gives a socket that joins nothing and is closed at once, 'close' then emitted).
   */
  signal?: AbortSignal;
  /**
   * 1..255: the TTL (IPv6: hop limit) of reply()'s datagrams, unless a reply says otherwise. mDNS wants 255.
   * @defaultValue 1
   */
  ttl?: number;
  /**
   * Off by default: every datagram is handed over in the event-loop turn that read it. Set, a
   * wake-up that reads fewer than `maxDatagrams` datagrams holds them back, its sockets unpolled
   * (the kernel queues what arrives, and nothing wakes the process), until the first is
   * `maxDelayMicros` old; then what queued is read and handed over with them, the way a network card
   * coalesces interrupts. It costs latency: a datagram waits up to `maxDelayMicros` (plus one loop
   * turn) when traffic is light; and the receive buffer must hold what arrives during a hold. On
   * Linux the bound is kept to the microsecond; elsewhere it is rounded up to whole milliseconds.
   * See docs/high-rate.md, "Coalescing".
   */
  coalesce?: McastCoalesceOptions;
}

/** Options of {@link McastRxSocket.reply}. */
export interface ReplyOptions {
  /** Default 'group': to the datagram's group and port; 'source': unicast back to its sender's address and port. */
  to?: 'group' | 'source';
  /** 1..255; default: the receiver's `ttl` option. */
  ttl?: number;
}

/** The `coalesce` option of {@link McastRxSocketOptions}. */
export interface McastCoalesceOptions {
  /** The longest a datagram is held back, in microseconds: 0..1000000. */
  maxDelayMicros: number;
  /** A read that brings a batch to this many datagrams hands it over at once (1: nothing is held): 1..512. */
  maxDatagrams: number;
}

/** One received datagram. */
export interface McastMessage {
  /**
   * The datagram's bytes: a view into a 64 KB block shared with the datagrams read around it (a
   * datagram over 32 KB has a buffer of its own), never overwritten, and kept alive as a whole while
   * any of its views is: a kept datagram keeps at most 64 KB alive. `Buffer.from(msg.data)` copies a
   * datagram out to keep it for long.
   */
  data: Buffer;
  /** The sender. */
  source: {
    /** The sender's address. */
    address: string;
    /** The sender's port. */
    port: number;
    /** The address family. */
    family: Family;
    /** IPv6 link-local senders: the scope (interface index). */
    scopeId?: number;
  };
  /** The multicast group the datagram was sent to. */
  group: string;
  /** Its destination port. */
  port: number;
  /** The interface it arrived on. */
  ifaceIndex: number;
  /** The name of the interface it arrived on. */
  ifaceName: string;
  /** The datagram was longer than maxMessageSize and was cut. */
  truncated: boolean;
  /** Nanoseconds since the Unix epoch, when the `timestamps` option is set. */
  timestamp?: bigint;
}

/**
 * A batch read by index ('batch-view' event): the fastest way in, with no object made per datagram
 * unless one is asked for (`data(i)` makes one Buffer view, `message(i)` and `toArray()` make
 * McastMessage objects).
 *
 * **The view is valid only during the listener call that got it.** The receiver reuses one view
 * object for every batch; once the listeners return, its `length` is 0 and every accessor throws
 * (ERR_INVALID_OPTION). What you take out stays valid: the Buffers of `data(i)` (and the
 * ArrayBuffers of `buffer(i)`) are never overwritten, like `msg.data` (a kept one keeps at most its
 * 64 KB block alive), and so do strings, numbers and the objects of `message(i)` and `toArray()`.
 *
 * An index is an integer from 0 to `length - 1`; another throws ERR_INVALID_OPTION.
 */
export interface McastBatchView {
  /** Datagrams in the batch (0 once the listener call is over). */
  readonly length: number;
  /** The bytes of datagram i: a new Buffer view of them (no copy). */
  data(i: number): Buffer;
  /**
   * The ArrayBuffer that holds datagram i's bytes, at `byteOffset(i)`, `byteLength(i)` long: to
   * read them with no object at all (e.g. through a DataView you keep per ArrayBuffer). Many
   * datagrams share one ArrayBuffer; bytes outside a datagram's are other datagrams' or zeros.
   */
  buffer(i: number): ArrayBuffer;
  /** Where datagram i's bytes start in `buffer(i)`. */
  byteOffset(i: number): number;
  /** How many bytes datagram i has. */
  byteLength(i: number): number;
  /** The group datagram i was sent to. */
  group(i: number): string;
  /** The index of the interface it arrived on. */
  ifaceIndex(i: number): number;
  /** The name of the interface it arrived on. */
  ifaceName(i: number): string;
  /** The sender's address. */
  sourceAddress(i: number): string;
  /** The sender's port. */
  sourcePort(i: number): number;
  /** The sender's IPv6 scope (interface index) for a link-local sender, else 0. */
  sourceScopeId(i: number): number;
  /** The datagram was longer than maxMessageSize and was cut. */
  truncated(i: number): boolean;
  /** Nanoseconds since the Unix epoch, when the `timestamps` option is set; else undefined. */
  timestamp(i: number): bigint | undefined;
  /** Datagram i as a McastMessage (a new object, valid for ever). */
  message(i: number): McastMessage;
  /** The batch as McastMessage objects (a new array, valid for ever): what 'batch' gets. */
  toArray(): McastMessage[];
}

/** Counters of a receiver. */
export interface McastRxStats {
  /** Datagrams delivered to JavaScript. */
  received: number;
  /** Datagrams the kernel dropped because the socket's buffer was full. */
  kernelDrops: number;
  /** Datagrams cut to maxMessageSize. */
  truncated: number;
  /** Datagrams that reached the OS socket but were not for this receiver, dropped natively. */
  filtered: number;
}

/** Options of {@link McastRxSocket.receive}. */
export interface ReceiveOptions {
  /** In ms; overrides the socket's timeout. */
  timeout?: number;
  /** Aborts the wait: receive() then rejects with an AbortError. */
  signal?: AbortSignal;
}

/** The events of a {@link McastRxSocket}, each with the arguments its listeners get. */
export interface McastRxSocketEvents {
  /** One datagram. */
  message: [msg: McastMessage];
  /** Every datagram that arrived in one event-loop turn (or one coalesced batch), in order. */
  batch: [msgs: McastMessage[]];
  /**
   * The same batches as 'batch', read by index with no object per datagram: the fastest way in.
   * The view is reused: valid only during this call (see {@link McastBatchView}).
   */
  'batch-view': [view: McastBatchView];
  /**
   * An error of the receive path (a failed read, a failed rejoin, an interface moved into a VRF).
   * It goes to the 'error' listeners; without one, it rejects the oldest pending receive() (and so
   * ends a `for await` loop with it, which closes the socket); with neither, it becomes a process
   * warning. It never throws: it happens outside any call of yours, and the socket goes on receiving.
   */
  error: [err: MulticastExpertError];
  /** The socket was closed (emitted on the next tick after close()). */
  close: [];
  /** An interface the socket listened on went away ('removed', 'down' or 'address-removed'); see the `rejoin` option. */
  'iface-lost': [iface: IfaceInfo, why: IfaceChangeType];
  /** The socket joined its groups on an interface that came back or appeared ('added', 'up' or 'address-added'). */
  'iface-joined': [iface: IfaceInfo, why: IfaceChangeType];
}
