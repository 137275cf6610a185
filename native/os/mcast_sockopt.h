// The per-OS multicast socket-option layer. Every difference in how Linux, macOS and Windows spell a
// multicast option (the IP_MULTICAST_IF variants, byte orders of interface indexes, which side applies
// loopback, how a receiving socket is bound) is decided behind these functions, in one file per OS:
// mcast_sockopt_posix.cc (Linux and macOS) and mcast_sockopt_win.cc.
#pragma once
#include <string>

#include "platform.h"
#include "unique_socket.h"

namespace mce {

// ---- Sending -------------------------------------------------------------------------------------

// Sends multicast out of interface `ifindex`. `ifaceAddr` is the interface's IPv4 address, for the OSes
// whose IPv4 option takes an address rather than an index (may be null when the index suffices).
SysError SetMulticastInterface(socket_t s, int family, uint32_t ifindex, const SockAddr* ifaceAddr);
SysError SetMulticastTtl(socket_t s, int family, int ttl);
// Whether a host's own datagrams come back to its receivers. Unix decides it on the sending socket,
// Windows on the receiving one; each OS's file applies `externalLoopback` on the side that counts.
// The loopback interface delivers to local receivers whatever this says.
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

// Memberships, by interface index (RFC 3678 protocol-independent API where the OS has it).
SysError JoinGroup(socket_t s, const SockAddr& group, uint32_t ifindex);
SysError LeaveGroup(socket_t s, const SockAddr& group, uint32_t ifindex);
SysError JoinSourceGroup(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex);
SysError LeaveSourceGroup(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex);
SysError BlockSource(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex);
SysError UnblockSource(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex);

// Datagrams the kernel dropped on this socket since it opened (queue full), or false where the OS
// cannot tell.
bool ReadKernelDrops(socket_t s, uint64_t& drops);

// ---- Common --------------------------------------------------------------------------------------

SysError BindSocket(socket_t s, const SockAddr& address);
SysError LocalAddress(socket_t s, SockAddr& out);
SysError SetReceiveBuffer(socket_t s, int bytes);

}  // namespace mce
