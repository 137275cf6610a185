// Sending a batch on Linux (see tx_writer.h): sendmmsg() hands the kernel up to kChunk datagrams in
// one system call, each with the packet info of its route if it has one.
#include <sys/uio.h>

#include <memory>

#include "tx_pktinfo_posix.h"
#include "tx_writer.h"

namespace mce {

SysError SendDatagrams(socket_t s, const std::vector<TxDatagram>& ds, size_t& sent) {
  constexpr size_t kChunk = 256;
  mmsghdr headers[kChunk];
  iovec iov[kChunk];
  // Control buffers only for a batch with routes (most have none: they cost nothing then).
  std::unique_ptr<RouteControl[]> controls;
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
      if (d.route != nullptr) {
        if (!controls) controls.reset(new RouteControl[kChunk]);
        SetRouteControl(h, *d.route, controls[i]);
      }
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

}  // namespace mce
