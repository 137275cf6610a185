// Group memberships of a socket, by interface index: any-source and source-specific joins, and
// source blocking on any-source memberships. One implementation for every OS, mcast_membership.cc.
#pragma once
#include "platform.h"
#include "sock_addr.h"

namespace mce {

SysError JoinGroup(socket_t s, const SockAddr& group, uint32_t ifindex);
SysError LeaveGroup(socket_t s, const SockAddr& group, uint32_t ifindex);
SysError JoinSourceGroup(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex);
SysError LeaveSourceGroup(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex);
SysError BlockSource(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex);
SysError UnblockSource(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex);

}  // namespace mce
