// Multicast socket options on Linux and macOS (see mcast_sockopt.h for the contract).
// Linux and macOS agree on the RFC 3678 membership API (MCAST_JOIN_GROUP and friends, by interface
// index); they differ in IP_MULTICAST_IF, packet info, timestamps, address reuse and per-socket group
// isolation, each marked below.
#include <cstdio>

#include "mcast_sockopt.h"
#include "sockopt_util.h"

#if defined(__APPLE__) && !defined(IPV6_RECVPKTINFO)
#error "IPV6_RECVPKTINFO is hidden: build with -D__APPLE_USE_RFC_3542 (binding.gyp does)"
#endif

#ifdef __linux__
#include <linux/sock_diag.h>
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29
#endif
#ifndef SO_MEMINFO
#define SO_MEMINFO 55
#endif
#endif

namespace mce {
namespace {

// Link-local (ffx2::) and interface-local (ffx1::) IPv6 groups are only meaningful with an interface.
bool GroupNeedsScope(const SockAddr& group) {
  if (group.family() != AF_INET6) return false;
  const unsigned char* b = group.bytes();
  int scope = b[1] & 0x0f;
  return scope == 1 || scope == 2;
}

SysError SetMulticastLoop(socket_t s, int family, bool on);

}  // namespace

SysError OpenUdpSocket(int family, UniqueSocket& out) {
#ifdef __linux__
  UniqueSocket s(socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!s.valid()) return Fail("socket");
#else
  UniqueSocket s(socket(family, SOCK_DGRAM, IPPROTO_UDP));
  if (!s.valid()) return Fail("socket");
  int fl = fcntl(s.get(), F_GETFL);
  if (fl < 0 || fcntl(s.get(), F_SETFL, fl | O_NONBLOCK) != 0) return Fail("fcntl(O_NONBLOCK)");
  if (fcntl(s.get(), F_SETFD, FD_CLOEXEC) != 0) return Fail("fcntl(FD_CLOEXEC)");
  // A datagram socket writing to a vanished peer must not kill the process with SIGPIPE.
  int one = 1;
  (void)setsockopt(s.get(), SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
#endif
  if (family == AF_INET6) {
    // Keep IPv4-mapped traffic off IPv6 sockets: a family is a family.
    int on = 1;
    if (auto e = SetOpt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, on, "setsockopt(IPV6_V6ONLY)")) return e;
  }
  out = std::move(s);
  return {};
}

SysError SetMulticastInterface(socket_t s, int family, uint32_t ifindex, const SockAddr* ifaceAddr) {
  if (family == AF_INET6) {
    unsigned int index = ifindex;
    return SetOpt(s, IPPROTO_IPV6, IPV6_MULTICAST_IF, index, "setsockopt(IPV6_MULTICAST_IF)");
  }
#ifdef __linux__
  // Linux: ip_mreqn names the interface by index. Its address, when given, becomes the source of
  // datagrams from an unbound socket: without it Linux picks none on the loopback interface (it only
  // considers link-scope addresses there) and sends from 0.0.0.0.
  ip_mreqn req;
  std::memset(&req, 0, sizeof(req));
  req.imr_ifindex = static_cast<int>(ifindex);
  if (ifaceAddr != nullptr && ifaceAddr->family() == AF_INET) req.imr_address = ifaceAddr->v4()->sin_addr;
  return SetOpt(s, IPPROTO_IP, IP_MULTICAST_IF, req, "setsockopt(IP_MULTICAST_IF)");
#else
  // BSD/macOS: IP_MULTICAST_IFINDEX where the kernel has it, else the interface's address.
#ifdef IP_MULTICAST_IFINDEX
  unsigned int index = ifindex;
  if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_IFINDEX, &index, sizeof(index)) == 0) return {};
#endif
  if (ifaceAddr == nullptr || ifaceAddr->family() != AF_INET)
    return FailWith(EADDRNOTAVAIL, "setsockopt(IP_MULTICAST_IF)");
  in_addr addr = ifaceAddr->v4()->sin_addr;
  return SetOpt(s, IPPROTO_IP, IP_MULTICAST_IF, addr, "setsockopt(IP_MULTICAST_IF)");
#endif
}

SysError SetMulticastTtl(socket_t s, int family, int ttl) {
  if (family == AF_INET6)
    return SetOpt(s, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, ttl, "setsockopt(IPV6_MULTICAST_HOPS)");
  // Linux takes an int or a byte; BSD wants a byte.
  unsigned char value = static_cast<unsigned char>(ttl);
  return SetOpt(s, IPPROTO_IP, IP_MULTICAST_TTL, value, "setsockopt(IP_MULTICAST_TTL)");
}

namespace {
SysError SetMulticastLoop(socket_t s, int family, bool on) {
  if (family == AF_INET6) {
    unsigned int value = on ? 1 : 0;
    return SetOpt(s, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, value, "setsockopt(IPV6_MULTICAST_LOOP)");
  }
  unsigned char value = on ? 1 : 0;
  return SetOpt(s, IPPROTO_IP, IP_MULTICAST_LOOP, value, "setsockopt(IP_MULTICAST_LOOP)");
}
}  // namespace

SysError ApplyTxLoopback(socket_t s, int family, bool externalLoopback, bool ifaceIsLoopback) {
#ifdef __linux__
  // Sent on the loopback interface, a datagram comes back through it anyway; looping it as well
  // would deliver it twice.
  return SetMulticastLoop(s, family, externalLoopback && !ifaceIsLoopback);
#else
  // BSD's ip_output/ip6_output never transmit multicast on a loopback interface: only the loop copy
  // (ip_mloopback) reaches local receivers there, so lo0 needs the loop on.
  return SetMulticastLoop(s, family, externalLoopback || ifaceIsLoopback);
#endif
}

SysError PrepareRxSocket(socket_t s, const RxSocketSettings& settings) {
  int one = 1;
  if (auto e = SetOpt(s, SOL_SOCKET, SO_REUSEADDR, one, "setsockopt(SO_REUSEADDR)")) return e;
#ifndef __linux__
  // BSD shares a port between several multicast sockets only with SO_REUSEPORT.
  if (auto e = SetOpt(s, SOL_SOCKET, SO_REUSEPORT, one, "setsockopt(SO_REUSEPORT)")) return e;
#endif
  if (settings.receiveBufferSize > 0)
    if (auto e = SetReceiveBuffer(s, settings.receiveBufferSize)) return e;

  if (settings.family == AF_INET) {
#ifdef __linux__
    if (auto e = SetOpt(s, IPPROTO_IP, IP_PKTINFO, one, "setsockopt(IP_PKTINFO)")) return e;
    // Linux delivers every group any socket on the host joined to every socket bound to the port,
    // unless told not to. Old kernels without the option keep per-group binds as their only guard.
    int zero = 0;
    if (setsockopt(s, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero)) != 0 && errno != ENOPROTOOPT)
      return Fail("setsockopt(IP_MULTICAST_ALL)");
#else
    if (auto e = SetOpt(s, IPPROTO_IP, IP_RECVDSTADDR, one, "setsockopt(IP_RECVDSTADDR)")) return e;
    if (auto e = SetOpt(s, IPPROTO_IP, IP_RECVIF, one, "setsockopt(IP_RECVIF)")) return e;
#endif
  } else {
    if (auto e = SetOpt(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, one, "setsockopt(IPV6_RECVPKTINFO)"))
      return e;
#ifdef __linux__
    int zero = 0;
    if (setsockopt(s, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof(zero)) != 0 &&
        errno != ENOPROTOOPT)
      return Fail("setsockopt(IPV6_MULTICAST_ALL)");
#endif
  }
#ifdef __linux__
  if (auto e = SetOpt(s, SOL_SOCKET, SO_RXQ_OVFL, one, "setsockopt(SO_RXQ_OVFL)")) return e;
  if (settings.timestamps)
    if (auto e = SetOpt(s, SOL_SOCKET, SO_TIMESTAMPNS, one, "setsockopt(SO_TIMESTAMPNS)")) return e;
#else
  if (settings.timestamps)
    if (auto e = SetOpt(s, SOL_SOCKET, SO_TIMESTAMP, one, "setsockopt(SO_TIMESTAMP)")) return e;
#endif
  return {};
}

RxBindPlan PlanRxBind(const SockAddr& group, uint32_t ifindex, const SockAddr* ifaceAddr, uint16_t port) {
  (void)ifaceAddr;
  RxBindPlan plan;
  bool scoped = GroupNeedsScope(group);
  plan.bindAddress =
      SockAddr::FromBytes(group.family(), group.bytes(), port, scoped ? ifindex : 0);
  char key[64];
  int n = 0;
  for (size_t i = 0; i < group.byteCount(); i++) n += std::snprintf(key + n, sizeof(key) - n, "%02x", group.bytes()[i]);
  if (scoped) std::snprintf(key + n, sizeof(key) - n, "%%%u", ifindex);
  plan.key = key;
  return plan;
}

bool ReadKernelDrops(socket_t s, uint64_t& drops) {
#ifdef __linux__
  uint32_t info[SK_MEMINFO_VARS];
  socklen_t len = sizeof(info);
  if (getsockopt(s, SOL_SOCKET, SO_MEMINFO, info, &len) != 0 || len <= SK_MEMINFO_DROPS * sizeof(uint32_t))
    return false;
  drops = info[SK_MEMINFO_DROPS];
  return true;
#else
  (void)s;
  (void)drops;
  return false;
#endif
}

SysError BindSocket(socket_t s, const SockAddr& address) {
  if (bind(s, address.raw(), address.length) != 0) return Fail("bind");
  return {};
}

}  // namespace mce
