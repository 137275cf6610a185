#include "rx_hold_timer.h"

#ifdef __linux__
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace mce {

#ifdef __linux__

SysError RxHoldTimer::Open(AddonData* data, Callback fired, void* owner) {
  data_ = data;
  fired_ = fired;
  owner_ = owner;
  UniqueSocket fd(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!fd.valid()) return Fail("timerfd_create");
  auto* poll = new uv_poll_t;
  int rc = uv_poll_init(data->loop(), poll, fd.get());
  if (rc != 0) {
    delete poll;
    return SysError{rc, "uv_poll_init"};
  }
  data->HandleOpened();
  poll->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(poll));
  poll_ = poll;
  timerFd_ = std::move(fd);
  return {};
}

SysError RxHoldTimer::Arm(uint64_t micros) {
  if (poll_ == nullptr) return SysError{UV_EBADF, "timerfd_settime"};
  itimerspec when{};
  // A zero it_value would disarm the timer: the shortest delay is one nanosecond.
  uint64_t ns = micros == 0 ? 1 : micros * 1000;
  when.it_value.tv_sec = static_cast<time_t>(ns / 1000000000u);
  when.it_value.tv_nsec = static_cast<long>(ns % 1000000000u);
  if (timerfd_settime(timerFd_.get(), 0, &when, nullptr) != 0) return Fail("timerfd_settime");
  if (!armed_) {
    int rc = uv_poll_start(poll_, UV_READABLE, [](uv_poll_t* handle, int, int) {
      auto* self = static_cast<RxHoldTimer*>(handle->data);
      // Reading the expiry count clears the readiness. Whatever it says (an error status too), the
      // batch is handed over now rather than held on: early is harmless, never is not; and the
      // poll stops (OnFired disarms), so that nothing spins.
      uint64_t expirations = 0;
      (void)!read(self->timerFd_.get(), &expirations, sizeof(expirations));
      if (self->armed_) OnFired(self);
    });
    if (rc != 0) return SysError{rc, "uv_poll_start"};
  }
  armed_ = true;
  return {};
}

void RxHoldTimer::Disarm() {
  if (!armed_) return;
  armed_ = false;
  itimerspec never{};
  // Cannot fail for a valid timerfd and a zero value; were it to, the poll is stopped anyway and a
  // late expiry only leaves the descriptor readable, cleared by the next Arm's read.
  (void)timerfd_settime(timerFd_.get(), 0, &never, nullptr);
  uv_poll_stop(poll_);
}

void RxHoldTimer::Close() {
  if (poll_ == nullptr) return;
  Disarm();
  ClosePollThenSocket(data_, poll_, std::move(timerFd_));
}

#else

SysError RxHoldTimer::Open(AddonData* data, Callback fired, void* owner) {
  data_ = data;
  fired_ = fired;
  owner_ = owner;
  auto* timer = new uv_timer_t;
  int rc = uv_timer_init(data->loop(), timer);
  if (rc != 0) {
    delete timer;
    return SysError{rc, "uv_timer_init"};
  }
  data->HandleOpened();
  timer->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(timer));
  timer_ = timer;
  return {};
}

SysError RxHoldTimer::Arm(uint64_t micros) {
  if (timer_ == nullptr) return SysError{UV_EBADF, "uv_timer_start"};
  // libuv counts whole milliseconds: rounded up, so that no batch is handed over early.
  uint64_t ms = (micros + 999) / 1000;
  int rc = uv_timer_start(timer_, [](uv_timer_t* handle) { OnFired(static_cast<RxHoldTimer*>(handle->data)); }, ms, 0);
  if (rc != 0) return SysError{rc, "uv_timer_start"};
  armed_ = true;
  return {};
}

void RxHoldTimer::Disarm() {
  if (!armed_) return;
  armed_ = false;
  uv_timer_stop(timer_);
}

void RxHoldTimer::Close() {
  if (timer_ == nullptr) return;
  Disarm();
  CloseAndDelete(data_, timer_);
  timer_ = nullptr;
}

#endif

void RxHoldTimer::SetKeepAlive(bool keepAlive) {
#ifdef __linux__
  auto* handle = reinterpret_cast<uv_handle_t*>(poll_);
#else
  auto* handle = reinterpret_cast<uv_handle_t*>(timer_);
#endif
  if (handle == nullptr) return;
  if (keepAlive)
    uv_ref(handle);
  else
    uv_unref(handle);
}

void RxHoldTimer::OnFired(RxHoldTimer* self) {
  self->Disarm();
  self->fired_(self->owner_);
}

}  // namespace mce
