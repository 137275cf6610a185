// Group memberships on every OS, with the RFC 3678 protocol-independent options (MCAST_JOIN_GROUP,
// MCAST_JOIN_SOURCE_GROUP, MCAST_BLOCK_SOURCE, ...) by interface index: Linux, macOS and Windows
// (Vista and later) all take them, for IPv4 and IPv6 alike, which spares us the three per-OS
// layouts of ip_mreq_source and gives IPv6 source-specific multicast and source blocking everywhere.
#include "mcast_membership.h"

#include "sockopt.h"

namespace mce {
namespace {

SysError GroupOp(socket_t s, int op, const SockAddr& group, uint32_t ifindex, const char* syscall) {
  group_req req;
  std::memset(&req, 0, sizeof(req));
  req.gr_interface = ifindex;
  std::memcpy(&req.gr_group, &group.storage, static_cast<size_t>(group.length));
  return SetOpt(s, IpLevel(group.family()), op, req, syscall);
}

SysError SourceOp(socket_t s, int op, const SockAddr& group, const SockAddr& source, uint32_t ifindex,
                  const char* syscall) {
  group_source_req req;
  std::memset(&req, 0, sizeof(req));
  req.gsr_interface = ifindex;
  std::memcpy(&req.gsr_group, &group.storage, static_cast<size_t>(group.length));
  std::memcpy(&req.gsr_source, &source.storage, static_cast<size_t>(source.length));
  return SetOpt(s, IpLevel(group.family()), op, req, syscall);
}

}  // namespace

SysError JoinGroup(socket_t s, const SockAddr& group, uint32_t ifindex) {
  return GroupOp(s, MCAST_JOIN_GROUP, group, ifindex, "setsockopt(MCAST_JOIN_GROUP)");
}
SysError LeaveGroup(socket_t s, const SockAddr& group, uint32_t ifindex) {
  return GroupOp(s, MCAST_LEAVE_GROUP, group, ifindex, "setsockopt(MCAST_LEAVE_GROUP)");
}
SysError JoinSourceGroup(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex) {
  return SourceOp(s, MCAST_JOIN_SOURCE_GROUP, group, source, ifindex, "setsockopt(MCAST_JOIN_SOURCE_GROUP)");
}
SysError LeaveSourceGroup(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex) {
  return SourceOp(s, MCAST_LEAVE_SOURCE_GROUP, group, source, ifindex, "setsockopt(MCAST_LEAVE_SOURCE_GROUP)");
}
SysError BlockSource(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex) {
  return SourceOp(s, MCAST_BLOCK_SOURCE, group, source, ifindex, "setsockopt(MCAST_BLOCK_SOURCE)");
}
SysError UnblockSource(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex) {
  return SourceOp(s, MCAST_UNBLOCK_SOURCE, group, source, ifindex, "setsockopt(MCAST_UNBLOCK_SOURCE)");
}

}  // namespace mce
