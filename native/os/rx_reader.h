// Reading datagrams with their packet information: destination address, arrival interface,
// truncation, kernel timestamp and drop counter. One implementation per OS:
// rx_reader_linux.cc (recvmmsg), rx_reader_darwin.cc (recvmsg), rx_reader_win.cc (WSARecvMsg).
#pragma once
#include <memory>
#include <vector>

#include "platform.h"
#include "sock_addr.h"

namespace mce {

struct RawDatagram {
  const unsigned char* data = nullptr;  // points into the reader's scratch memory until the next Read
  size_t length = 0;                    // bytes kept (at most maxMessageSize)
  bool truncated = false;               // the datagram was longer than maxMessageSize
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

  // Reads up to `maxCount` waiting datagrams from non-blocking `s`, without blocking; `out` then holds
  // exactly those (an implementation may reuse its records, rewriting every field). An empty `out`
  // and no error: nothing was waiting.
  SysError Read(socket_t s, int family, size_t maxMessageSize, size_t maxCount,
                std::vector<RawDatagram>& out);

  // Most datagrams one Read can return.
  static size_t BatchLimit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mce
