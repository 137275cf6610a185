// A UDP socket on Windows (see udp_socket.h): WSASocketW with the flags that match what libuv expects
// of a socket it polls, no inheritance by child processes, no reports of earlier sends' ICMP errors on
// later receives; and a bind that lets a receiver on the loopback address hear its own host.
#include <utility>

#include "mcast_sockopt.h"
#include "udp_socket.h"

namespace mce {
namespace {

bool IsLoopbackAddress(const SockAddr& a) {
  if (a.family() == AF_INET) return a.bytes()[0] == 127;
  static const unsigned char kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return a.family() == AF_INET6 && std::memcmp(a.bytes(), kLoopback6, 16) == 0;
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

SysError BindSocket(socket_t s, const SockAddr& address) {
  if (bind(s, address.raw(), address.length) != 0) return Fail("bind");
  // A socket bound to a loopback address receives on the loopback interface, which always delivers
  // to the host's own receivers. Windows decides that on the receiver, so the receiver must allow it
  // whatever externalLoopback said (harmless on a sender, where the option has no effect).
  if (IsLoopbackAddress(address)) return SetMulticastLoop(s, address.family(), true);
  return {};
}

}  // namespace mce
