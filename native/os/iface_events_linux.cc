// Interface changes on Linux: an rtnetlink socket that joins the multicast groups in which the kernel
// announces every new, changed or deleted link (RTM_NEWLINK, RTM_DELLINK) and IPv4/IPv6 address
// (RTM_NEWADDR, RTM_DELADDR). Nothing is polled: the socket becomes readable when the kernel speaks.
// When more messages come than the socket buffer holds, recv fails with ENOBUFS; the socket stays
// usable, and since messages were lost, that too means "look again".
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <vector>

#include "iface_events.h"

namespace mce {
namespace {

// Reads per Drain before the loop gets a turn; the poll is level-triggered, so the rest waits.
constexpr int kMaxReadsPerDrain = 256;

bool IsIfaceMessage(uint16_t type) {
  return type == RTM_NEWLINK || type == RTM_DELLINK || type == RTM_NEWADDR || type == RTM_DELADDR;
}

}  // namespace

struct IfaceEventSource::Impl {
  UniqueSocket socket;
  std::vector<char> buffer = std::vector<char>(32768);
};

IfaceEventSource::IfaceEventSource() : impl_(new Impl) {}
bool IfaceEventSource::CallsBack() { return false; }

IfaceEventSource::~IfaceEventSource() = default;

SysError IfaceEventSource::Open(WakeFn, void*) {
  UniqueSocket s(socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!s.valid()) return Fail("socket(AF_NETLINK)");
  sockaddr_nl local;
  std::memset(&local, 0, sizeof(local));
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
  if (bind(s.get(), reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0)
    return Fail("bind(NETLINK_ROUTE)");
  impl_->socket = std::move(s);
  return {};
}

socket_t IfaceEventSource::descriptor() const { return impl_->socket.get(); }

SysError IfaceEventSource::Drain(bool& changed) {
  changed = false;
  if (!impl_->socket.valid()) return {};
  for (int reads = 0; reads < kMaxReadsPerDrain; reads++) {
    sockaddr_nl from;
    socklen_t fromLength = sizeof(from);
    ssize_t n = recvfrom(impl_->socket.get(), impl_->buffer.data(), impl_->buffer.size(), MSG_DONTWAIT,
                         reinterpret_cast<sockaddr*>(&from), &fromLength);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (IsWouldBlock(errno)) return {};
      if (errno == ENOBUFS) {
        changed = true;
        continue;
      }
      return Fail("recv(NETLINK_ROUTE)");
    }
    if (n == 0) return {};
    // Only the kernel (port 0) speaks for the interfaces.
    if (from.nl_pid != 0) continue;
    // Walked by byte offset rather than with NLMSG_OK/NLMSG_NEXT, whose int-against-__u32
    // comparison clang rejects (-Wsign-compare) and which read a header before knowing it is there.
    const size_t size = static_cast<size_t>(n);
    for (size_t offset = 0; offset < size && size - offset >= sizeof(nlmsghdr);) {
      nlmsghdr h;
      std::memcpy(&h, impl_->buffer.data() + offset, sizeof(h));
      if (h.nlmsg_len < sizeof(nlmsghdr) || h.nlmsg_len > size - offset) break;
      if (IsIfaceMessage(h.nlmsg_type)) changed = true;
      offset += NLMSG_ALIGN(h.nlmsg_len);
    }
  }
  return {};
}

UniqueSocket IfaceEventSource::Close() { return std::move(impl_->socket); }

}  // namespace mce
