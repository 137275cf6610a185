// The packet info that sends one datagram out of a TxRoute's interface from its source address, on
// Linux and macOS (see tx_writer.h): IP_PKTINFO (ipi_ifindex, ipi_spec_dst) or IPV6_PKTINFO
// (ipi6_ifindex, ipi6_addr) as a control message of sendmsg / sendmmsg. It names both interface and
// source for the datagram alone, over whatever the socket says: IP_MULTICAST_IF, and a local address
// it is bound to (a receiver's socket is bound to its group). Linux takes ipi_spec_dst as the source
// (ip_cmsg_send); macOS takes ipi_ifindex over it and picks that interface's address (XNU's
// udp_check_pktinfo), and takes ipi6_addr as the source (in6_selectsrc).
#pragma once
#include <sys/uio.h>

#include "tx_writer.h"

namespace mce {

// Room for the one control message of either family.
constexpr size_t kRouteControlSpace =
    CMSG_SPACE(sizeof(in6_pktinfo)) > CMSG_SPACE(sizeof(in_pktinfo)) ? CMSG_SPACE(sizeof(in6_pktinfo))
                                                                      : CMSG_SPACE(sizeof(in_pktinfo));

// A control buffer aligned as cmsghdr needs.
union RouteControl {
  cmsghdr align;
  unsigned char bytes[kRouteControlSpace];
};

// Points `h` at `buffer`, filled with the packet info of `route`.
inline void SetRouteControl(msghdr& h, const TxRoute& route, RouteControl& buffer) {
  std::memset(&buffer, 0, sizeof(buffer));
  h.msg_control = buffer.bytes;
  bool v4 = route.source.family() == AF_INET;
  h.msg_controllen = v4 ? CMSG_SPACE(sizeof(in_pktinfo)) : CMSG_SPACE(sizeof(in6_pktinfo));
  cmsghdr* c = CMSG_FIRSTHDR(&h);
  if (v4) {
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info;
    std::memset(&info, 0, sizeof(info));
    info.ipi_ifindex = static_cast<decltype(info.ipi_ifindex)>(route.ifindex);
    info.ipi_spec_dst = route.source.v4()->sin_addr;
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
  } else {
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
    in6_pktinfo info;
    std::memset(&info, 0, sizeof(info));
    info.ipi6_ifindex = route.ifindex;
    info.ipi6_addr = route.source.v6()->sin6_addr;
    std::memcpy(CMSG_DATA(c), &info, sizeof(info));
  }
}

}  // namespace mce
