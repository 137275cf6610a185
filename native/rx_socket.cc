#include "rx_socket.h"

#include <algorithm>

#include "errors.h"
#include "js_convert.h"

namespace mce {
namespace {

// More than this many datagrams in one wake-up and the loop gets a turn before we read on.
constexpr size_t kMaxPerWakeup = 4096;

// An address list argument: null or undefined is none.
std::vector<SockAddr> ArgAddressList(const Napi::CallbackInfo& info, size_t i, const char* what) {
  std::vector<SockAddr> out;
  if (i >= info.Length() || info[i].IsUndefined() || info[i].IsNull()) return out;
  if (!info[i].IsArray()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an array");
  Napi::Array list = info[i].As<Napi::Array>();
  for (uint32_t k = 0; k < list.Length(); k++) {
    Napi::Value v = list.Get(k);
    SockAddr a;
    if (!v.IsString() || !ParseAddress(v.As<Napi::String>().Utf8Value(), 0, 0, a))
      throw Napi::TypeError::New(info.Env(), std::string(what) + " must hold numeric IP addresses");
    out.push_back(a);
  }
  return out;
}

}  // namespace

void RxSocket::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "RxSocket",
                                    {
                                        InstanceMethod("setMembership", &RxSocket::SetMembership),
                                        InstanceMethod("dropMembership", &RxSocket::DropMembership),
                                        InstanceMethod("reply", &RxSocket::Reply),
                                        InstanceMethod("pause", &RxSocket::Pause),
                                        InstanceMethod("resume", &RxSocket::Resume),
                                        InstanceMethod("setKeepAlive", &RxSocket::SetKeepAlive),
                                        InstanceMethod("stats", &RxSocket::Stats),
                                        InstanceMethod("socketCount", &RxSocket::SocketCount),
                                        InstanceMethod("close", &RxSocket::Close),
                                    });
  AddonData::Of(env)->rxConstructor = Napi::Persistent(ctor);
  exports.Set("RxSocket", ctor);
  exports.Set("rxRecordWords", Napi::Number::New(env, kRecordWords));
}

RxSocket::RxSocket(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<RxSocket>(info), data_(AddonData::Of(info.Env())) {
  Napi::Env env = info.Env();
  Napi::Object options = ArgObject(info, 0, "options");
  uint32_t family = PropUint32(options, "family", 4);
  if (family != 4 && family != 6) throw Napi::RangeError::New(env, "family must be 4 or 6");
  settings_.family = family == 4 ? AF_INET : AF_INET6;
  uint32_t port = PropUint32(options, "port", 0);
  if (port == 0 || port > 65535) throw Napi::RangeError::New(env, "port must be 1..65535");
  port_ = static_cast<uint16_t>(port);
  uint32_t maxMessageSize = PropUint32(options, "maxMessageSize", 65535);
  if (maxMessageSize == 0 || maxMessageSize > 65535)
    throw Napi::RangeError::New(env, "maxMessageSize must be 1..65535");
  maxMessageSize_ = maxMessageSize;
  uint32_t rcvbuf = PropUint32(options, "receiveBufferSize", 0);
  if (rcvbuf > 0x7fffffff) throw Napi::RangeError::New(env, "receiveBufferSize is too large");
  settings_.receiveBufferSize = static_cast<int>(rcvbuf);
  settings_.timestamps = PropBool(options, "timestamps", false);
  settings_.externalLoopback = PropBool(options, "externalLoopback", false);
  keepAlive_ = PropBool(options, "keepAlive", true);
  uint32_t coalesceDatagrams = PropUint32(options, "coalesceDatagrams", 0);
  uint32_t coalesceMicros = PropUint32(options, "coalesceMicros", 0);
  if (coalesceDatagrams > kMaxPerWakeup) throw Napi::RangeError::New(env, "coalesceDatagrams is too large");
  if (coalesceMicros > 1000000) throw Napi::RangeError::New(env, "coalesceMicros must be at most 1000000");

  if (info.Length() < 2 || !info[1].IsArrayBuffer())
    throw Napi::TypeError::New(env, "meta must be an ArrayBuffer");
  Napi::ArrayBuffer meta = info[1].As<Napi::ArrayBuffer>();
  // Records are gathered natively (RxBatch) before they are copied into meta: a larger buffer than
  // a wake-up can fill would only cost memory.
  size_t maxRecords = std::min(meta.ByteLength() / (kRecordWords * sizeof(uint32_t)), kMaxPerWakeup);
  if (maxRecords < RxReader::BatchLimit())
    throw Napi::RangeError::New(env, "meta is too small for one batch");
  batch_.reset(new RxBatch(maxRecords));
  coalesceDatagrams_ = coalesceDatagrams;
  coalesceMicros_ = coalesceMicros;
  onBatch_ = Napi::Persistent(ArgFunction(info, 2, "onBatch"));
  onError_ = Napi::Persistent(ArgFunction(info, 3, "onError"));
  metaRef_ = Napi::Persistent(meta);
  asyncContext_.reset(new Napi::AsyncContext(env, "MulticastRxSocket", info.This().As<Napi::Object>()));

  check_ = new uv_check_t;
  int rc = uv_check_init(data_->loop(), check_);
  if (rc != 0) {
    delete check_;
    check_ = nullptr;
    throw MakeOsError(env, SysError{rc, "uv_check_init"});
  }
  check_->data = this;
  // Flushing a batch is never a reason to keep the process running.
  uv_unref(reinterpret_cast<uv_handle_t*>(check_));
  data_->HandleOpened();
  if (coalesceDatagrams_ > 0) {
    SysError error = holdTimer_.Open(data_, &RxSocket::OnHoldExpired, this);
    if (error) {
      CloseAndDelete(data_, check_);
      check_ = nullptr;
      throw MakeOsError(env, error);
    }
    holdTimer_.SetKeepAlive(keepAlive_);
  }
  data_->Register(this);
  // The JavaScript object must outlive every callback of its handles: held until close().
  Ref();
}

RxSocket::~RxSocket() { CloseHandles(); }

void RxSocket::CloseHandles() {
  filters_.CloseAll();
  holdTimer_.Close();
  if (check_ != nullptr) {
    if (checkActive_) uv_check_stop(check_);
    checkActive_ = false;
    CloseAndDelete(data_, check_);
    check_ = nullptr;
    data_->Unregister(this);
  }
  closed_ = true;
  if (batch_) batch_->Drop();
}

// ---- Memberships ---------------------------------------------------------------------------------

// setMembership(groupId, group, ifindex, ifaceAddress | null, sources: string[] | null, blocked: string[]):
// the filter of (groupId, ifindex) becomes exactly this, in the OS too (null sources: any source).
Napi::Value RxSocket::SetMembership(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Every argument is read before the table is touched.
  RxFilterSpec spec;
  spec.groupId = ArgUint32(info, 0, "groupId");
  spec.group = ArgAddress(info, 1, "group");
  spec.ifindex = ArgUint32(info, 2, "ifindex");
  SockAddr ifaceAddress;
  if (info.Length() > 3 && info[3].IsString()) {
    ifaceAddress = ArgAddress(info, 3, "ifaceAddress", port_, spec.ifindex);
    spec.ifaceAddress = &ifaceAddress;
  }
  spec.anySource = info.Length() <= 4 || info[4].IsNull() || info[4].IsUndefined();
  spec.sources = ArgAddressList(info, 4, "sources");
  spec.blocked = ArgAddressList(info, 5, "blocked");
  if (spec.group.family() != settings_.family) throw Napi::TypeError::New(env, "group family mismatch");
  for (const auto* list : {&spec.sources, &spec.blocked})
    for (const SockAddr& s : *list)
      if (s.family() != settings_.family) throw Napi::TypeError::New(env, "source family mismatch");
  if (closed_) throw Napi::Error::New(env, "socket is closed");
  RxFilterError error = filters_.Set(spec);
  if (error.refused != nullptr) throw Napi::Error::New(env, error.refused);
  ThrowIfFailed(env, error.os);
  return env.Undefined();
}

// dropMembership(groupId, ifindex): true if there was such a membership.
Napi::Value RxSocket::DropMembership(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t groupId = ArgUint32(info, 0, "groupId");
  uint32_t ifindex = ArgUint32(info, 1, "ifindex");
  if (closed_) return Napi::Boolean::New(env, false);
  SysError error;
  bool found = filters_.Drop(groupId, ifindex, error);
  ThrowIfFailed(env, error);
  return Napi::Boolean::New(env, found);
}

SysError RxSocket::Attach(Endpoint& endpoint) {
  auto* poll = new uv_poll_t;
  int rc = uv_poll_init_socket(data_->loop(), poll, endpoint.socket.get());
  if (rc != 0) {
    delete poll;
    return SysError{rc, "uv_poll_init_socket"};
  }
  data_->HandleOpened();
  poll->data = &endpoint;
  endpoint.poll = poll;
  ApplyKeepAlive(endpoint);
  return StartPolling(endpoint);
}

void RxSocket::Detach(Endpoint& endpoint) {
  uint64_t drops = 0;
  if (ReadKernelDrops(endpoint.socket.get(), drops))
    dropsOfClosedEndpoints_ += drops;
  else
    dropsOfClosedEndpoints_ += endpoint.lastDropCount;
  StopPolling(endpoint);
  ClosePollThenSocket(data_, endpoint.poll, std::move(endpoint.socket));
}

// ---- Replies -------------------------------------------------------------------------------------

// A reply leaves from one of the receiver's own OS sockets: it has the receiver's port, and opening a
// new socket on that port would change who gets the port's datagrams (on Linux a socket bound to
// the wildcard address with SO_REUSEADDR or SO_REUSEPORT takes unicast from, or shares it with,
// another program on the port). These sockets are bound to a group (Linux, macOS), which the kernel
// never uses as a source, or to the interface's address (Windows): the packet info of the datagram
// names interface and source. Preferred: the socket the group arrived on; else any socket that
// listens on the interface (on Windows the only one bound to its address).
RxSocket::Endpoint* RxSocket::ReplySocket(uint32_t ifindex, const SockAddr& group) {
  Endpoint* onIface = nullptr;
  for (auto& e : filters_.endpoints()) {
    if (e->Holds(ifindex, &group)) return e.get();
    if (onIface == nullptr && e->Holds(ifindex, nullptr)) onIface = e.get();
  }
  return onIface;
}

namespace {

// An address that means nothing without an interface: fe80::/10, and link- and interface-local groups.
bool NeedsScope(const SockAddr& a) {
  if (a.family() != AF_INET6) return false;
  const unsigned char* b = a.bytes();
  return GroupNeedsScope(a) || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

// What reply() returns.
enum ReplyResult : uint32_t { kReplySent = 0, kReplyWouldBlock = 1, kReplyNoSocket = 2 };

}  // namespace

// reply(group, ifindex, source, destination, port, data, ttl, externalLoopback, ifaceIsLoopback)
//   -> 0 sent, 1 the socket buffer is full (try again), 2 no socket of this receiver listens on
//      `ifindex`.
// Sends `data` to destination:port out of interface `ifindex` from address `source`, with TTL (hop
// limit) `ttl`, from the socket that receives `group` there.
Napi::Value RxSocket::Reply(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Every argument is read before a pointer is taken.
  SockAddr group = ArgAddress(info, 0, "group");
  uint32_t ifindex = ArgUint32(info, 1, "ifindex");
  if (ifindex == 0) throw Napi::RangeError::New(env, "ifindex must name an interface");
  TxRoute route;
  route.ifindex = ifindex;
  route.source = ArgAddress(info, 2, "source", 0, ifindex);
  uint32_t port = ArgUint32(info, 4, "port");
  if (port == 0 || port > 65535) throw Napi::RangeError::New(env, "port must be 1..65535");
  SockAddr destination = ArgAddress(info, 3, "destination", static_cast<uint16_t>(port));
  if (NeedsScope(destination)) destination.v6()->sin6_scope_id = ifindex;
  uint32_t ttl = ArgUint32(info, 6, "ttl");
  if (ttl == 0 || ttl > 255) throw Napi::RangeError::New(env, "ttl must be 1..255");
  bool externalLoopback = ArgBool(info, 7, "externalLoopback");
  bool ifaceIsLoopback = ArgBool(info, 8, "ifaceIsLoopback");
  for (const SockAddr* a : {&group, &route.source, &destination})
    if (a->family() != settings_.family) throw Napi::TypeError::New(env, "address family mismatch");
  if (info.Length() < 6) throw Napi::TypeError::New(env, "missing argument: data");
  TxDatagram d{nullptr, 0, &destination, &route};
  napi_typedarray_type type;
  void* bytes = nullptr;
  if (napi_get_typedarray_info(env, info[5], &type, &d.length, &bytes, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array)
    throw Napi::TypeError::New(env, "data must be a Uint8Array");
  d.data = static_cast<const unsigned char*>(bytes);
  // No JavaScript runs from here on: the pointers stay valid through the send.
  if (closed_) throw Napi::Error::New(env, "socket is closed");
  Endpoint* endpoint = ReplySocket(ifindex, group);
  if (endpoint == nullptr) return Napi::Number::New(env, kReplyNoSocket);
  socket_t s = endpoint->socket.get();
  if (endpoint->replyTtl != static_cast<int>(ttl)) {
    // A reply to a group and one to a sender's address: both get the TTL asked for.
    ThrowIfFailed(env, SetMulticastTtl(s, settings_.family, static_cast<int>(ttl)));
    ThrowIfFailed(env, SetUnicastTtl(s, settings_.family, static_cast<int>(ttl)));
    endpoint->replyTtl = static_cast<int>(ttl);
  }
  // Whether this host's other receivers hear the reply: the receiver's externalLoopback, applied as a
  // sender applies it (on the loopback interface each OS needs its own setting).
  int loop = (externalLoopback ? 1 : 0) | (ifaceIsLoopback ? 2 : 0);
  if (endpoint->replyLoop != loop) {
    ThrowIfFailed(env, ApplyTxLoopback(s, settings_.family, externalLoopback, ifaceIsLoopback));
    endpoint->replyLoop = loop;
  }
  bool wouldBlock = false;
  ThrowIfFailed(env, SendDatagram(s, d, wouldBlock));
  return Napi::Number::New(env, wouldBlock ? kReplyWouldBlock : kReplySent);
}

// ---- Polling -------------------------------------------------------------------------------------

SysError RxSocket::StartPolling(Endpoint& e) {
  if (e.polling || paused_ || holding_ || closed_ || e.poll == nullptr) return {};
  int rc = uv_poll_start(e.poll, UV_READABLE, &RxSocket::OnPoll);
  if (rc != 0) return SysError{rc, "uv_poll_start"};
  e.polling = true;
  return {};
}

void RxSocket::StopPolling(Endpoint& e) {
  if (!e.polling || e.poll == nullptr) return;
  uv_poll_stop(e.poll);
  e.polling = false;
}

void RxSocket::ApplyKeepAlive(Endpoint& e) {
  if (e.poll == nullptr) return;
  if (keepAlive_)
    uv_ref(reinterpret_cast<uv_handle_t*>(e.poll));
  else
    uv_unref(reinterpret_cast<uv_handle_t*>(e.poll));
}

Napi::Value RxSocket::Pause(const Napi::CallbackInfo& info) {
  paused_ = true;
  for (auto& e : filters_.endpoints()) StopPolling(*e);
  return info.Env().Undefined();
}

Napi::Value RxSocket::Resume(const Napi::CallbackInfo& info) {
  paused_ = false;
  SysError failed;
  for (auto& e : filters_.endpoints()) {
    SysError error = StartPolling(*e);
    if (error && !failed) failed = error;
  }
  // As a failed read: the receiver's error path (an 'error' event, a rejected receive()) says so.
  if (failed) ReportError(failed);
  return info.Env().Undefined();
}

// setKeepAlive(bool): whether this receiver keeps the event loop (and so the process) running.
Napi::Value RxSocket::SetKeepAlive(const Napi::CallbackInfo& info) {
  keepAlive_ = ArgBool(info, 0, "keepAlive");
  for (auto& e : filters_.endpoints()) ApplyKeepAlive(*e);
  holdTimer_.SetKeepAlive(keepAlive_);
  return info.Env().Undefined();
}

void RxSocket::OnPoll(uv_poll_t* handle, int status, int events) {
  auto* endpoint = static_cast<Endpoint*>(handle->data);
  auto* self = static_cast<RxSocket*>(endpoint->host);
  if (self->closed_ || self->data_->exiting()) return;
  if (status < 0) {
    self->StopPolling(*endpoint);
    self->ReportError(SysError{status, "uv_poll"});
    return;
  }
  if (events & UV_READABLE) self->OnReadable(*endpoint);
}

void RxSocket::OnReadable(Endpoint& endpoint) {
  size_t budget = kMaxPerWakeup;
  while (budget > 0) {
    if (batch_->full()) {
      // The poll is level-triggered: whatever is left wakes us again on the next turn.
      Flush();
      return;
    }
    bool drained = false;
    SysError error = ReadOnce(endpoint, budget, drained);
    if (error) {
      StopPolling(endpoint);
      Flush();
      if (!closed_) ReportError(error);
      return;
    }
    if (drained) break;
  }
  if (batch_->count() > 0) ScheduleHandOver();
}

SysError RxSocket::ReadOnce(Endpoint& endpoint, size_t& budget, bool& drained) {
  size_t want = std::min(std::min(batch_->recordsLeft(), RxReader::BatchLimit()), budget);
  RxLanding landing = batch_->NextLanding(maxMessageSize_);
  drained = false;
  SysError error = data_->reader().Read(endpoint.socket.get(), landing, maxMessageSize_, want, read_, drained);
  if (error) return error;
  for (const RawDatagram& d : read_) {
    if (d.hasDropCount) endpoint.lastDropCount = d.dropCount;
    uint32_t groupId = 0;
    if (endpoint.Accept(d, groupId)) {
      batch_->Add(landing, d, groupId);
      received_++;
      if (d.truncated) truncated_++;
    } else {
      batch_->Discard(landing, d);
      filtered_++;
    }
  }
  batch_->EndRead(landing, read_);
  budget -= std::min(budget, read_.size());
  if (read_.empty()) drained = true;
  return {};
}

void RxSocket::ScheduleHandOver() {
  if (coalesceDatagrams_ == 0 || batch_->count() >= coalesceDatagrams_) {
    EnsureCheck();
    return;
  }
  // Held back to grow, the way a network card coalesces interrupts: the sockets are not polled
  // while the batch is held (no wake-up per datagram; the kernel queues them), and are read when
  // the time is up. The clock starts with the batch's first datagram (no datagram waits longer).
  if (holdTimer_.armed()) return;
  SysError error = holdTimer_.Arm(coalesceMicros_);
  if (error) {
    // Not held, then: handed over in this turn, and the failure said.
    EnsureCheck();
    ReportError(error);
    return;
  }
  holding_ = true;
  for (auto& e : filters_.endpoints()) StopPolling(*e);
}

void RxSocket::OnHoldExpired(void* socket) {
  auto* self = static_cast<RxSocket*>(socket);
  if (self->closed_ || self->data_->exiting()) return;
  // What queued up while the batch was held joins it, read without calling into JavaScript (so
  // that the endpoints stay as they are while they are gone through), up to a full batch; the
  // rest waits in the kernel for the next turn. A failed read is reported after the hand-over;
  // its endpoint is polled again with the others, and a read that fails again stops it (OnReadable).
  SysError failed;
  if (!self->paused_) {
    for (auto& e : self->filters_.endpoints()) {
      size_t budget = kMaxPerWakeup;
      bool drained = false;
      while (!drained && budget > 0 && !self->batch_->full()) {
        SysError error = self->ReadOnce(*e, budget, drained);
        if (error) {
          if (!failed) failed = error;
          break;
        }
      }
    }
  }
  // Hands the batch over and polls the sockets again (see Flush).
  self->Flush();
  if (failed && !self->closed_) self->ReportError(failed);
}

void RxSocket::EndHold() {
  if (!holding_) return;
  holding_ = false;
  if (closed_) return;
  SysError failed;
  for (auto& e : filters_.endpoints()) {
    SysError error = StartPolling(*e);
    if (error && !failed) failed = error;
  }
  if (failed) ReportError(failed);
}

void RxSocket::EnsureCheck() {
  if (checkActive_ || check_ == nullptr) return;
  // The check phase follows the poll phase of the same loop turn: one hand-over per turn.
  uv_check_start(check_, [](uv_check_t* handle) {
    auto* self = static_cast<RxSocket*>(handle->data);
    uv_check_stop(handle);
    self->checkActive_ = false;
    self->Flush();
  });
  checkActive_ = true;
}

void RxSocket::Flush() {
  // Whatever happens to the batch now, nothing is held any more: once it is handed over, the
  // sockets are polled again (EndHold).
  holdTimer_.Disarm();
  if (batch_->count() == 0) {
    EndHold();
    return;
  }
  if (closed_ || data_->exiting()) {
    batch_->Drop();
    return;
  }
  Napi::Env env = Env();
  bool handedOver = CallIntoJs(env, [&]() {
    Napi::HandleScope scope(env);
    // A local handle keeps the JavaScript object (and so this) alive through the call.
    Napi::Object self = Value();
    size_t count = batch_->count();
    std::vector<napi_value> args{Napi::Number::New(env, static_cast<double>(count))};
    if (!batch_->HandOver(env, metaRef_.Value(), args)) {
      // Nowhere to put the batch: dropped, and reading stops (a resume() starts it again).
      paused_ = true;
      for (auto& e : filters_.endpoints()) StopPolling(*e);
      Napi::Error err = Napi::Error::New(
          env, "the metadata ArrayBuffer was detached or shrunk: " + std::to_string(count) +
                   " datagrams dropped and reading paused; pass a buffer that stays attached");
      err.Set("code", Napi::String::New(env, "ERR_INVALID_STATE"));
      onError_.MakeCallback(self, {err.Value()}, *asyncContext_);
      return;
    }
    onBatch_.MakeCallback(self, args, *asyncContext_);
  });
  // When JavaScript could not take the batch (no JavaScript runs in a terminating worker), it is
  // dropped: the next batch starts empty.
  if (!handedOver) batch_->Drop();
  EndHold();
}

void RxSocket::ReportError(const SysError& error) {
  if (closed_ || data_->exiting()) return;
  Napi::Env env = Env();
  CallIntoJs(env, [&]() {
    Napi::HandleScope scope(env);
    Napi::Object self = Value();
    Napi::Error err = MakeOsError(env, error);
    onError_.MakeCallback(self, {err.Value()}, *asyncContext_);
  });
}

// ---- Stats and close -----------------------------------------------------------------------------

// stats(): [received, kernelDrops, truncated, filtered]
Napi::Value RxSocket::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint64_t drops = dropsOfClosedEndpoints_;
  for (auto& e : filters_.endpoints()) {
    uint64_t d = 0;
    drops += ReadKernelDrops(e->socket.get(), d) ? d : e->lastDropCount;
  }
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(received_)));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(drops)));
  out.Set(2u, Napi::Number::New(env, static_cast<double>(truncated_)));
  out.Set(3u, Napi::Number::New(env, static_cast<double>(filtered_)));
  return out;
}

Napi::Value RxSocket::SocketCount(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(filters_.endpoints().size()));
}

Napi::Value RxSocket::Close(const Napi::CallbackInfo& info) {
  bool wasOpen = check_ != nullptr;
  CloseHandles();
  // No callback can come any more. The callbacks reach this object's JavaScript wrapper (through
  // the receiver's core), so holding them would keep the wrapper, the metadata array and this
  // object alive for ever.
  onBatch_.Reset();
  onError_.Reset();
  metaRef_.Reset();
  batch_->Release();
  if (wasOpen) Unref();
  return info.Env().Undefined();
}

}  // namespace mce
