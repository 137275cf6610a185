// Notifications from the OS that network interfaces or their addresses changed, reduced to one fact:
// "something changed, look again". The caller rescans (ScanInterfaces) and works out what changed,
// so the OS layer needs no model of interfaces of its own. One implementation per OS:
//   iface_events_linux.cc   an rtnetlink socket in the link and IPv4/IPv6 address groups;
//   iface_events_darwin.cc  a PF_ROUTE socket (RTM_IFINFO, RTM_NEWADDR, RTM_DELADDR);
//   iface_events_win.cc     NotifyIpInterfaceChange and NotifyUnicastIpAddressChange.
// Linux and macOS hand the caller a descriptor that becomes readable when a message waits; Windows
// calls back on threads of its own pool instead, so there the caller gives a thread-safe `wake`.
#pragma once
#include <memory>

#include "platform.h"
#include "unique_socket.h"

namespace mce {

class IfaceEventSource {
 public:
  // Called when something may have changed. On Windows it runs on a system thread, so it must be
  // thread-safe (uv_async_send is); elsewhere it is never called.
  using WakeFn = void (*)(void* context);

  IfaceEventSource();
  ~IfaceEventSource();
  IfaceEventSource(const IfaceEventSource&) = delete;
  IfaceEventSource& operator=(const IfaceEventSource&) = delete;

  // True where the OS calls `wake` from threads of its own (Windows): the caller must be ready for a
  // wake before Open returns. False where the caller polls descriptor() instead.
  static bool CallsBack();

  // Starts watching. On failure nothing is left open.
  SysError Open(WakeFn wake, void* context);

  // The descriptor to poll for readability, or kInvalidSocket where the OS calls `wake` itself.
  socket_t descriptor() const;

  // After the descriptor became readable: reads every waiting message without blocking. `changed`
  // is set when one was about an interface or an address, or when the kernel dropped messages (then
  // anything may have changed). Where there is no descriptor, sets `changed` and returns.
  SysError Drain(bool& changed);

  // Stops watching. After it returns, `wake` is not running and will not be called again (Windows
  // waits for callbacks in flight). The descriptor is handed back, still open, so that the caller
  // closes it only once its poll handle has let go of it; where there is none, it is invalid.
  UniqueSocket Close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mce
