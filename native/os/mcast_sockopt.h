// The per-OS multicast socket-option layer. Every difference in how Linux, macOS and Windows spell a
// multicast option (the IP_MULTICAST_IF variants, byte orders of interface indexes, option widths,
// which side applies loopback, how a receiving socket is bound) is decided behind these functions.
// Implemented by mcast_sockopt.cc (what reads the same everywhere, driven by each OS's table below),
// mcast_sockopt_posix.cc (Linux and macOS) and mcast_sockopt_{linux,darwin,win}.cc.
#pragma once
#include <cstddef>
#include <string>

#include "platform.h"
#include "sock_addr.h"
#include "sockopt.h"

namespace mce {

// ---- Sending -------------------------------------------------------------------------------------

// Sends multicast out of interface `ifindex`. `ifaceAddr` is the interface's IPv4 address, for the OSes
// whose IPv4 option takes an address rather than an index (may be null when the index suffices).
SysError SetMulticastInterface(socket_t s, int family, uint32_t ifindex, const SockAddr* ifaceAddr);
SysError SetMulticastTtl(socket_t s, int family, int ttl);
// The TTL (hop limit) of unicast datagrams: a receiver's replies to a sender's address.
SysError SetUnicastTtl(socket_t s, int family, int ttl);
SysError SetMulticastLoop(socket_t s, int family, bool on);
// Whether a host's own datagrams come back to its receivers. Unix decides it on the sending socket,
// Windows on the receiving one; each OS applies `externalLoopback` on the side that counts, here for
// senders and in ApplyRxLoopback (which PrepareRxSocket calls) for receivers. The loopback interface
// delivers to local receivers whatever this says.
SysError ApplyTxLoopback(socket_t s, int family, bool externalLoopback, bool ifaceIsLoopback);

// ---- Receiving -----------------------------------------------------------------------------------

struct RxSocketSettings {
  int family = AF_INET;
  int receiveBufferSize = 0;  // 0: leave the OS default
  bool timestamps = false;
  bool externalLoopback = false;
};

// Makes `s` a multicast receiver: address reuse, packet info (destination and interface of every
// datagram), drop counter, timestamps, loopback where the receiver decides it, and on Linux no
// delivery of groups that other sockets joined.
SysError PrepareRxSocket(socket_t s, const RxSocketSettings& settings);
SysError ApplyRxLoopback(socket_t s, int family, bool externalLoopback);

// How a receiving OS socket is bound, and so which memberships can share one OS socket.
// Unix: bound to the group address itself, so the kernel keeps unicast and other groups out; an IPv6
// group of interface- or link-local scope also carries the interface (one OS socket per group and
// interface). Windows cannot bind to a group: one OS socket per interface, bound to its address.
struct RxBindPlan {
  SockAddr bindAddress;
  // Memberships with equal keys share an OS socket.
  std::string key;
};
RxBindPlan PlanRxBind(const SockAddr& group, uint32_t ifindex, const SockAddr* ifaceAddr, uint16_t port);

// Datagrams the kernel dropped on this socket since it opened (queue full), or false where the OS
// cannot tell.
bool ReadKernelDrops(socket_t s, uint64_t& drops);

// ---- How each OS spells the options: one table per OS, in its mcast_sockopt_<os>.cc --------------

// An option every receive socket gets: `option` set to `value` on sockets of `family` (0: both).
struct RxOption {
  SockOpt option;
  int family;
  int value;
  // An old kernel without the option is no error (the option only tightens what it delivers).
  bool mayBeMissing;
};

struct McastOptionTable {
  SockOpt ttl[2];   // [IPv4, IPv6]
  SockOpt unicastTtl[2];  // [IPv4, IPv6]
  SockOpt loop[2];  // [IPv4, IPv6]
  // Set on every receive socket, in this order, before the receive buffer.
  const RxOption* rx;
  size_t rxCount;
  SockOpt timestamps;  // kernel receive timestamps on every datagram; may not exist
};

extern const McastOptionTable kMcastOptions;

}  // namespace mce
