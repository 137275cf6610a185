// IfaceEvents, the native half of the interface monitor behind watchInterfaces() (lib/watch.ts): tells
// JavaScript "interfaces or addresses changed" as soon as the OS says so (IfaceEventSource, see
// os/iface_events.h), on the environment's loop, without polling. JavaScript then rescans and works
// out what changed. The handle is unref'd: this alone never keeps the process running.
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>

#include "addon.h"
#include "os/iface_events.h"

namespace mce {

class IfaceEvents : public Napi::ObjectWrap<IfaceEvents>, public HandleOwner {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // new IfaceEvents(onChange: (err: Error | null) => void). onChange(null): look again;
  // onChange(err): the OS source failed and has stopped.
  explicit IfaceEvents(const Napi::CallbackInfo& info);
  ~IfaceEvents() override;
  void CloseHandles() override;

 private:
  Napi::Value Close(const Napi::CallbackInfo& info);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnAsync(uv_async_t* handle);
  // Runs on an OS thread (Windows): only wakes the loop.
  static void WakeFromOsThread(void* context);
  void StopPolling();
  void Notify(const SysError& error);

  AddonData* data_;
  IfaceEventSource source_;
  // One of the two, by how the OS reports (IfaceEventSource::CallsBack).
  uv_poll_t* poll_ = nullptr;
  uv_async_t* async_ = nullptr;
  bool polling_ = false;
  bool closed_ = false;
  Napi::FunctionReference onChange_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
};

}  // namespace mce
