// Multicast socket options on Windows (see mcast_sockopt.h for the contract).
// Where Winsock differs from Unix:
// - IPv4 IP_MULTICAST_IF takes a DWORD that is either an interface address or, inside 0.0.0.0/8, an
//   interface index in network byte order; IPv6 IPV6_MULTICAST_IF takes the index in host order.
// - IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP act on the receiving socket ("may this socket hear
//   datagrams sent from this host?"), not on the sender. So externalLoopback is applied to receivers
//   and senders keep the default (on) so that every receiver can decide for itself.
// - A socket cannot be bound to a group address: a receiver has one socket per interface, bound to
//   the interface's address, which then only hears the groups it joined (plus unicast to that
//   address, which the packet info lets the reader discard).
// - Membership options are the RFC 3678 ones (MCAST_JOIN_GROUP etc.), by index, for both families
//   (Windows Vista and later); option values are DWORDs.
#include "mcast_sockopt.h"
#include "sockopt_util.h"

#include <cstdio>

namespace mce {
namespace {

SysError SetReceiveLoop(socket_t s, int family, bool on) {
  DWORD value = on ? TRUE : FALSE;
  if (family == AF_INET6)
    return SetOpt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, value, "setsockopt(IPV6_MULTICAST_LOOP)");
  return SetOpt(s, IPPROTO_IP, IP_MULTICAST_LOOP, value, "setsockopt(IP_MULTICAST_LOOP)");
}

bool IsLoopbackAddress(const SockAddr& a) {
  if (a.family() == AF_INET) return a.bytes()[0] == 127;
  static const unsigned char kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return a.family() == AF_INET6 && std::memcmp(a.bytes(), kLoopback6, 16) == 0;
}

bool IsLinkLocal6(const SockAddr& a) {
  return a.family() == AF_INET6 && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80;
}

}  // namespace

SysError OpenUdpSocket(int family, UniqueSocket& out) {
  // WSA_FLAG_OVERLAPPED matches what socket() creates (and what libuv expects of a socket it polls);
  // WSA_FLAG_NO_HANDLE_INHERIT keeps the socket out of child processes, like FD_CLOEXEC.
  UniqueSocket s(WSASocketW(family, SOCK_DGRAM, IPPROTO_UDP, nullptr, 0,
                            WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
  if (!s.valid()) return Fail("WSASocketW");
  u_long nonBlocking = 1;
  if (ioctlsocket(s.get(), FIONBIO, &nonBlocking) != 0) return Fail("ioctlsocket(FIONBIO)");
  // Otherwise an ICMP port unreachable for an earlier send surfaces as WSAECONNRESET on the next
  // receive, which means nothing for a multicast socket.
  BOOL reportReset = FALSE;
  DWORD returned = 0;
  if (WSAIoctl(s.get(), SIO_UDP_CONNRESET, &reportReset, sizeof(reportReset), nullptr, 0, &returned,
               nullptr, nullptr) != 0)
    return Fail("WSAIoctl(SIO_UDP_CONNRESET)");
  if (family == AF_INET6) {
    // Windows' default is already on; set it anyway so that a changed default cannot mix families.
    DWORD on = TRUE;
    if (auto e = SetOpt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, on, "setsockopt(IPV6_V6ONLY)")) return e;
  }
  out = std::move(s);
  return {};
}

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

SysError SetMulticastTtl(socket_t s, int family, int ttl) {
  DWORD value = static_cast<DWORD>(ttl);
  if (family == AF_INET6)
    return SetOpt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, value, "setsockopt(IPV6_MULTICAST_HOPS)");
  return SetOpt(s, IPPROTO_IP, IP_MULTICAST_TTL, value, "setsockopt(IP_MULTICAST_TTL)");
}

SysError ApplyTxLoopback(socket_t s, int family, bool externalLoopback, bool ifaceIsLoopback) {
  // The option means nothing on a sending socket here: the receivers apply externalLoopback (in
  // PrepareRxSocket), and a sender's datagrams always reach the loop so that they can.
  (void)s;
  (void)family;
  (void)externalLoopback;
  (void)ifaceIsLoopback;
  return {};
}

SysError PrepareRxSocket(socket_t s, const RxSocketSettings& settings) {
  // Several receivers (in this process or others) may share a port; each gets every datagram of the
  // groups it joined.
  BOOL reuse = TRUE;
  if (auto e = SetOpt(s, SOL_SOCKET, SO_REUSEADDR, reuse, "setsockopt(SO_REUSEADDR)")) return e;
  if (settings.receiveBufferSize > 0)
    if (auto e = SetReceiveBuffer(s, settings.receiveBufferSize)) return e;
  DWORD on = TRUE;
  if (settings.family == AF_INET) {
    if (auto e = SetOpt(s, IPPROTO_IP, IP_PKTINFO, on, "setsockopt(IP_PKTINFO)")) return e;
  } else {
    if (auto e = SetOpt(s, IPPROTO_IPV6, IPV6_PKTINFO, on, "setsockopt(IPV6_PKTINFO)")) return e;
  }
  // Windows has no kernel receive timestamps through this path and no per-socket drop counter:
  // settings.timestamps is left unserved and ReadKernelDrops says so.
  return SetReceiveLoop(s, settings.family, settings.externalLoopback);
}

RxBindPlan PlanRxBind(const SockAddr& group, uint32_t ifindex, const SockAddr* ifaceAddr, uint16_t port) {
  RxBindPlan plan;
  if (ifaceAddr != nullptr && ifaceAddr->family() == group.family()) {
    // A zone is only meaningful (and only accepted everywhere) on a link-local address.
    uint32_t scope = IsLinkLocal6(*ifaceAddr) ? ifindex : 0;
    plan.bindAddress = SockAddr::FromBytes(group.family(), ifaceAddr->bytes(), port, scope);
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

SysError BindSocket(socket_t s, const SockAddr& address) {
  if (bind(s, address.raw(), address.length) != 0) return Fail("bind");
  // A socket bound to a loopback address receives on the loopback interface, which always delivers
  // to the host's own receivers. Windows decides that on the receiver, so the receiver must allow it
  // whatever externalLoopback said (harmless on a sender, where the option has no effect).
  if (IsLoopbackAddress(address)) return SetReceiveLoop(s, address.family(), true);
  return {};
}

}  // namespace mce
