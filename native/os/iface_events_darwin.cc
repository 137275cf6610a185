// Interface changes on macOS: a PF_ROUTE socket, on which the kernel announces routing changes and,
// among them, interfaces going up or down or appearing (RTM_IFINFO) and addresses being added or
// removed (RTM_NEWADDR, RTM_DELADDR). Route messages (RTM_ADD, RTM_DELETE, ...) come too, many of
// them for neighbour entries; they are skipped by type without a rescan. When the socket buffer
// overflows, the kernel drops messages and read fails with ENOBUFS: then anything may have changed.
#include <net/route.h>

#include <vector>

#include "iface_events.h"

namespace mce {
namespace {

constexpr int kMaxReadsPerDrain = 256;

bool IsIfaceMessage(unsigned type) {
  switch (type) {
    case RTM_NEWADDR:
    case RTM_DELADDR:
    case RTM_IFINFO:
#ifdef RTM_IFANNOUNCE
    case RTM_IFANNOUNCE:
#endif
      return true;
    default:
      return false;
  }
}

}  // namespace

struct IfaceEventSource::Impl {
  UniqueSocket socket;
  std::vector<unsigned char> buffer = std::vector<unsigned char>(16384);
};

IfaceEventSource::IfaceEventSource() : impl_(new Impl) {}
bool IfaceEventSource::CallsBack() { return false; }

IfaceEventSource::~IfaceEventSource() = default;

SysError IfaceEventSource::Open(WakeFn, void*) {
  UniqueSocket s(socket(PF_ROUTE, SOCK_RAW, AF_UNSPEC));
  if (!s.valid()) return Fail("socket(PF_ROUTE)");
  int fl = fcntl(s.get(), F_GETFL);
  if (fl < 0 || fcntl(s.get(), F_SETFL, fl | O_NONBLOCK) != 0) return Fail("fcntl(O_NONBLOCK)");
  if (fcntl(s.get(), F_SETFD, FD_CLOEXEC) != 0) return Fail("fcntl(FD_CLOEXEC)");
  impl_->socket = std::move(s);
  return {};
}

socket_t IfaceEventSource::descriptor() const { return impl_->socket.get(); }

SysError IfaceEventSource::Drain(bool& changed) {
  changed = false;
  if (!impl_->socket.valid()) return {};
  for (int reads = 0; reads < kMaxReadsPerDrain; reads++) {
    ssize_t n = read(impl_->socket.get(), impl_->buffer.data(), impl_->buffer.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (IsWouldBlock(errno)) return {};
      if (errno == ENOBUFS) {
        changed = true;
        continue;
      }
      return Fail("read(PF_ROUTE)");
    }
    if (n == 0) return {};
    // A read returns one message; walk by length anyway. Every message starts with the length,
    // version and type fields of rt_msghdr, whatever its kind.
    size_t offset = 0;
    size_t total = static_cast<size_t>(n);
    constexpr size_t kHeader = offsetof(rt_msghdr, rtm_type) + sizeof(rt_msghdr::rtm_type);
    while (offset + kHeader <= total) {
      rt_msghdr header{};
      std::memcpy(&header, impl_->buffer.data() + offset, kHeader);
      if (header.rtm_version == RTM_VERSION && IsIfaceMessage(header.rtm_type)) changed = true;
      if (header.rtm_msglen == 0) break;
      offset += header.rtm_msglen;
    }
  }
  return {};
}

UniqueSocket IfaceEventSource::Close() { return std::move(impl_->socket); }

}  // namespace mce
