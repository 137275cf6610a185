// How sending works on Linux and macOS: sendto() for one datagram; on Linux sendmmsg() hands the
// kernel a whole batch in one system call, elsewhere the batch is a sendto() loop.
#include <sys/uio.h>

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

#ifdef __linux__
SysError SendDatagrams(socket_t s, const std::vector<TxDatagram>& ds, size_t& sent) {
  constexpr size_t kChunk = 256;
  mmsghdr headers[kChunk];
  iovec iov[kChunk];
  sent = 0;
  while (sent < ds.size()) {
    size_t count = ds.size() - sent < kChunk ? ds.size() - sent : kChunk;
    for (size_t i = 0; i < count; i++) {
      const TxDatagram& d = ds[sent + i];
      iov[i].iov_base = const_cast<unsigned char*>(d.data);
      iov[i].iov_len = d.length;
      msghdr& h = headers[i].msg_hdr;
      std::memset(&h, 0, sizeof(h));
      h.msg_name = const_cast<sockaddr*>(d.destination->raw());
      h.msg_namelen = d.destination->length;
      h.msg_iov = &iov[i];
      h.msg_iovlen = 1;
    }
    int n = sendmmsg(s, headers, static_cast<unsigned>(count), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (IsWouldBlock(errno)) return {};
      return Fail("sendmmsg");
    }
    sent += static_cast<size_t>(n);
    // A short count means the next datagram failed or the buffer filled: let sendto tell which.
    if (static_cast<size_t>(n) < count) {
      bool wouldBlock = false;
      if (auto e = SendDatagram(s, ds[sent], wouldBlock)) return e;
      if (wouldBlock) return {};
      sent++;
    }
  }
  return {};
}
#else
SysError SendDatagrams(socket_t s, const std::vector<TxDatagram>& ds, size_t& sent) {
  return SendEachDatagram(s, ds, sent);
}
#endif

}  // namespace mce
