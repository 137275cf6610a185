// Multicast socket options that Linux and macOS share (see mcast_sockopt.h): a receiving socket is
// bound to its group, so the kernel itself keeps unicast and every other group away from it.
#include <cstdio>

#include "mcast_sockopt.h"

namespace mce {

RxBindPlan PlanRxBind(const SockAddr& group, uint32_t ifindex, const SockAddr* ifaceAddr, uint16_t port) {
  (void)ifaceAddr;
  RxBindPlan plan;
  bool scoped = GroupNeedsScope(group);
  plan.bindAddress =
      SockAddr::FromBytes(group.family(), group.bytes(), port, scoped ? ifindex : 0);
  char key[64];
  int n = 0;
  for (size_t i = 0; i < group.byteCount(); i++) n += std::snprintf(key + n, sizeof(key) - n, "%02x", group.bytes()[i]);
  if (scoped) std::snprintf(key + n, sizeof(key) - n, "%%%u", ifindex);
  plan.key = key;
  return plan;
}

}  // namespace mce
