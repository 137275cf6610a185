// Asking the Linux kernel over rtnetlink (interfaces, addresses, routes) and reading its answer with
// every length checked before it is read. Only the kernel's answer to our own request is taken: the
// sender must be port 0 (the kernel) and each message must carry our sequence number.
//
// The loops here are written over byte offsets and sizes rather than with NLMSG_OK/RTA_OK, whose
// int-against-size_t comparisons fail -Wsign-compare, and which read a header's length field before
// knowing the header is there.
#pragma once
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <functional>
#include <utility>
#include <vector>

#include "platform.h"
#include "unique_socket.h"

namespace mce {

// One message of the kernel's answer: its type and flags, and its payload (after the netlink header).
struct NetlinkMessage {
  uint16_t type = 0;
  uint16_t flags = 0;
  const unsigned char* payload = nullptr;
  size_t length = 0;

  // The payload's fixed header (ifinfomsg, ifaddrmsg, rtmsg, ...), copied, when the payload holds one.
  template <typename T>
  bool ReadHeader(T& out) const {
    if (length < sizeof(T)) return false;
    std::memcpy(&out, payload, sizeof(T));
    return true;
  }
};

// One attribute (rtattr) of a message: its type and its payload.
struct NetlinkAttr {
  uint16_t type = 0;
  const unsigned char* data = nullptr;
  size_t length = 0;

  // The payload as a T when it is at least that long (copied: attributes are only 4-byte aligned).
  template <typename T>
  bool Read(T& out) const {
    if (length < sizeof(T)) return false;
    std::memcpy(&out, data, sizeof(T));
    return true;
  }
};

// Calls each(const NetlinkAttr&) for the attributes in the `length` bytes at `data`; stops at the
// first attribute whose length does not fit.
template <typename Each>
void ForEachAttr(const unsigned char* data, size_t length, Each&& each) {
  size_t offset = 0;
  while (offset < length && length - offset >= sizeof(rtattr)) {
    rtattr header;
    std::memcpy(&header, data + offset, sizeof(header));
    size_t attrLength = header.rta_len;
    if (attrLength < sizeof(rtattr) || attrLength > length - offset) return;
    size_t dataOffset = RTA_ALIGN(sizeof(rtattr));
    each(NetlinkAttr{header.rta_type, data + offset + dataOffset, attrLength - dataOffset});
    offset += RTA_ALIGN(attrLength);
  }
}

// The attributes that follow a fixed header of `headerSize` bytes in a message's payload.
template <typename Each>
void ForEachAttr(const NetlinkMessage& message, size_t headerSize, Each&& each) {
  size_t offset = NLMSG_ALIGN(headerSize);
  if (offset >= message.length) return;
  ForEachAttr(message.payload + offset, message.length - offset, std::forward<Each>(each));
}

// An rtnetlink socket that asks the kernel one question at a time.
class NetlinkRoute {
 public:
  SysError Open();

  // Sends `request` (a netlink header with nlmsg_len set, and its body; the sequence number is set
  // here) and calls onMessage for every message of the answer: for a dump (NLM_F_DUMP) each until
  // NLMSG_DONE, otherwise the one answer. An NLMSG_ERROR answer ends with its error; `syscall` names
  // the request in it.
  SysError Ask(nlmsghdr& request, const char* syscall, const std::function<void(const NetlinkMessage&)>& onMessage);

  // Whether the last dump changed while the kernel was writing it (NLM_F_DUMP_INTR): it may then
  // lack or repeat entries, and is worth asking for again.
  bool interrupted() const { return interrupted_; }

 private:
  // Reads one datagram of the answer into buffer_; its length in `received`.
  SysError Receive(size_t& received);

  UniqueSocket socket_;
  uint32_t sequence_ = 0;
  bool interrupted_ = false;
  std::vector<unsigned char> buffer_;
};

}  // namespace mce
