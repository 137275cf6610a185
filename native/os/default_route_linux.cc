// Default-route interface on Linux: one question to the kernel, as `ip route get` asks it
// (RTM_GETROUTE for one destination), answered by the kernel's own route lookup. The cost does not
// grow with the routing table: a router holding a full BGP table answers as fast as a laptop.
//
// The lookup applies everything the kernel applies to a datagram: policy rules (`ip rule`, e.g. a
// VPN's or a VRF's table), the lowest metric among several default routes, multipath. Which
// destination is asked for depends on the family:
//
// - IPv4 asks for a multicast group (239.255.255.250). IPv4 multicast follows the unicast routing
//   table, so the answer is the interface the kernel itself would send multicast out of: a route to
//   the multicast range (`ip route add 224.0.0.0/4 dev eth1`, the usual way to point multicast at an
//   interface) where there is one, otherwise the default route.
// - IPv6 cannot ask for a group: every interface has a route to ff00::/8 in the local table, so that
//   answer names an arbitrary interface. It asks for 2000::1, a global unicast address that nobody
//   announces, so that only a default route (or a route to all of 2000::/3) matches it, never one of
//   the specific routes a full table holds.
//
// No route, or a route that refuses (unreachable, blackhole, prohibit), means no default interface.
#include <netinet/in.h>

#include "default_route.h"
#include "netlink_linux.h"

namespace mce {
namespace {

// What the kernel answers when no route leads to the destination.
bool MeansNoRoute(int code) {
  return code == ENETUNREACH || code == EHOSTUNREACH || code == EACCES || code == EINVAL || code == EAGAIN;
}

}  // namespace

SysError DefaultRouteInterface(int family, uint32_t& ifindex) {
  ifindex = 0;
  if (family != AF_INET && family != AF_INET6) return FailWith(EAFNOSUPPORT, "RTM_GETROUTE");
  NetlinkRoute netlink;
  SysError error = netlink.Open();
  if (error) return error;

  struct {
    nlmsghdr header;
    rtmsg body;
    rtattr destinationHeader;
    unsigned char destination[16];
  } request;
  std::memset(&request, 0, sizeof(request));
  const size_t size = family == AF_INET ? 4 : 16;
  request.header.nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(sizeof(rtmsg)) + RTA_LENGTH(size));
  request.header.nlmsg_type = RTM_GETROUTE;
  request.header.nlmsg_flags = NLM_F_REQUEST;
  request.body.rtm_family = static_cast<unsigned char>(family);
  request.body.rtm_dst_len = static_cast<unsigned char>(size * 8);
  request.destinationHeader.rta_type = RTA_DST;
  request.destinationHeader.rta_len = static_cast<unsigned short>(RTA_LENGTH(size));
  if (family == AF_INET) {
    const unsigned char group[4] = {239, 255, 255, 250};
    std::memcpy(request.destination, group, sizeof(group));
  } else {
    const unsigned char global[16] = {0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    std::memcpy(request.destination, global, sizeof(global));
  }

  uint32_t found = 0;
  error = netlink.Ask(request.header, "RTM_GETROUTE", [&](const NetlinkMessage& m) {
    rtmsg route;
    if (m.type != RTM_NEWROUTE || !m.ReadHeader(route)) return;
    if (route.rtm_type != RTN_UNICAST && route.rtm_type != RTN_MULTICAST) return;
    ForEachAttr(m, sizeof(rtmsg), [&](const NetlinkAttr& a) {
      uint32_t oif = 0;
      if (a.type == RTA_OIF && a.Read(oif)) found = oif;
    });
  });
  if (error) {
    if (MeansNoRoute(error.code)) return {};
    return error;
  }
  ifindex = found;
  return {};
}

}  // namespace mce
