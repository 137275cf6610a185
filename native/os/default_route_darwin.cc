// Default-route interface on macOS: the routing table as the kernel dumps it through
// sysctl(net.route.0.<family>.flags.gateway), i.e. only routes with a gateway, each an rt_msghdr
// followed by its sockaddrs. The default is the route whose destination and netmask are all zeros.
// macOS also keeps one interface-scoped default per extra interface (RTF_IFSCOPE, "I" in netstat -rn)
// that only sockets bound to that interface follow; those are not the default and are skipped.
#include <net/route.h>
#include <sys/sysctl.h>

#include <cstddef>
#include <vector>

#include "default_route.h"

#ifndef RTF_IFSCOPE
#define RTF_IFSCOPE 0x1000000
#endif

namespace mce {
namespace {

// The kernel pads each sockaddr of a routing message to 4 bytes (ROUNDUP32 in xnu's rtsock.c), on
// 64-bit Macs too; a zero-length sockaddr still takes 4.
size_t Padded(size_t len) { return len == 0 ? 4 : (len + 3) & ~size_t{3}; }

// Whether the address bytes of a (possibly shortened) sockaddr are all zero; missing bytes count as
// zero, which is how the kernel shortens a netmask.
bool AllZeroAddress(const sockaddr* sa, int family) {
  size_t from = family == AF_INET ? offsetof(sockaddr_in, sin_addr) : offsetof(sockaddr_in6, sin6_addr);
  size_t to = family == AF_INET ? from + 4 : from + 16;
  const unsigned char* bytes = reinterpret_cast<const unsigned char*>(sa);
  for (size_t i = from; i < to && i < sa->sa_len; i++)
    if (bytes[i] != 0) return false;
  return true;
}

bool IsDefaultRoute(const rt_msghdr* rtm, const unsigned char* end, int family) {
  const int wanted = RTF_UP | RTF_GATEWAY;
  if (rtm->rtm_version != RTM_VERSION || (rtm->rtm_flags & wanted) != wanted) return false;
  if (rtm->rtm_flags & (RTF_IFSCOPE | RTF_REJECT | RTF_BLACKHOLE)) return false;
  const sockaddr* dst = nullptr;
  const sockaddr* mask = nullptr;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(rtm + 1);
  for (int i = 0; i < RTAX_MAX; i++) {
    if ((rtm->rtm_addrs & (1 << i)) == 0) continue;
    if (p + 2 > end) return false;  // sa_len and sa_family at least
    auto* sa = reinterpret_cast<const sockaddr*>(p);
    if (p + sa->sa_len > end) return false;
    if (i == RTAX_DST) dst = sa;
    if (i == RTAX_NETMASK) mask = sa;
    p += Padded(sa->sa_len);
  }
  if (dst == nullptr || dst->sa_family != family || !AllZeroAddress(dst, family)) return false;
  return mask == nullptr || AllZeroAddress(mask, family);
}

}  // namespace

SysError DefaultRouteInterface(int family, uint32_t& ifindex) {
  ifindex = 0;
  int mib[6] = {CTL_NET, PF_ROUTE, 0, family, NET_RT_FLAGS, RTF_GATEWAY};
  std::vector<unsigned char> buffer;
  size_t size = 0;
  // The table can grow between asking for its size and reading it (ENOMEM): ask again.
  for (int attempt = 0;; attempt++) {
    if (sysctl(mib, 6, nullptr, &size, nullptr, 0) != 0) return Fail("sysctl(NET_RT_FLAGS)");
    size += size / 8 + 1024;
    buffer.resize(size);
    if (sysctl(mib, 6, buffer.data(), &size, nullptr, 0) == 0) break;
    if (errno != ENOMEM || attempt == 4) return Fail("sysctl(NET_RT_FLAGS)");
  }

  const unsigned char* end = buffer.data() + size;
  for (const unsigned char* p = buffer.data(); p + sizeof(rt_msghdr) <= end;) {
    auto* rtm = reinterpret_cast<const rt_msghdr*>(p);
    if (rtm->rtm_msglen < sizeof(rt_msghdr) || p + rtm->rtm_msglen > end) break;
    if (rtm->rtm_index != 0 && IsDefaultRoute(rtm, p + rtm->rtm_msglen, family)) {
      ifindex = rtm->rtm_index;
      return {};
    }
    p += rtm->rtm_msglen;
  }
  return {};
}

}  // namespace mce
