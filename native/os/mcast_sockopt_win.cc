// Multicast socket options on Windows (see mcast_sockopt.h for the contract): the option table (every
// value a DWORD), and where Winsock differs from Unix:
// - IPv4 IP_MULTICAST_IF takes a DWORD that is either an interface address or, inside 0.0.0.0/8, an
//   interface index in network byte order; IPv6 IPV6_MULTICAST_IF takes the index in host order.
// - IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP act on the receiving socket ("may this socket hear
//   datagrams sent from this host?"), not on the sender. So externalLoopback is applied to receivers
//   and senders keep the default (on) so that every receiver can decide for itself.
// - A socket cannot be bound to a group address: a receiver has one socket per interface, bound to
//   the interface's address, which then only hears the groups it joined (plus unicast to that
//   address, which the packet info lets the reader discard).
// - No kernel receive timestamps through this path and no per-socket drop counter.
#include <cstdio>

#include "mcast_sockopt.h"

namespace mce {
namespace {

constexpr RxOption kRxOptions[] = {
    // Several receivers (in this process or others) may share a port; each gets every datagram of
    // the groups it joined.
    {MCE_SOCKOPT(SOL_SOCKET, SO_REUSEADDR, kInt), 0, TRUE, false},
    // Destination address and arrival interface of every datagram.
    {MCE_SOCKOPT(IPPROTO_IP, IP_PKTINFO, kInt), AF_INET, TRUE, false},
    {MCE_SOCKOPT(IPPROTO_IPV6, IPV6_PKTINFO, kInt), AF_INET6, TRUE, false},
};

}  // namespace

const McastOptionTable kMcastOptions = {
    {MCE_SOCKOPT(IPPROTO_IP, IP_MULTICAST_TTL, kInt), MCE_SOCKOPT(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, kInt)},
    {MCE_SOCKOPT(IPPROTO_IP, IP_TTL, kInt), MCE_SOCKOPT(IPPROTO_IPV6, IPV6_UNICAST_HOPS, kInt)},
    {MCE_SOCKOPT(IPPROTO_IP, IP_MULTICAST_LOOP, kInt), MCE_SOCKOPT(IPPROTO_IPV6, IPV6_MULTICAST_LOOP, kInt)},
    kRxOptions,
    sizeof(kRxOptions) / sizeof(kRxOptions[0]),
    SockOpt{},
};

SysError SetMulticastInterface(socket_t s, int family, uint32_t ifindex, const SockAddr* ifaceAddr) {
  (void)ifaceAddr;
  if (family == AF_INET6) {
    DWORD index = ifindex;
    return SetOpt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, index, "setsockopt(IPV6_MULTICAST_IF)");
  }
  // An index in network byte order lies in 0.0.0.0/8, which Windows reads as an index, not an
  // address; index 0 becomes INADDR_ANY, the route's choice.
  DWORD value = htonl(ifindex);
  return SetOpt(s, IPPROTO_IP, IP_MULTICAST_IF, value, "setsockopt(IP_MULTICAST_IF)");
}

SysError ApplyTxLoopback(socket_t s, int family, bool externalLoopback, bool ifaceIsLoopback) {
  // The option means nothing on a sending socket here: the receivers apply externalLoopback
  // (ApplyRxLoopback), and a sender's datagrams always reach the loop so that they can.
  (void)s;
  (void)family;
  (void)externalLoopback;
  (void)ifaceIsLoopback;
  return {};
}

SysError ApplyRxLoopback(socket_t s, int family, bool externalLoopback) {
  return SetMulticastLoop(s, family, externalLoopback);
}

RxBindPlan PlanRxBind(const SockAddr& group, uint32_t ifindex, const SockAddr* ifaceAddr, uint16_t port) {
  RxBindPlan plan;
  if (ifaceAddr != nullptr && ifaceAddr->family() == group.family()) {
    // A zone is only meaningful (and only accepted everywhere) on a link-local address.
    bool linkLocal = ifaceAddr->family() == AF_INET6 && ifaceAddr->bytes()[0] == 0xfe &&
                     (ifaceAddr->bytes()[1] & 0xc0) == 0x80;
    plan.bindAddress = SockAddr::FromBytes(group.family(), ifaceAddr->bytes(), port, linkLocal ? ifindex : 0);
  } else {
    // An interface without an address of the family: the wildcard, still joined by index.
    plan.bindAddress = SockAddr::Any(group.family(), port);
  }
  char key[32];
  std::snprintf(key, sizeof(key), "if%u", static_cast<unsigned>(ifindex));
  plan.key = key;
  return plan;
}

bool ReadKernelDrops(socket_t s, uint64_t& drops) {
  (void)s;
  (void)drops;
  return false;
}

}  // namespace mce
