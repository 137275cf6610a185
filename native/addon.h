// Per-environment state of the addon. Each Node.js environment (the main thread and every worker)
// loads its own instance; nothing here is shared between them, and nothing is global.
#pragma once
#include <napi.h>
#include <uv.h>

#include <functional>
#include <set>

#include "os/rx_reader.h"
#include "os/unique_socket.h"

namespace mce {

// A native object that owns libuv handles and must close them before its environment goes away.
class HandleOwner {
 public:
  virtual ~HandleOwner() = default;
  // Stops everything and closes every handle; idempotent. Never calls into JavaScript.
  virtual void CloseHandles() = 0;
};

class AddonData {
 public:
  explicit AddonData(Napi::Env env);
  ~AddonData();

  uv_loop_t* loop() const { return loop_; }
  // Set once the environment is being torn down: from then on no native-to-JS call may be made.
  bool exiting() const { return exiting_; }
  RxReader& reader() { return reader_; }

  void Register(HandleOwner* owner) { owners_.insert(owner); }
  void Unregister(HandleOwner* owner) { owners_.erase(owner); }

  // Every uv handle this environment opens is counted, so that teardown can wait for the last close.
  void HandleOpened() { openHandles_++; }
  void HandleClosed();

  Napi::FunctionReference rxConstructor;
  Napi::FunctionReference txConstructor;

  static AddonData* Of(Napi::Env env) { return env.GetInstanceData<AddonData>(); }

 private:
  static void OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg);
  void MaybeFinishTeardown();

  uv_loop_t* loop_ = nullptr;
  bool exiting_ = false;
  size_t openHandles_ = 0;
  napi_async_cleanup_hook_handle teardownHook_ = nullptr;
  std::set<HandleOwner*> owners_;
  RxReader reader_;
};

// Runs `body`, which calls into JavaScript from a libuv callback, so that no C++ exception escapes
// into libuv (that would abort the process): an exception thrown by JavaScript goes where Node sends
// uncaught ones, and one raised because no JavaScript can run any more (a worker being terminated)
// is dropped with the call. Returns false when `body` threw.
template <typename Body>
bool CallIntoJs(Napi::Env env, Body&& body) {
  // The scope outlives `body`'s own, so that the error can still be read in the handler.
  napi_handle_scope scope = nullptr;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  bool ok = true;
  try {
    body();
  } catch (const Napi::Error& e) {
    ok = false;
    try {
      // Fails harmlessly (a status, no exception) while the environment is going away.
      (void)napi_fatal_exception(env, e.Value());
    } catch (...) {
    }
  }
  napi_close_handle_scope(env, scope);
  return ok;
}

// Closes a heap-allocated uv handle and frees it (and runs `after`) once libuv is done with it.
template <typename Handle>
void CloseAndDelete(AddonData* data, Handle* handle, std::function<void()> after = nullptr);

// Stops and closes the poll handle that watches `socket`, and closes the socket only once libuv has
// let go of the handle (closing a descriptor under a live uv_poll_t is undefined behaviour). Leaves
// `poll` null and `socket` empty.
void ClosePollThenSocket(AddonData* data, uv_poll_t*& poll, UniqueSocket&& socket);

}  // namespace mce

#include "addon_inl.h"
