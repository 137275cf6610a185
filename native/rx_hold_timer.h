// The timer of a receiver's coalescing (the `coalesce` option): it fires once, a given number of
// microseconds after it is armed, so that a batch held back to grow is handed over by then.
//
// libuv's own timers count whole milliseconds, too coarse for a bound of a few hundred microseconds.
// On Linux a timerfd (CLOCK_MONOTONIC, nanoseconds) is polled on the loop instead; elsewhere a libuv
// timer is used, and the delay is rounded up to whole milliseconds (the README says so).
// An armed timer keeps the process running exactly when the receiver's sockets would (SetKeepAlive).
#pragma once
#include <uv.h>

#include <cstdint>

#include "addon.h"

namespace mce {

class RxHoldTimer {
 public:
  using Callback = void (*)(void* owner);
  RxHoldTimer() = default;
  RxHoldTimer(const RxHoldTimer&) = delete;
  RxHoldTimer& operator=(const RxHoldTimer&) = delete;
  ~RxHoldTimer() { Close(); }

  // Makes the timer on `data`'s loop; `fired(owner)` runs from the loop when it fires. The error
  // when the OS or libuv refuses (nothing is left open then).
  SysError Open(AddonData* data, Callback fired, void* owner);
  // Fires once, `micros` from now (armed again: from now). The error when the OS refuses.
  SysError Arm(uint64_t micros);
  void Disarm();
  bool armed() const { return armed_; }
  // Whether an armed timer keeps the event loop (and so the process) running: as the receiver's
  // sockets do, since it stands in for them while a batch is held (they are not polled then).
  void SetKeepAlive(bool keepAlive);
  // Stops and closes the handle (and the timerfd); idempotent.
  void Close();

 private:
  static void OnFired(RxHoldTimer* self);

  AddonData* data_ = nullptr;
  Callback fired_ = nullptr;
  void* owner_ = nullptr;
  bool armed_ = false;
#ifdef __linux__
  uv_poll_t* poll_ = nullptr;
  UniqueSocket timerFd_;  // a timerfd: closed with close(), as a socket is on Linux
#else
  uv_timer_t* timer_ = nullptr;
#endif
};

}  // namespace mce
