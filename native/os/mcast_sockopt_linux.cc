// Multicast socket options on Linux (see mcast_sockopt.h for the contract): the option table, and
// what Linux does its own way: IP_MULTICAST_IF by index (ip_mreqn), loopback decided on the sender,
// and the socket's drop counter (SO_MEMINFO).
#include <linux/sock_diag.h>

#include "mcast_sockopt.h"

// Older C libraries lack these names; the kernel has had the options since 2.6.31 (IPv4), 4.20
// (IPv6) and 3.19 (SO_MEMINFO). A kernel without IPV6_MULTICAST_ALL refuses it (ENOPROTOOPT), which
// PrepareRxSocket allows: the per-group bind is then the only guard.
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif

namespace mce {
namespace {

constexpr RxOption kRxOptions[] = {
    {MCE_SOCKOPT(SOL_SOCKET, SO_REUSEADDR, kInt), 0, 1, false},
    // Destination address and arrival interface of every datagram.
    {MCE_SOCKOPT(IPPROTO_IP, IP_PKTINFO, kInt), AF_INET, 1, false},
    {MCE_SOCKOPT(IPPROTO_IPV6, IPV6_RECVPKTINFO, kInt), AF_INET6, 1, false},
    // Linux delivers every group any socket on the host joined to every socket bound to the port,
    // unless told not to.
    {MCE_SOCKOPT(IPPROTO_IP, IP_MULTICAST_ALL, kInt), AF_INET, 0, true},
    {MCE_SOCKOPT(IPPROTO_IPV6, IPV6_MULTICAST_ALL, kInt), AF_INET6, 0, true},
    // The socket's cumulative drop count on every datagram.
    {MCE_SOCKOPT(SOL_SOCKET, SO_RXQ_OVFL, kInt), 0, 1, false},
};

}  // namespace

const McastOptionTable kMcastOptions = {
    // Linux takes an int or a byte for the IPv4 ones; a byte is what BSD wants too.
    {MCE_SOCKOPT(IPPROTO_IP, IP_MULTICAST_TTL, kByte), MCE_SOCKOPT(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kInt)},
    {MCE_SOCKOPT(IPPROTO_IP, IP_TTL, kInt), MCE_SOCKOPT(IPPROTO_IPV6, IPV6_UNICAST_HOPS, kInt)},
    {MCE_SOCKOPT(IPPROTO_IP, IP_MULTICAST_LOOP, kByte), MCE_SOCKOPT(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, kInt)},
    kRxOptions,
    sizeof(kRxOptions) / sizeof(kRxOptions[0]),
    MCE_SOCKOPT(SOL_SOCKET, SO_TIMESTAMPNS, kInt),
};

SysError SetMulticastInterface(socket_t s, int family, uint32_t ifindex, const SockAddr* ifaceAddr) {
  if (family == AF_INET6) {
    unsigned int index = ifindex;
    return SetOpt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, index, "setsockopt(IPV6_MULTICAST_IF)");
  }
  // ip_mreqn names the interface by index. Its address, when given, becomes the source of datagrams
  // from an unbound socket: without it Linux picks none on the loopback interface (it only considers
  // link-scope addresses there) and sends from 0.0.0.0.
  ip_mreqn req;
  std::memset(&req, 0, sizeof(req));
  req.imr_ifindex = static_cast<int>(ifindex);
  if (ifaceAddr != nullptr && ifaceAddr->family() == AF_INET) req.imr_address = ifaceAddr->v4()->sin_addr;
  return SetOpt(s, IPPROTO_IP, IP_MULTICAST_IF, req, "setsockopt(IP_MULTICAST_IF)");
}

SysError ApplyTxLoopback(socket_t s, int family, bool externalLoopback, bool ifaceIsLoopback) {
  // Sent on the loopback interface, a datagram comes back through it anyway; looping it as well
  // would deliver it twice.
  return SetMulticastLoop(s, family, externalLoopback && !ifaceIsLoopback);
}

SysError ApplyRxLoopback(socket_t s, int family, bool externalLoopback) {
  // The sender decides (ApplyTxLoopback).
  (void)s;
  (void)family;
  (void)externalLoopback;
  return {};
}

bool ReadKernelDrops(socket_t s, uint64_t& drops) {
  uint32_t info[SK_MEMINFO_VARS];
  socklen_t len = sizeof(info);
  if (getsockopt(s, SOL_SOCKET, SO_MEMINFO, info, &len) != 0 || len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
    return false;
  drops = info[SK_MEMINFO_DROPS];
  return true;
}

}  // namespace mce
