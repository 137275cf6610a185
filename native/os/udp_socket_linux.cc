// Opening a UDP socket on Linux (see udp_socket.h): socket() takes the non-blocking and close-on-exec
// flags itself, so no descriptor ever exists without them.
#include <utility>

#include "sockopt.h"
#include "udp_socket.h"

namespace mce {

SysError OpenUdpSocket(int family, UniqueSocket& out) {
  UniqueSocket s(socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!s.valid()) return Fail("socket");
  if (family == AF_INET6) {
    // Keep IPv4-mapped traffic off IPv6 sockets: a family is a family.
    int on = 1;
    if (auto e = SetOpt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, on, "setsockopt(IPV6_V6ONLY)")) return e;
  }
  out = std::move(s);
  return {};
}

}  // namespace mce
