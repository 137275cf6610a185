// How sending works on Windows: sendto() on a non-blocking socket, one datagram per call; Winsock has
// no batch send for UDP, so a batch is a loop that stops at the first full buffer.
#include "tx_writer.h"

namespace mce {

SysError SendDatagram(socket_t s, const TxDatagram& d, bool& wouldBlock) {
  wouldBlock = false;
  int n = sendto(s, reinterpret_cast<const char*>(d.data), static_cast<int>(d.length), 0,
                 d.destination->raw(), d.destination->length);
  if (n != SOCKET_ERROR) return {};
  int err = WSAGetLastError();
  if (err == WSAEWOULDBLOCK) {
    wouldBlock = true;
    return {};
  }
  return FailWith(err, "sendto");
}

SysError SendDatagrams(socket_t s, const std::vector<TxDatagram>& ds, size_t& sent) {
  return SendEachDatagram(s, ds, sent);
}

}  // namespace mce
