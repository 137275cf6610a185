#include "iface_events.h"

#include "errors.h"
#include "js_convert.h"

namespace mce {

void IfaceEvents::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "IfaceEvents", {InstanceMethod("close", &IfaceEvents::Close)});
  exports.Set("IfaceEvents", ctor);
}

IfaceEvents::IfaceEvents(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<IfaceEvents>(info), data_(AddonData::Of(info.Env())) {
  Napi::Env env = info.Env();
  onChange_ = Napi::Persistent(ArgFunction(info, 0, "onChange"));
  asyncContext_.reset(new Napi::AsyncContext(env, "MulticastIfaceEvents", info.This().As<Napi::Object>()));

  if (IfaceEventSource::CallsBack()) {
    // The OS may call back before Open returns: the async handle must exist first.
    auto* async = new uv_async_t;
    int rc = uv_async_init(data_->loop(), async, &IfaceEvents::OnAsync);
    if (rc != 0) {
      delete async;
      throw MakeOsError(env, SysError{rc, "uv_async_init"});
    }
    data_->HandleOpened();
    async->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(async));
    SysError error = source_.Open(&IfaceEvents::WakeFromOsThread, async);
    if (error) {
      CloseAndDelete(data_, async);
      throw MakeOsError(env, error);
    }
    async_ = async;
  } else {
    ThrowIfFailed(env, source_.Open(nullptr, nullptr));
    auto* poll = new uv_poll_t;
    int rc = uv_poll_init_socket(data_->loop(), poll, source_.descriptor());
    if (rc != 0) {
      delete poll;
      // source_ closes its descriptor when this half-built object goes.
      throw MakeOsError(env, SysError{rc, "uv_poll_init_socket"});
    }
    data_->HandleOpened();
    poll->data = this;
    poll_ = poll;
    // Watching is never a reason to keep the process running, like a timer with unref().
    uv_unref(reinterpret_cast<uv_handle_t*>(poll));
    rc = uv_poll_start(poll_, UV_READABLE, &IfaceEvents::OnPoll);
    if (rc != 0) {
      CloseHandles();
      throw MakeOsError(env, SysError{rc, "uv_poll_start"});
    }
    polling_ = true;
  }
  data_->Register(this);
  // The JavaScript object must outlive every callback of its handles: held until close().
  Ref();
}

IfaceEvents::~IfaceEvents() { CloseHandles(); }

void IfaceEvents::CloseHandles() {
  if (closed_) return;
  closed_ = true;
  data_->Unregister(this);
  if (poll_ != nullptr) {
    StopPolling();
    ClosePollThenSocket(data_, poll_, source_.Close());
  }
  if (async_ != nullptr) {
    // Once Close returns, no OS thread touches the async handle any more.
    (void)source_.Close();
    CloseAndDelete(data_, async_);
    async_ = nullptr;
  }
}

void IfaceEvents::StopPolling() {
  if (!polling_ || poll_ == nullptr) return;
  uv_poll_stop(poll_);
  polling_ = false;
}

void IfaceEvents::WakeFromOsThread(void* context) {
  // uv_async_send is the one libuv call that is safe from any thread; wakes coalesce.
  (void)uv_async_send(static_cast<uv_async_t*>(context));
}

void IfaceEvents::OnAsync(uv_async_t* handle) {
  auto* self = static_cast<IfaceEvents*>(handle->data);
  if (self->closed_ || self->data_->exiting()) return;
  self->Notify(SysError{});
}

void IfaceEvents::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<IfaceEvents*>(handle->data);
  if (self->closed_ || self->data_->exiting()) return;
  if (status < 0) {
    self->StopPolling();
    self->Notify(SysError{status, "uv_poll"});
    return;
  }
  if ((events & UV_READABLE) == 0) return;
  bool changed = false;
  SysError error = self->source_.Drain(changed);
  if (error) {
    self->StopPolling();
    self->Notify(error);
    return;
  }
  if (changed) self->Notify(SysError{});
}

void IfaceEvents::Notify(const SysError& error) {
  if (closed_ || data_->exiting()) return;
  Napi::Env env = Env();
  // Everything that can throw (the scope, the error object, the call) runs inside the guard: a C++
  // exception must not reach libuv, which called us.
  CallIntoJs(env, [&]() {
    Napi::HandleScope scope(env);
    // A local handle keeps the JavaScript object (and so this) alive through the call.
    Napi::Object self = Value();
    Napi::Value arg = error ? MakeOsError(env, error).Value() : env.Null();
    onChange_.MakeCallback(self, {arg}, *asyncContext_);
  });
}

Napi::Value IfaceEvents::Close(const Napi::CallbackInfo& info) {
  bool wasOpen = !closed_;
  CloseHandles();
  if (wasOpen) Unref();
  return info.Env().Undefined();
}

}  // namespace mce
