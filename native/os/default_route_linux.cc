// Default-route interface on Linux: dump the routing table over rtnetlink (RTM_GETROUTE) and take
// the unicast default route (destination length 0) of the main table with the lowest metric.
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <climits>
#include <vector>

#include "default_route.h"
#include "unique_socket.h"

namespace mce {
namespace {

struct Candidate {
  uint32_t ifindex = 0;
  uint32_t metric = UINT32_MAX;
};

// The first next hop's interface of a multipath route.
uint32_t FirstMultipathIface(const rtattr* attr) {
  auto* hop = reinterpret_cast<const rtnexthop*>(RTA_DATA(attr));
  int left = static_cast<int>(RTA_PAYLOAD(attr));
  if (left >= static_cast<int>(sizeof(rtnexthop)) && RTNH_OK(hop, left)) return hop->rtnh_ifindex;
  return 0;
}

void ConsiderRoute(const nlmsghdr* h, Candidate& best) {
  auto* rt = reinterpret_cast<const rtmsg*>(NLMSG_DATA(h));
  if (rt->rtm_dst_len != 0 || rt->rtm_type != RTN_UNICAST) return;
  uint32_t table = rt->rtm_table, ifindex = 0, metric = 0;
  int len = static_cast<int>(RTM_PAYLOAD(h));
  for (const rtattr* a = RTM_RTA(rt); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    switch (a->rta_type) {
      case RTA_TABLE: table = *reinterpret_cast<const uint32_t*>(RTA_DATA(a)); break;
      case RTA_OIF: ifindex = *reinterpret_cast<const uint32_t*>(RTA_DATA(a)); break;
      case RTA_PRIORITY: metric = *reinterpret_cast<const uint32_t*>(RTA_DATA(a)); break;
      case RTA_MULTIPATH:
        if (ifindex == 0) ifindex = FirstMultipathIface(a);
        break;
      default: break;
    }
  }
  if (table != RT_TABLE_MAIN || ifindex == 0) return;
  if (best.ifindex == 0 || metric < best.metric) {
    best.ifindex = ifindex;
    best.metric = metric;
  }
}

}  // namespace

SysError DefaultRouteInterface(int family, uint32_t& ifindex) {
  ifindex = 0;
  UniqueSocket nl(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!nl.valid()) return Fail("socket(AF_NETLINK)");

  struct {
    nlmsghdr header;
    rtmsg body;
  } request;
  std::memset(&request, 0, sizeof(request));
  request.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg));
  request.header.nlmsg_type = RTM_GETROUTE;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.body.rtm_family = static_cast<unsigned char>(family);

  sockaddr_nl kernel;
  std::memset(&kernel, 0, sizeof(kernel));
  kernel.nl_family = AF_NETLINK;
  if (sendto(nl.get(), &request, request.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof(kernel)) < 0)
    return Fail("sendto(RTM_GETROUTE)");

  std::vector<char> buffer(32768);
  Candidate best;
  for (;;) {
    ssize_t n = recv(nl.get(), buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail("recv(RTM_GETROUTE)");
    }
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type == NLMSG_DONE) {
        ifindex = best.ifindex;
        return {};
      }
      if (h->nlmsg_type == NLMSG_ERROR) {
        auto* err = reinterpret_cast<nlmsgerr*>(NLMSG_DATA(h));
        if (err->error == 0) continue;
        return FailWith(-err->error, "RTM_GETROUTE");
      }
      if (h->nlmsg_type == RTM_NEWROUTE) ConsiderRoute(h, best);
    }
  }
}

}  // namespace mce
