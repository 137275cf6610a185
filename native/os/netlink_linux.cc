#include "netlink_linux.h"

#include <sys/uio.h>

namespace mce {

SysError NetlinkRoute::Open() {
  socket_.reset(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!socket_.valid()) return Fail("socket(AF_NETLINK)");
  return {};
}

SysError NetlinkRoute::Receive(size_t& received) {
  for (;;) {
    // How long the next datagram is, without taking it, so that the buffer can hold all of it.
    ssize_t peeked = recv(socket_.get(), nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (peeked < 0) {
      if (errno == EINTR) continue;
      return Fail("recv(NETLINK_ROUTE)");
    }
    if (buffer_.size() < static_cast<size_t>(peeked)) buffer_.resize(static_cast<size_t>(peeked));

    sockaddr_nl from;
    std::memset(&from, 0, sizeof(from));
    iovec iov{buffer_.data(), buffer_.size()};
    msghdr msg;
    std::memset(&msg, 0, sizeof(msg));
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = recvmsg(socket_.get(), &msg, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Fail("recvmsg(NETLINK_ROUTE)");
    }
    if ((msg.msg_flags & MSG_TRUNC) != 0) return FailWith(EMSGSIZE, "recvmsg(NETLINK_ROUTE)");
    // Only the kernel (port 0) answers for the routing tables; anything else is not ours to read.
    if (msg.msg_namelen < sizeof(from) || from.nl_family != AF_NETLINK || from.nl_pid != 0) continue;
    received = static_cast<size_t>(n);
    return {};
  }
}

SysError NetlinkRoute::Ask(nlmsghdr& request, const char* syscall,
                           const std::function<void(const NetlinkMessage&)>& onMessage) {
  const bool dump = (request.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  const uint32_t sequence = ++sequence_;
  request.nlmsg_seq = sequence;
  request.nlmsg_pid = 0;
  interrupted_ = false;

  sockaddr_nl kernel;
  std::memset(&kernel, 0, sizeof(kernel));
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    ssize_t sent = sendto(socket_.get(), &request, request.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
                          sizeof(kernel));
    if (sent >= 0) break;
    if (errno != EINTR) return Fail(syscall);
  }
  if (buffer_.empty()) buffer_.resize(32768);

  for (;;) {
    size_t received = 0;
    SysError error = Receive(received);
    if (error) return error;
    size_t offset = 0;
    while (offset < received && received - offset >= sizeof(nlmsghdr)) {
      nlmsghdr header;
      std::memcpy(&header, buffer_.data() + offset, sizeof(header));
      size_t length = header.nlmsg_len;
      if (length < NLMSG_HDRLEN || length > received - offset) return FailWith(EPROTO, syscall);
      NetlinkMessage message{header.nlmsg_type, header.nlmsg_flags, buffer_.data() + offset + NLMSG_HDRLEN,
                             length - NLMSG_HDRLEN};
      offset += NLMSG_ALIGN(length);
      // An answer to another question (an earlier one on this socket) is not this one's.
      if (header.nlmsg_seq != sequence) continue;
      if ((header.nlmsg_flags & NLM_F_DUMP_INTR) != 0) interrupted_ = true;
      if (header.nlmsg_type == NLMSG_DONE) return {};
      if (header.nlmsg_type == NLMSG_ERROR) {
        int code = 0;
        if (message.length < sizeof(code)) return FailWith(EPROTO, syscall);
        std::memcpy(&code, message.payload, sizeof(code));
        if (code == 0) {
          // An acknowledgement: the end of a request that answers nothing else.
          if (!dump) return {};
          continue;
        }
        // The kernel sends a negative errno; anything else is not an answer we can name.
        return FailWith(code < 0 && code > -4096 ? -code : EPROTO, syscall);
      }
      if (header.nlmsg_type == NLMSG_NOOP) continue;
      onMessage(message);
      if (!dump) return {};
    }
  }
}

}  // namespace mce
