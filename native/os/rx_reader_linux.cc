// How receiving works on Linux: recvmmsg() takes up to kBatch datagrams per system call, each with
// its control messages: IP_PKTINFO / IPV6_PKTINFO (destination address and arrival interface),
// SO_RXQ_OVFL (the socket's kernel drop counter) and SO_TIMESTAMPNS (kernel receive time).
// MSG_TRUNC in msg_flags marks a datagram longer than the buffer. Each datagram is read into two
// pieces (see RxLanding): its slot of the caller's area, where it stays when it fits, and an
// overflow of the reader's own for the rest, so that no datagram up to maxMessageSize is cut.
#include <sys/uio.h>

#include <memory>
#include <vector>

#include "rx_reader.h"

namespace mce {
namespace {

constexpr size_t kBatch = 64;
// Room for pktinfo (v4 or v6), the drop counter and a timestamp, with alignment slack.
constexpr size_t kControlSpace =
    CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(uint32_t)) + CMSG_SPACE(sizeof(timespec)) + 64;

// Sets `a` to an address without port or scope, in place (this runs once per datagram; building
// a SockAddr first would clear and copy a whole sockaddr_storage).
void SetDestination(SockAddr& a, int family, const void* bytes) {
  if (family == AF_INET) {
    sockaddr_in* v4 = a.v4();
    v4->sin_family = AF_INET;
    v4->sin_port = 0;
    std::memcpy(&v4->sin_addr, bytes, 4);
    a.length = sizeof(sockaddr_in);
  } else {
    sockaddr_in6* v6 = a.v6();
    v6->sin6_family = AF_INET6;
    v6->sin6_port = 0;
    v6->sin6_flowinfo = 0;
    v6->sin6_scope_id = 0;
    std::memcpy(&v6->sin6_addr, bytes, 16);
    a.length = sizeof(sockaddr_in6);
  }
}

// The control message after c, or null when no whole header follows: CMSG_NXTHDR's walk, kept in
// unsigned sizes (musl's CMSG_NXTHDR compares size_t with ptrdiff_t, which clang rejects with
// -Wsign-compare).
cmsghdr* NextControlMessage(const msghdr& h, cmsghdr* c) {
  if (c->cmsg_len < sizeof(cmsghdr)) return nullptr;
  auto* base = static_cast<unsigned char*>(h.msg_control);
  const size_t end = h.msg_controllen;
  const size_t next = static_cast<size_t>(reinterpret_cast<unsigned char*>(c) - base) + CMSG_ALIGN(c->cmsg_len);
  if (next >= end || end - next < sizeof(cmsghdr)) return nullptr;
  auto* n = reinterpret_cast<cmsghdr*>(base + next);
  if (CMSG_ALIGN(n->cmsg_len) > end - next) return nullptr;
  return n;
}

void ParseControl(msghdr& h, RawDatagram& d) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = NextControlMessage(h, c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      SetDestination(d.destination, AF_INET, &info.ipi_addr);
      d.ifindex = static_cast<uint32_t>(info.ipi_ifindex);
      d.hasDestination = true;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      SetDestination(d.destination, AF_INET6, info.ipi6_addr.s6_addr);
      d.ifindex = info.ipi6_ifindex;
      d.hasDestination = true;
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
      std::memcpy(&d.dropCount, CMSG_DATA(c), sizeof(uint32_t));
      d.hasDropCount = true;
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts;
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      d.hasTimestamp = true;
      d.timestampSec = ts.tv_sec;
      d.timestampNsec = ts.tv_nsec;
    }
  }
}

}  // namespace

struct RxReader::Impl {
  // Per datagram slot, two pieces: its share of the caller's area, then its overflow. The headers
  // point at their own iovecs, source and control buffers once and for all; only lengths change.
  mmsghdr headers[kBatch];
  iovec iov[kBatch][2];
  sockaddr_storage sources[kBatch];
  alignas(cmsghdr) unsigned char control[kBatch][kControlSpace];
  // kBatch overflows of `overflowStride` bytes, left uninitialised: only a datagram longer than its
  // slot writes to its overflow (untouched pages cost no memory). The stride only grows: sockets
  // with different maxMessageSize share a reader.
  std::unique_ptr<unsigned char[]> overflow;
  size_t overflowStride = 0;

  Impl() {
    std::memset(headers, 0, sizeof(headers));
    for (size_t i = 0; i < kBatch; i++) {
      msghdr& h = headers[i].msg_hdr;
      h.msg_name = &sources[i];
      h.msg_iov = iov[i];
      h.msg_control = control[i];
    }
  }
};

RxReader::RxReader() : impl_(new Impl()) {}
RxReader::~RxReader() = default;
size_t RxReader::BatchLimit() { return kBatch; }

SysError RxReader::Read(socket_t s, const RxLanding& landing, size_t maxMessageSize, size_t maxCount,
                        std::vector<RawDatagram>& out, bool& drained) {
  Impl& m = *impl_;
  // Each datagram's place is fixed before the call: its slot of the area, then its overflow. One
  // spare byte is not needed: MSG_TRUNC reports the datagram's real length.
  size_t inArea = landing.slot < maxMessageSize ? landing.slot : maxMessageSize;
  size_t spill = maxMessageSize - inArea;
  if (m.overflowStride < spill) {
    m.overflow.reset(new unsigned char[spill * kBatch]);
    m.overflowStride = spill;
  }
  size_t want = landing.room / landing.slot;
  if (want > maxCount) want = maxCount;
  if (want > kBatch) want = kBatch;
  for (size_t i = 0; i < want; i++) {
    m.iov[i][0].iov_base = landing.area + i * landing.slot;
    m.iov[i][0].iov_len = inArea;
    m.iov[i][1].iov_base = m.overflow.get() + i * m.overflowStride;
    m.iov[i][1].iov_len = spill;
    // What a call changes (the kernel writes the lengths and flags back), set again for this one.
    msghdr& h = m.headers[i].msg_hdr;
    h.msg_iovlen = spill > 0 ? 2 : 1;
    h.msg_namelen = sizeof(m.sources[i]);
    h.msg_controllen = kControlSpace;
    h.msg_flags = 0;
    m.headers[i].msg_len = 0;
  }
  int n;
  do {
    n = recvmmsg(s, m.headers, static_cast<unsigned>(want), MSG_DONTWAIT | MSG_TRUNC, nullptr);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    out.clear();
    drained = true;
    if (IsWouldBlock(errno)) return {};
    return Fail("recvmmsg");
  }
  // Non-blocking, recvmmsg returns fewer than asked for only when the socket has no more.
  drained = static_cast<size_t>(n) < want;
  // The records of the previous call are reused (resize constructs only new ones, and constructing
  // a RawDatagram clears two sockaddr_storage): every field is set or reset below.
  out.resize(static_cast<size_t>(n));
  for (int i = 0; i < n; i++) {
    size_t k = static_cast<size_t>(i);
    msghdr& h = m.headers[k].msg_hdr;
    RawDatagram& d = out[k];
    d.hasDestination = false;
    d.ifindex = 0;
    d.hasTimestamp = false;
    d.hasDropCount = false;
    size_t full = m.headers[k].msg_len;
    d.truncated = (h.msg_flags & MSG_TRUNC) != 0 || full > maxMessageSize;
    d.length = full > maxMessageSize ? maxMessageSize : full;
    d.offset = k * landing.slot;
    d.landed = d.length < inArea ? d.length : inArea;
    d.overflow = m.overflow.get() + k * m.overflowStride;
    std::memcpy(&d.source.storage, &m.sources[k], h.msg_namelen);
    d.source.length = h.msg_namelen;
    ParseControl(h, d);
  }
  return {};
}

}  // namespace mce
