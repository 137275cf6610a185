// How receiving works on macOS: recvmsg() one datagram at a time (no recvmmsg), up to maxCount per
// Read. IPv4 packet info comes as two control messages, IP_RECVDSTADDR (the destination, a struct
// in_addr) and IP_RECVIF (the arrival interface, a struct sockaddr_dl whose sdl_index we take); IPv6
// uses IPV6_PKTINFO (RFC 3542 names: binding.gyp defines __APPLE_USE_RFC_3542). SO_TIMESTAMP gives a
// struct timeval; there is no per-socket drop counter. MSG_TRUNC in msg_flags marks a datagram
// longer than the buffer. Each datagram is read into the caller's area (see RxLanding) right after
// the one before, and into an overflow of the reader's own for what does not fit there.
//
// macOS specifics worth knowing when a receiver hears nothing:
// - Multicast without an interface follows the 224.0.0.0/4 route, which points at the primary
//   interface (en0), not at lo0. For loopback tests:  sudo route add -net 224.0.0.0/4 -interface lo0
//   (IPv6 ff02:: on lo0 is unreliable; use interface-local ff01:: groups on lo0).
// - macOS 15+ Local Network Privacy: a program not allowed "Local Network" access gets EHOSTUNREACH
//   from sendto() to a multicast group and silently receives nothing. root and programs started over
//   SSH are exempt, which is why CI runners (neither) need sudo. Allow it in System Settings > Privacy
//   & Security > Local Network.
// - Two sockets share a port only if both set SO_REUSEPORT (BSD); SO_REUSEADDR alone gives
//   EADDRINUSE. PrepareRxSocket sets both.
#include <net/if_dl.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <memory>
#include <vector>

#include "rx_reader.h"

#if !defined(IPV6_RECVPKTINFO) || !defined(IPV6_PKTINFO)
#error "IPV6_RECVPKTINFO is hidden: build with -D__APPLE_USE_RFC_3542 (binding.gyp does)"
#endif

#ifndef SOCK_MAXADDRLEN
#define SOCK_MAXADDRLEN 255
#endif

namespace mce {
namespace {

constexpr size_t kBatch = 64;
// IP_RECVIF copies the interface's whole sockaddr_dl (name and address included, up to
// SOCK_MAXADDRLEN bytes), so it needs far more room than sizeof(sockaddr_dl).
constexpr size_t kControlSpace = CMSG_SPACE(sizeof(in_addr)) + CMSG_SPACE(SOCK_MAXADDRLEN) +
                                 CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(timeval)) + 64;

size_t DataLength(const cmsghdr* c) {
  size_t header = static_cast<size_t>(reinterpret_cast<const unsigned char*>(CMSG_DATA(c)) -
                                      reinterpret_cast<const unsigned char*>(c));
  return c->cmsg_len > header ? c->cmsg_len - header : 0;
}

void ParseControl(msghdr& h, RawDatagram& d) {
  bool hasAddress = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
    size_t length = DataLength(c);
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVDSTADDR && length >= sizeof(in_addr)) {
      d.destination = SockAddr::FromBytes(AF_INET, CMSG_DATA(c), 0, 0);
      hasAddress = true;
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVIF &&
               length >= offsetof(sockaddr_dl, sdl_index) + sizeof(u_short)) {
      sockaddr_dl link;
      std::memset(&link, 0, sizeof(link));
      std::memcpy(&link, CMSG_DATA(c), length < sizeof(link) ? length : sizeof(link));
      d.ifindex = link.sdl_index;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               length >= sizeof(in6_pktinfo)) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      d.destination = SockAddr::FromBytes(AF_INET6, info.ipi6_addr.s6_addr, 0, 0);
      d.ifindex = info.ipi6_ifindex;
      hasAddress = true;
    } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMP && length >= sizeof(timeval)) {
      timeval tv;
      std::memcpy(&tv, CMSG_DATA(c), sizeof(tv));
      d.hasTimestamp = true;
      d.timestampSec = tv.tv_sec;
      d.timestampNsec = static_cast<int64_t>(tv.tv_usec) * 1000;
    }
  }
  // Both IPv4 halves (or the IPv6 one) are needed to match a membership; a missing interface stays 0,
  // which no membership has.
  d.hasDestination = hasAddress;
}

}  // namespace

struct RxReader::Impl {
  // One datagram's overflow (a Read ends at the first datagram that needs it), left uninitialised:
  // only a datagram longer than the room left in the area writes to it.
  std::unique_ptr<unsigned char[]> overflow;
  size_t overflowSize = 0;
  sockaddr_storage source;
  alignas(cmsghdr) unsigned char control[kControlSpace];
};

RxReader::RxReader() : impl_(new Impl()) {}
RxReader::~RxReader() = default;
size_t RxReader::BatchLimit() { return kBatch; }

SysError RxReader::Read(socket_t s, const RxLanding& landing, size_t maxMessageSize, size_t maxCount,
                        std::vector<RawDatagram>& out, bool& drained) {
  out.clear();
  drained = false;
  Impl& m = *impl_;
  if (m.overflowSize < maxMessageSize) {
    m.overflow.reset(new unsigned char[maxMessageSize]);
    m.overflowSize = maxMessageSize;
  }
  size_t want = maxCount < kBatch ? maxCount : kBatch;
  size_t offset = 0;
  while (out.size() < want) {
    // Datagrams are packed into the area, each at the next multiple of 8.
    size_t left = landing.room - offset;
    if (!out.empty() && left < landing.slot) break;
    size_t inArea = left < maxMessageSize ? left : maxMessageSize;
    iovec parts[2];
    parts[0].iov_base = landing.area + offset;
    parts[0].iov_len = inArea;
    parts[1].iov_base = m.overflow.get();
    parts[1].iov_len = maxMessageSize - inArea;
    msghdr h;
    std::memset(&h, 0, sizeof(h));
    h.msg_name = &m.source;
    h.msg_namelen = sizeof(m.source);
    h.msg_iov = parts;
    h.msg_iovlen = parts[1].iov_len > 0 ? 2 : 1;
    h.msg_control = m.control;
    h.msg_controllen = static_cast<socklen_t>(kControlSpace);
    ssize_t n = recvmsg(s, &h, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (IsWouldBlock(errno)) {
        drained = true;
        break;
      }
      // Hand over what was read; an error that persists shows on the next wake-up.
      if (!out.empty()) {
        drained = true;
        break;
      }
      return Fail("recvmsg");
    }
    RawDatagram d;
    // BSD returns the bytes it kept, never the datagram's full length.
    d.length = static_cast<size_t>(n);
    d.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    d.offset = offset;
    d.landed = d.length < inArea ? d.length : inArea;
    d.overflow = m.overflow.get();
    std::memcpy(&d.source.storage, &m.source, h.msg_namelen);
    d.source.length = h.msg_namelen;
    ParseControl(h, d);
    out.push_back(d);
    // The overflow holds one datagram: the caller takes it before the next Read.
    if (d.landed < d.length) break;
    offset = (offset + d.landed + 7) & ~size_t{7};
  }
  return {};
}

}  // namespace mce
