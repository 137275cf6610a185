// Sending one datagram on Linux and macOS (see tx_writer.h): sendto() on the non-blocking socket.
#include "tx_writer.h"

namespace mce {

SysError SendDatagram(socket_t s, const TxDatagram& d, bool& wouldBlock) {
  wouldBlock = false;
  for (;;) {
    ssize_t n = sendto(s, d.data, d.length, 0, d.destination->raw(), d.destination->length);
    if (n >= 0) return {};
    if (errno == EINTR) continue;
    if (IsWouldBlock(errno)) {
      wouldBlock = true;
      return {};
    }
    return Fail("sendto");
  }
}

}  // namespace mce
