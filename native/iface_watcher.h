// The native half of watchInterfaces(): tells JavaScript "interfaces or addresses changed" as soon as
// the OS says so (see os/iface_watch.h), on the environment's loop, without polling. JavaScript then
// rescans and works out what changed. The handle is unref'd: a watcher alone never keeps the process
// running.
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>

#include "addon.h"
#include "os/iface_watch.h"

namespace mce {

class IfaceWatcher : public Napi::ObjectWrap<IfaceWatcher>, public HandleOwner {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // new IfaceWatcher(onChange: (err: Error | null) => void). onChange(null): look again;
  // onChange(err): the OS source failed and the watcher has stopped.
  explicit IfaceWatcher(const Napi::CallbackInfo& info);
  ~IfaceWatcher() override;
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
  IfaceWatch watch_;
  // One of the two, by how the OS reports (IfaceWatch::CallsBack).
  uv_poll_t* poll_ = nullptr;
  uv_async_t* async_ = nullptr;
  bool polling_ = false;
  bool closed_ = false;
  Napi::FunctionReference onChange_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
};

}  // namespace mce
