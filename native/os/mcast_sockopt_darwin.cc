// Multicast socket options on macOS (see mcast_sockopt.h for the contract): the option table, and
// what macOS does its own way: IP_MULTICAST_IF by index only where the kernel has
// IP_MULTICAST_IFINDEX, else by address; loopback decided on the sender, and needed on lo0; no
// per-socket drop counter. Packet info comes as two IPv4 options (IP_RECVDSTADDR, IP_RECVIF), and two
// sockets share a port only if both set SO_REUSEPORT.
#include "mcast_sockopt.h"

#if !defined(IPV6_RECVPKTINFO)
#error "IPV6_RECVPKTINFO is hidden: build with -D__APPLE_USE_RFC_3542 (binding.gyp does)"
#endif

namespace mce {
namespace {

constexpr RxOption kRxOptions[] = {
    {MCE_SOCKOPT(SOL_SOCKET, SO_REUSEADDR, kInt), 0, 1, false},
    // BSD shares a port between several multicast sockets only with SO_REUSEPORT.
    {MCE_SOCKOPT(SOL_SOCKET, SO_REUSEPORT, kInt), 0, 1, false},
    // Destination address and arrival interface of every datagram.
    {MCE_SOCKOPT(IPPROTO_IP, IP_RECVDSTADDR, kInt), AF_INET, 1, false},
    {MCE_SOCKOPT(IPPROTO_IP, IP_RECVIF, kInt), AF_INET, 1, false},
    {MCE_SOCKOPT(IPPROTO_IPV6, IPV6_RECVPKTINFO, kInt), AF_INET6, 1, false},
};

}  // namespace

const McastOptionTable kMcastOptions = {
    {MCE_SOCKOPT(IPPROTO_IP, IP_MULTICAST_TTL, kByte), MCE_SOCKOPT(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kInt)},
    {MCE_SOCKOPT(IPPROTO_IP, IP_TTL, kInt), MCE_SOCKOPT(IPPROTO_IPV6, IPV6_UNICAST_HOPS, kInt)},
    {MCE_SOCKOPT(IPPROTO_IP, IP_MULTICAST_LOOP, kByte), MCE_SOCKOPT(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, kInt)},
    kRxOptions,
    sizeof(kRxOptions) / sizeof(kRxOptions[0]),
    MCE_SOCKOPT(SOL_SOCKET, SO_TIMESTAMP, kInt),
};

SysError SetMulticastInterface(socket_t s, int family, uint32_t ifindex, const SockAddr* ifaceAddr) {
  if (family == AF_INET6) {
    unsigned int index = ifindex;
    return SetOpt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, index, "setsockopt(IPV6_MULTICAST_IF)");
  }
  // IP_MULTICAST_IFINDEX where the kernel has it, else the interface's address.
#ifdef IP_MULTICAST_IFINDEX
  unsigned int index = ifindex;
  if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_IFINDEX, &index, sizeof(index)) == 0) return {};
#endif
  if (ifaceAddr == nullptr || ifaceAddr->family() != AF_INET)
    return FailWith(EADDRNOTAVAIL, "setsockopt(IP_MULTICAST_IF)");
  in_addr addr = ifaceAddr->v4()->sin_addr;
  return SetOpt(s, IPPROTO_IP, IP_MULTICAST_IF, addr, "setsockopt(IP_MULTICAST_IF)");
}

SysError ApplyTxLoopback(socket_t s, int family, bool externalLoopback, bool ifaceIsLoopback) {
  // BSD's ip_output/ip6_output never transmit multicast on a loopback interface: only the loop copy
  // (ip_mloopback) reaches local receivers there, so lo0 needs the loop on.
  return SetMulticastLoop(s, family, externalLoopback || ifaceIsLoopback);
}

SysError ApplyRxLoopback(socket_t s, int family, bool externalLoopback) {
  // The sender decides (ApplyTxLoopback).
  (void)s;
  (void)family;
  (void)externalLoopback;
  return {};
}

bool ReadKernelDrops(socket_t s, uint64_t& drops) {
  (void)s;
  (void)drops;
  return false;
}

}  // namespace mce
