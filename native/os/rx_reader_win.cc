// How receiving works on Windows.
//
// Windows cannot bind a socket to a group address, so a receiver holds one socket per interface,
// bound to that interface's address (see PlanRxBind in mcast_sockopt_win.cc). Such a socket hears
// the groups it joined on that interface, and also unicast sent to the interface's address and port.
// Every datagram is read with WSARecvMsg, whose IP_PKTINFO / IPV6_PKTINFO control message carries
// the destination address and the arrival interface; the receiver checks that pair against its
// memberships, so unicast and anything else not joined is dropped natively, before JavaScript.
//
// WSARecvMsg is not exported by ws2_32: it is an extension function of the Winsock provider,
// fetched once with WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER). There is no batch receive, so a
// Read is a loop of non-blocking calls, one datagram each, until WSAEWOULDBLOCK or maxCount. Each
// datagram is read into the caller's area (see RxLanding) right after the one before, and into an
// overflow of the reader's own for what does not fit there (two WSABUFs).
// Windows offers no kernel timestamp or drop counter here; those fields stay unset.
#include <memory>
#include <vector>

#include "rx_reader.h"

namespace mce {
namespace {

constexpr size_t kBatch = 64;
// Room for one pktinfo of either family, with alignment slack.
constexpr size_t kControlSpace = WSA_CMSG_SPACE(sizeof(IN6_PKTINFO)) + WSA_CMSG_SPACE(sizeof(IN_PKTINFO)) + 64;

void ParseControl(WSAMSG& msg, RawDatagram& d) {
  for (WSACMSGHDR* c = WSA_CMSG_FIRSTHDR(&msg); c != nullptr; c = WSA_CMSG_NXTHDR(&msg, c)) {
    // A header shorter than itself would make WSA_CMSG_NXTHDR return it again, forever.
    if (c->cmsg_len < sizeof(WSACMSGHDR)) break;
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
        c->cmsg_len >= WSA_CMSG_LEN(sizeof(IN_PKTINFO))) {
      IN_PKTINFO info;
      std::memcpy(&info, WSA_CMSG_DATA(c), sizeof(info));
      d.destination = SockAddr::FromBytes(AF_INET, reinterpret_cast<unsigned char*>(&info.ipi_addr), 0, 0);
      d.ifindex = info.ipi_ifindex;
      d.hasDestination = true;
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
               c->cmsg_len >= WSA_CMSG_LEN(sizeof(IN6_PKTINFO))) {
      IN6_PKTINFO info;
      std::memcpy(&info, WSA_CMSG_DATA(c), sizeof(info));
      d.destination = SockAddr::FromBytes(AF_INET6, info.ipi6_addr.s6_addr, 0, 0);
      d.ifindex = info.ipi6_ifindex;
      d.hasDestination = true;
    }
  }
}

SysError LoadWsaRecvMsg(socket_t s, LPFN_WSARECVMSG& fn) {
  GUID id = WSAID_WSARECVMSG;
  DWORD returned = 0;
  if (WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof(id), &fn, sizeof(fn), &returned,
               nullptr, nullptr) != 0)
    return Fail("WSAIoctl(WSAID_WSARECVMSG)");
  return {};
}

}  // namespace

struct RxReader::Impl {
  // The same for every UDP socket of the (single) TCP/IP provider, so one per reader suffices.
  LPFN_WSARECVMSG recvMsg = nullptr;
  // One datagram's overflow (a Read ends at the first datagram that needs it), left uninitialised:
  // only a datagram longer than the room left in the area writes to it.
  std::unique_ptr<unsigned char[]> overflow;
  size_t overflowSize = 0;
  sockaddr_storage source;
  alignas(WSACMSGHDR) char control[kControlSpace];
};

RxReader::RxReader() : impl_(new Impl()) {}
RxReader::~RxReader() = default;
size_t RxReader::BatchLimit() { return kBatch; }

SysError RxReader::Read(socket_t s, const RxLanding& landing, size_t maxMessageSize, size_t maxCount,
                        std::vector<RawDatagram>& out, bool& drained) {
  out.clear();
  drained = false;
  Impl& m = *impl_;
  if (m.recvMsg == nullptr)
    if (auto e = LoadWsaRecvMsg(s, m.recvMsg)) return e;
  if (m.overflowSize < maxMessageSize) {
    m.overflow.reset(new unsigned char[maxMessageSize]);
    m.overflowSize = maxMessageSize;
  }
  size_t want = maxCount < kBatch ? maxCount : kBatch;
  size_t offset = 0;
  // Errors that only report an earlier send's fate are skipped, but never without bound.
  size_t skips = 0;
  while (out.size() < want) {
    // Datagrams are packed into the area, each at the next multiple of 8.
    size_t left = landing.room - offset;
    if (!out.empty() && left < landing.slot) break;
    size_t inArea = left < maxMessageSize ? left : maxMessageSize;
    WSABUF parts[2];
    parts[0].buf = reinterpret_cast<char*>(landing.area + offset);
    parts[0].len = static_cast<ULONG>(inArea);
    parts[1].buf = reinterpret_cast<char*>(m.overflow.get());
    parts[1].len = static_cast<ULONG>(maxMessageSize - inArea);
    // Cleared each time, so that a call that fills in less (as WSAEMSGSIZE may) cannot pass off the
    // previous datagram's source or packet info as this one's.
    std::memset(&m.source, 0, sizeof(m.source));
    std::memset(m.control, 0, sizeof(m.control));
    WSAMSG msg;
    std::memset(&msg, 0, sizeof(msg));
    msg.name = reinterpret_cast<sockaddr*>(&m.source);
    msg.namelen = static_cast<INT>(sizeof(m.source));
    msg.lpBuffers = parts;
    msg.dwBufferCount = parts[1].len > 0 ? 2 : 1;
    msg.Control.buf = m.control;
    msg.Control.len = static_cast<ULONG>(kControlSpace);
    DWORD received = 0;
    bool truncated = false;
    if (m.recvMsg(s, &msg, &received, nullptr, nullptr) != 0) {
      int err = WSAGetLastError();
      if (err == WSAEWOULDBLOCK) {
        drained = true;
        break;
      }
      if ((err == WSAECONNRESET || err == WSAENETRESET) && ++skips <= kBatch) continue;
      if (err == WSAEMSGSIZE) {
        // The datagram did not fit: its first maxMessageSize bytes are in the buffers, the rest is gone.
        truncated = true;
        received = static_cast<DWORD>(maxMessageSize);
      } else if (!out.empty()) {
        // Hand over what was read; an error that persists shows on the next wake-up.
        drained = true;
        break;
      } else {
        return FailWith(err, "WSARecvMsg");
      }
    }
    RawDatagram d;
    d.truncated = truncated || (msg.dwFlags & MSG_TRUNC) != 0;
    d.length = received > maxMessageSize ? maxMessageSize : received;
    d.offset = offset;
    d.landed = d.length < inArea ? d.length : inArea;
    d.overflow = m.overflow.get();
    if (m.source.ss_family != 0 && msg.namelen > 0 &&
        static_cast<size_t>(msg.namelen) <= sizeof(d.source.storage)) {
      std::memcpy(&d.source.storage, &m.source, static_cast<size_t>(msg.namelen));
      d.source.length = msg.namelen;
    }
    ParseControl(msg, d);
    out.push_back(d);
    // The overflow holds one datagram: the caller takes it before the next Read.
    if (d.landed < d.length) break;
    offset = (offset + d.landed + 7) & ~size_t{7};
  }
  return {};
}

}  // namespace mce
