// RAII owner of one OS socket: closed exactly once, when the owner goes away or release()s it.
#pragma once
#include "platform.h"

namespace mce {

class UniqueSocket {
 public:
  UniqueSocket() = default;
  explicit UniqueSocket(socket_t s) : s_(s) {}
  UniqueSocket(const UniqueSocket&) = delete;
  UniqueSocket& operator=(const UniqueSocket&) = delete;
  UniqueSocket(UniqueSocket&& o) noexcept : s_(o.release()) {}
  UniqueSocket& operator=(UniqueSocket&& o) noexcept {
    if (this != &o) reset(o.release());
    return *this;
  }
  ~UniqueSocket() { reset(); }

  socket_t get() const { return s_; }
  bool valid() const { return s_ != kInvalidSocket; }
  socket_t release() {
    socket_t s = s_;
    s_ = kInvalidSocket;
    return s;
  }
  void reset(socket_t s = kInvalidSocket) {
    // A failed close of a UDP socket leaves nothing to undo; the descriptor is gone either way.
    if (s_ != kInvalidSocket) (void)CloseSocketHandle(s_);
    s_ = s;
  }

 private:
  socket_t s_ = kInvalidSocket;
};

}  // namespace mce
