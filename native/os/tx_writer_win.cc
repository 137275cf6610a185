// How sending works on Windows: sendto() on a non-blocking socket, one datagram per call; a datagram
// with a route goes with WSASendMsg and an IP_PKTINFO / IPV6_PKTINFO control message (IN_PKTINFO's
// ipi_addr as the source, ipi_ifindex as the interface). Winsock has no batch send for UDP, so a
// batch is a loop that stops at the first full buffer.
#include "tx_writer.h"

namespace mce {
namespace {

constexpr size_t kRouteControlSpace = WSA_CMSG_SPACE(sizeof(IN6_PKTINFO)) > WSA_CMSG_SPACE(sizeof(IN_PKTINFO))
                                          ? WSA_CMSG_SPACE(sizeof(IN6_PKTINFO))
                                          : WSA_CMSG_SPACE(sizeof(IN_PKTINFO));

union RouteControl {
  WSACMSGHDR align;
  char bytes[kRouteControlSpace];
};

// WSASendMsg (exported by ws2_32 since Vista) with the packet info of `route`.
int SendRouted(socket_t s, const TxDatagram& d) {
  RouteControl control;
  std::memset(&control, 0, sizeof(control));
  WSABUF buffer;
  buffer.buf = reinterpret_cast<CHAR*>(const_cast<unsigned char*>(d.data));
  buffer.len = static_cast<ULONG>(d.length);
  WSAMSG msg;
  std::memset(&msg, 0, sizeof(msg));
  msg.name = const_cast<sockaddr*>(d.destination->raw());
  msg.namelen = d.destination->length;
  msg.lpBuffers = &buffer;
  msg.dwBufferCount = 1;
  msg.Control.buf = control.bytes;
  const TxRoute& route = *d.route;
  if (route.source.family() == AF_INET) {
    msg.Control.len = static_cast<ULONG>(WSA_CMSG_SPACE(sizeof(IN_PKTINFO)));
    WSACMSGHDR* c = WSA_CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = WSA_CMSG_LEN(sizeof(IN_PKTINFO));
    IN_PKTINFO info;
    std::memset(&info, 0, sizeof(info));
    info.ipi_addr = route.source.v4()->sin_addr;
    info.ipi_ifindex = route.ifindex;
    std::memcpy(WSA_CMSG_DATA(c), &info, sizeof(info));
  } else {
    msg.Control.len = static_cast<ULONG>(WSA_CMSG_SPACE(sizeof(IN6_PKTINFO)));
    WSACMSGHDR* c = WSA_CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = WSA_CMSG_LEN(sizeof(IN6_PKTINFO));
    IN6_PKTINFO info;
    std::memset(&info, 0, sizeof(info));
    info.ipi6_addr = route.source.v6()->sin6_addr;
    info.ipi6_ifindex = route.ifindex;
    std::memcpy(WSA_CMSG_DATA(c), &info, sizeof(info));
  }
  DWORD sent = 0;
  return WSASendMsg(s, &msg, 0, &sent, nullptr, nullptr);
}

}  // namespace

SysError SendDatagram(socket_t s, const TxDatagram& d, bool& wouldBlock) {
  wouldBlock = false;
  int n = d.route == nullptr ? sendto(s, reinterpret_cast<const char*>(d.data), static_cast<int>(d.length), 0,
                                      d.destination->raw(), d.destination->length)
                             : SendRouted(s, d);
  if (n != SOCKET_ERROR) return {};
  int err = WSAGetLastError();
  if (err == WSAEWOULDBLOCK) {
    wouldBlock = true;
    return {};
  }
  return FailWith(err, d.route == nullptr ? "sendto" : "WSASendMsg");
}

SysError SendDatagrams(socket_t s, const std::vector<TxDatagram>& ds, size_t& sent) {
  return SendEachDatagram(s, ds, sent);
}

}  // namespace mce
