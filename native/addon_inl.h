#pragma once
#include "addon.h"

namespace mce {

namespace detail {
struct ClosingHandle {
  AddonData* data;
  void* handle;
  void (*freeHandle)(void*);
  std::function<void()> after;
};
}  // namespace detail

template <typename Handle>
void CloseAndDelete(AddonData* data, Handle* handle, std::function<void()> after) {
  auto* closing = new detail::ClosingHandle{
      data, handle, [](void* h) { delete static_cast<Handle*>(h); }, std::move(after)};
  uv_handle_t* h = reinterpret_cast<uv_handle_t*>(handle);
  h->data = closing;
  uv_close(h, [](uv_handle_t* closed) {
    auto* c = static_cast<detail::ClosingHandle*>(closed->data);
    if (c->after) c->after();
    c->freeHandle(c->handle);
    AddonData* d = c->data;
    delete c;
    d->HandleClosed();
  });
}

}  // namespace mce
