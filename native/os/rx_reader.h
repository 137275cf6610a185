// Reading datagrams with their packet information: destination address, arrival interface,
// truncation, kernel timestamp and drop counter. One implementation per OS:
// rx_reader_linux.cc (recvmmsg), rx_reader_darwin.cc (recvmsg), rx_reader_win.cc (WSARecvMsg).
//
// The bytes go where the caller says (RxLanding): into memory that JavaScript will see, so that a
// datagram is copied once, by the kernel. Only the part of a datagram that does not fit the room it
// was given goes to the reader's own overflow memory; the caller then copies that datagram whole.
#pragma once
#include <memory>
#include <vector>

#include "platform.h"
#include "sock_addr.h"

namespace mce {

// Where a Read puts the bytes of the datagrams it reads.
struct RxLanding {
  unsigned char* area = nullptr;  // 8-aligned
  size_t room = 0;                // bytes at `area`, a multiple of 8, at least `slot`
  // A multiple of 8: what each datagram is given of the area where the OS reads several per call
  // (recvmmsg: every datagram's place is fixed before the call, at slot * i). Where the OS reads one
  // datagram at a time they are packed instead, each at the next multiple of 8, and a Read stops
  // once less than `slot` is left.
  size_t slot = 0;
};

struct RawDatagram {
  size_t offset = 0;  // where its bytes start in the landing area (a multiple of 8)
  size_t length = 0;  // bytes kept (at most maxMessageSize)
  size_t landed = 0;  // of these, the first `landed` are in the area at `offset`; the rest at `overflow`
  const unsigned char* overflow = nullptr;  // the reader's memory, until the next Read
  bool truncated = false;                   // the datagram was longer than maxMessageSize
  SockAddr source;
  bool hasDestination = false;
  SockAddr destination;  // the address the datagram was sent to (a group, or a unicast address)
  uint32_t ifindex = 0;  // the interface it arrived on
  bool hasTimestamp = false;
  int64_t timestampSec = 0;
  int64_t timestampNsec = 0;
  bool hasDropCount = false;
  uint32_t dropCount = 0;  // the socket's cumulative kernel drops when this datagram was queued
};

class RxReader {
 public:
  RxReader();
  ~RxReader();
  RxReader(const RxReader&) = delete;
  RxReader& operator=(const RxReader&) = delete;

  // Reads up to `maxCount` waiting datagrams from non-blocking `s` into `landing`, without blocking;
  // `out` then holds exactly those, in arrival order, at increasing offsets that do not overlap (an
  // implementation may reuse its records, rewriting every field). A Read also ends when the area is
  // used up, and, where the overflow holds one datagram only, after a datagram that overflowed.
  // `drained`: the socket had no more waiting (an empty `out` and no error: nothing was waiting).
  SysError Read(socket_t s, const RxLanding& landing, size_t maxMessageSize, size_t maxCount,
                std::vector<RawDatagram>& out, bool& drained);

  // Most datagrams one Read can return.
  static size_t BatchLimit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mce
