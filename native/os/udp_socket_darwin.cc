// Opening a UDP socket on macOS (see udp_socket.h): socket() takes no flags there, so non-blocking
// and close-on-exec are set with fcntl() before the descriptor is handed out.
#include <utility>

#include "sockopt.h"
#include "udp_socket.h"

namespace mce {

SysError OpenUdpSocket(int family, UniqueSocket& out) {
  UniqueSocket s(socket(family, SOCK_DGRAM, IPPROTO_UDP));
  if (!s.valid()) return Fail("socket");
  int fl = fcntl(s.get(), F_GETFL);
  if (fl < 0 || fcntl(s.get(), F_SETFL, fl | O_NONBLOCK) != 0) return Fail("fcntl(O_NONBLOCK)");
  if (fcntl(s.get(), F_SETFD, FD_CLOEXEC) != 0) return Fail("fcntl(FD_CLOEXEC)");
  // A datagram socket writing to a vanished peer must not kill the process with SIGPIPE.
  int one = 1;
  (void)setsockopt(s.get(), SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof(one));
  if (family == AF_INET6) {
    // Keep IPv4-mapped traffic off IPv6 sockets: a family is a family.
    if (auto e = SetOpt(s.get(), IPPROTO_IPV6, IPV6_V6ONLY, one, "setsockopt(IPV6_V6ONLY)")) return e;
  }
  out = std::move(s);
  return {};
}

}  // namespace mce
