// Interface changes on Windows: NotifyIpInterfaceChange (an IP interface added, deleted, or changed,
// e.g. connected or disconnected) and NotifyUnicastIpAddressChange (an address added, deleted or
// changed), both for IPv4 and IPv6. Windows calls back on threads of its own pool, so the callbacks
// only pass the news on through the caller's thread-safe `wake` (uv_async_send, which also merges
// several wakes into one). CancelMibChangeNotify2 waits for callbacks in progress to return, so once
// Close() is done no callback runs and `context` may go.
#include "iface_events.h"

// After iface_events.h, whose platform.h brings winsock2.h before windows.h; iphlpapi.h brings netioapi.h.
#include <iphlpapi.h>

namespace mce {

struct IfaceEventSource::Impl {
  WakeFn wake = nullptr;
  void* context = nullptr;
  HANDLE ifaceNotification = nullptr;
  HANDLE addressNotification = nullptr;

  static VOID WINAPI OnIfaceChange(PVOID self, PMIB_IPINTERFACE_ROW, MIB_NOTIFICATION_TYPE) {
    static_cast<Impl*>(self)->Wake();
  }
  static VOID WINAPI OnAddressChange(PVOID self, PMIB_UNICASTIPADDRESS_ROW, MIB_NOTIFICATION_TYPE) {
    static_cast<Impl*>(self)->Wake();
  }
  void Wake() { wake(context); }

  void Cancel() {
    if (ifaceNotification != nullptr) (void)CancelMibChangeNotify2(ifaceNotification);
    if (addressNotification != nullptr) (void)CancelMibChangeNotify2(addressNotification);
    ifaceNotification = nullptr;
    addressNotification = nullptr;
  }
};

IfaceEventSource::IfaceEventSource() : impl_(new Impl) {}
bool IfaceEventSource::CallsBack() { return true; }

IfaceEventSource::~IfaceEventSource() { impl_->Cancel(); }

SysError IfaceEventSource::Open(WakeFn wake, void* context) {
  if (wake == nullptr) return FailWith(ERROR_INVALID_PARAMETER, "NotifyIpInterfaceChange");
  impl_->wake = wake;
  impl_->context = context;
  // No initial notification: the caller scans once itself when it starts.
  DWORD rc = NotifyIpInterfaceChange(AF_UNSPEC, &Impl::OnIfaceChange, impl_.get(), FALSE, &impl_->ifaceNotification);
  if (rc != NO_ERROR) {
    impl_->ifaceNotification = nullptr;
    return FailWith(static_cast<int>(rc), "NotifyIpInterfaceChange");
  }
  rc = NotifyUnicastIpAddressChange(AF_UNSPEC, &Impl::OnAddressChange, impl_.get(), FALSE, &impl_->addressNotification);
  if (rc != NO_ERROR) {
    impl_->addressNotification = nullptr;
    impl_->Cancel();
    return FailWith(static_cast<int>(rc), "NotifyUnicastIpAddressChange");
  }
  return {};
}

socket_t IfaceEventSource::descriptor() const { return kInvalidSocket; }

SysError IfaceEventSource::Drain(bool& changed) {
  changed = true;
  return {};
}

UniqueSocket IfaceEventSource::Close() {
  impl_->Cancel();
  return UniqueSocket();
}

}  // namespace mce
