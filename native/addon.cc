// Module entry: creates the per-environment AddonData and registers the exported functions and
// classes. Teardown (process exit, worker exit) closes every socket and waits for libuv to release
// the handles through an async cleanup hook.
#include "addon.h"

#include <memory>
#include <vector>

#include "iface_events.h"
#include "interfaces_binding.h"
#include "rx_socket.h"
#include "tx_socket.h"

namespace mce {

AddonData::AddonData(Napi::Env env) {
  if (napi_get_uv_event_loop(env, &loop_) != napi_ok || loop_ == nullptr)
    throw Napi::Error::New(env, "multicast-expert: no event loop for this environment");
  if (napi_add_async_cleanup_hook(env, OnEnvTeardown, this, &teardownHook_) != napi_ok)
    throw Napi::Error::New(env, "multicast-expert: cannot register the teardown hook");
}

AddonData::~AddonData() = default;

void AddonData::OnEnvTeardown(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* self = static_cast<AddonData*>(arg);
  self->exiting_ = true;
  // Closing an owner unregisters it, so walk a copy.
  std::vector<HandleOwner*> owners(self->owners_.begin(), self->owners_.end());
  for (HandleOwner* owner : owners) owner->CloseHandles();
  self->MaybeFinishTeardown();
}

void AddonData::HandleClosed() {
  if (openHandles_ > 0) openHandles_--;
  MaybeFinishTeardown();
}

void AddonData::MaybeFinishTeardown() {
  if (!exiting_ || openHandles_ != 0 || teardownHook_ == nullptr) return;
  napi_async_cleanup_hook_handle hook = teardownHook_;
  teardownHook_ = nullptr;
  napi_remove_async_cleanup_hook(hook);
}

void ClosePollThenSocket(AddonData* data, uv_poll_t*& poll, UniqueSocket&& socket) {
  auto owned = std::make_shared<UniqueSocket>(std::move(socket));
  if (poll == nullptr) {
    owned->reset();
    return;
  }
  uv_poll_stop(poll);
  CloseAndDelete(data, poll, [owned]() { owned->reset(); });
  poll = nullptr;
}

}  // namespace mce

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new mce::AddonData(env);
  env.SetInstanceData<mce::AddonData>(data);
  mce::InitInterfaces(env, exports);
  mce::RxSocket::Init(env, exports);
  mce::TxSocket::Init(env, exports);
  mce::IfaceEvents::Init(env, exports);
  return exports;
}

NODE_API_MODULE(multicast_expert, Init)
