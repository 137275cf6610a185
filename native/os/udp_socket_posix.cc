// Binding a UDP socket on Linux and macOS (see udp_socket.h; Windows adds a step, udp_socket_win.cc).
#include "udp_socket.h"

namespace mce {

SysError BindSocket(socket_t s, const SockAddr& address) {
  if (bind(s, address.raw(), address.length) != 0) return Fail("bind");
  return {};
}

}  // namespace mce
