// Sending one datagram on Linux and macOS (see tx_writer.h): sendto() on the non-blocking socket, or
// sendmsg() with the packet info of its route (tx_pktinfo_posix.h).
#include "tx_pktinfo_posix.h"
#include "tx_writer.h"

namespace mce {

SysError SendDatagram(socket_t s, const TxDatagram& d, bool& wouldBlock) {
  wouldBlock = false;
  msghdr h;
  iovec iov;
  RouteControl control;
  if (d.route != nullptr) {
    std::memset(&h, 0, sizeof(h));
    iov.iov_base = const_cast<unsigned char*>(d.data);
    iov.iov_len = d.length;
    h.msg_name = const_cast<sockaddr*>(d.destination->raw());
    h.msg_namelen = d.destination->length;
    h.msg_iov = &iov;
    h.msg_iovlen = 1;
    SetRouteControl(h, *d.route, control);
  }
  for (;;) {
    ssize_t n = d.route == nullptr ? sendto(s, d.data, d.length, 0, d.destination->raw(), d.destination->length)
                                   : sendmsg(s, &h, 0);
    if (n >= 0) return {};
    if (errno == EINTR) continue;
    if (IsWouldBlock(errno)) {
      wouldBlock = true;
      return {};
    }
    return Fail(d.route == nullptr ? "sendto" : "sendmsg");
  }
}

}  // namespace mce
