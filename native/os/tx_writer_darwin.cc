// Sending a batch on macOS (see tx_writer.h): there is no sendmmsg, so a batch is a sendto() loop
// that stops at the first full buffer.
#include "tx_writer.h"

namespace mce {

SysError SendDatagrams(socket_t s, const std::vector<TxDatagram>& ds, size_t& sent) {
  return SendEachDatagram(s, ds, sent);
}

}  // namespace mce
