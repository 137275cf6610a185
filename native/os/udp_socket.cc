// UDP socket calls that read the same on every OS (sockopt_len_t and SetOpt cover the spelling).
#include "udp_socket.h"

#include "sockopt.h"

namespace mce {

SysError LocalAddress(socket_t s, SockAddr& out) {
  sockopt_len_t len = static_cast<sockopt_len_t>(sizeof(out.storage));
  if (getsockname(s, out.raw(), &len) != 0) return Fail("getsockname");
  out.length = static_cast<socklen_t>(len);
  return {};
}

SysError SetReceiveBuffer(socket_t s, int bytes) {
  return SetOpt(s, SOL_SOCKET, SO_RCVBUF, bytes, "setsockopt(SO_RCVBUF)");
}

}  // namespace mce
