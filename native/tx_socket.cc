#include "tx_socket.h"

#include "errors.h"
#include "js_convert.h"
#include "os/mcast_sockopt.h"
#include "os/tx_writer.h"
#include "os/udp_socket.h"

namespace mce {
namespace {

// The bytes of a Uint8Array (a Buffer is one). One Node-API call: this runs once per datagram.
void BytesOf(Napi::Env env, napi_value v, const unsigned char*& data, size_t& length) {
  napi_typedarray_type type;
  void* bytes = nullptr;
  if (napi_get_typedarray_info(env, v, &type, &length, &bytes, nullptr, nullptr) != napi_ok || type != napi_uint8_array)
    throw Napi::TypeError::New(env, "data must be a Uint8Array");
  data = static_cast<const unsigned char*>(bytes);
}

}  // namespace

void TxSocket::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "TxSocket",
                                    {
                                        InstanceMethod("setDestination", &TxSocket::SetDestination),
                                        InstanceMethod("setRoute", &TxSocket::SetRoute),
                                        InstanceMethod("send", &TxSocket::Send),
                                        InstanceMethod("sendBatch", &TxSocket::SendBatch),
                                        InstanceMethod("waitWritable", &TxSocket::WaitWritable),
                                        InstanceMethod("retarget", &TxSocket::Retarget),
                                        InstanceMethod("address", &TxSocket::Address),
                                        InstanceMethod("close", &TxSocket::Close),
                                    });
  AddonData::Of(env)->txConstructor = Napi::Persistent(ctor);
  exports.Set("TxSocket", ctor);
}

TxSocket::TxSocket(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<TxSocket>(info), data_(AddonData::Of(info.Env())) {
  Napi::Env env = info.Env();
  Napi::Object o = ArgObject(info, 0, "options");
  uint32_t family = PropUint32(o, "family", 4);
  if (family != 4 && family != 6) throw Napi::RangeError::New(env, "family must be 4 or 6");
  family_ = family == 4 ? AF_INET : AF_INET6;
  ifindex_ = PropUint32(o, "ifindex", 0);
  uint32_t port = PropUint32(o, "port", 0);
  if (port > 65535) throw Napi::RangeError::New(env, "port must be 0..65535");
  uint32_t ttl = PropUint32(o, "ttl", 1);
  if (ttl > 255) throw Napi::RangeError::New(env, "ttl must be 0..255");
  bool externalLoopback = PropBool(o, "externalLoopback", false);
  externalLoopback_ = externalLoopback;
  bool ifaceIsLoopback = PropBool(o, "ifaceIsLoopback", false);

  SockAddr ifaceAddr;
  bool hasIfaceAddr = false;
  Napi::Value ia = o.Get("ifaceAddress");
  if (ia.IsString()) {
    if (!ParseAddress(ia.As<Napi::String>().Utf8Value(), 0, ifindex_, ifaceAddr))
      throw Napi::TypeError::New(env, "ifaceAddress must be a numeric IP address");
    hasIfaceAddr = true;
  }
  SockAddr bindAddr = SockAddr::Any(family_, static_cast<uint16_t>(port));
  Napi::Value ba = o.Get("bindAddress");
  if (ba.IsString()) {
    if (!ParseAddress(ba.As<Napi::String>().Utf8Value(), static_cast<uint16_t>(port), ifindex_, bindAddr))
      throw Napi::TypeError::New(env, "bindAddress must be a numeric IP address");
  }
  if (bindAddr.family() != family_) throw Napi::TypeError::New(env, "bindAddress family mismatch");

  ThrowIfFailed(env, OpenUdpSocket(family_, socket_));
  ThrowIfFailed(env, SetMulticastInterface(socket_.get(), family_, ifindex_, hasIfaceAddr ? &ifaceAddr : nullptr));
  ThrowIfFailed(env, SetMulticastTtl(socket_.get(), family_, static_cast<int>(ttl)));
  ThrowIfFailed(env, ApplyTxLoopback(socket_.get(), family_, externalLoopback, ifaceIsLoopback));
  ThrowIfFailed(env, BindSocket(socket_.get(), bindAddr));
  asyncContext_.reset(new Napi::AsyncContext(env, "MulticastTxSocket", info.This().As<Napi::Object>()));
  data_->Register(this);
  Ref();
}

TxSocket::~TxSocket() { CloseHandles(); }

void TxSocket::CloseHandles() {
  if (closed_) return;
  closed_ = true;
  data_->Unregister(this);
  ClosePollThenSocket(data_, poll_, std::move(socket_));
}

void TxSocket::CheckOpen(Napi::Env env) const {
  if (closed_) throw Napi::Error::New(env, "socket is closed");
}

const SockAddr& TxSocket::Destination(Napi::Env env, uint32_t id) const {
  if (id >= destinations_.size()) throw Napi::RangeError::New(env, "unknown destination id");
  return destinations_[id];
}

// setDestination(id, group, port): slot `id` of the destination table means group:port from now on
// (parsed once; sends name the id). `id` is an existing slot or the next one. JavaScript decides which
// slot a destination takes (lib/tx-destinations.ts) and never reuses one that a send in flight names.
Napi::Value TxSocket::SetDestination(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id = ArgUint32(info, 0, "id");
  uint32_t port = ArgUint32(info, 2, "port");
  if (port == 0 || port > 65535) throw Napi::RangeError::New(env, "port must be 1..65535");
  SockAddr group = ArgAddress(info, 1, "group", static_cast<uint16_t>(port));
  if (group.family() != family_) throw Napi::TypeError::New(env, "group family mismatch");
  if (id > destinations_.size()) throw Napi::RangeError::New(env, "id must name a slot or the next one");
  // Link- and interface-local IPv6 groups are addressed on our interface.
  if (GroupNeedsScope(group)) group.v6()->sin6_scope_id = ifindex_;
  if (id == destinations_.size())
    destinations_.push_back(group);
  else
    destinations_[id] = group;
  return env.Undefined();
}

// setRoute(id, ifindex, source): route `id` (1.., an existing one or the next) means "out of
// interface `ifindex`, from `source`" from now on. JavaScript gives each interface a route id
// (lib/tx/routes.ts) and sets it again when the interface comes back under a new index.
Napi::Value TxSocket::SetRoute(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id = ArgUint32(info, 0, "id");
  uint32_t ifindex = ArgUint32(info, 1, "ifindex");
  if (ifindex == 0) throw Napi::RangeError::New(env, "ifindex must name an interface");
  SockAddr source = ArgAddress(info, 2, "source", 0, ifindex);
  if (source.family() != family_) throw Napi::TypeError::New(env, "source family mismatch");
  if (id == 0 || id > routes_.size() + 1) throw Napi::RangeError::New(env, "id must name a route (1..) or the next one");
  TxRoute route;
  route.ifindex = ifindex;
  route.source = source;
  if (id == routes_.size() + 1)
    routes_.push_back(route);
  else
    routes_[id - 1] = route;
  return env.Undefined();
}

const TxRoute* TxSocket::Route(Napi::Env env, uint32_t id) const {
  if (id == 0) return nullptr;
  if (id > routes_.size()) throw Napi::RangeError::New(env, "unknown route id");
  return &routes_[id - 1];
}

const SockAddr* TxSocket::OnRoute(const SockAddr& destination, const TxRoute* route, SockAddr& scoped) {
  if (route == nullptr || !GroupNeedsScope(destination)) return &destination;
  scoped = destination;
  scoped.v6()->sin6_scope_id = route->ifindex;
  return &scoped;
}

// send(id, data, route = 0) -> true when the kernel took it, false when the socket buffer is full.
Napi::Value TxSocket::Send(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2) throw Napi::TypeError::New(env, "missing argument: data");
  uint32_t id = ArgUint32(info, 0, "destination");
  uint32_t routeId = info.Length() > 2 ? ArgUint32(info, 2, "route") : 0;
  TxDatagram d{nullptr, 0, nullptr};
  BytesOf(env, info[1], d.data, d.length);
  // Nothing above runs JavaScript: the pointers taken stay valid through the send.
  CheckOpen(env);
  d.destination = &Destination(env, id);
  d.route = Route(env, routeId);
  bool wouldBlock = false;
  if (d.route == nullptr) {
    ThrowIfFailed(env, SendDatagram(socket_.get(), d, wouldBlock));
  } else {
    SockAddr scoped;
    d.destination = OnRoute(*d.destination, d.route, scoped);
    ThrowIfFailed(env, SendDatagram(socket_.get(), d, wouldBlock));
  }
  return Napi::Boolean::New(env, !wouldBlock);
}

// sendBatch(ids: Uint32Array, datas: Uint8Array[], start, routes?: Uint32Array) -> how many from
// `start` the kernel took. `routes` (route ids, 0: none) is left out when no datagram has one.
Napi::Value TxSocket::SendBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  if (info.Length() < 3 || !info[0].IsTypedArray() || !info[1].IsArray())
    throw Napi::TypeError::New(env, "sendBatch(ids: Uint32Array, datas: Uint8Array[], start, routes?: Uint32Array)");
  if (info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    throw Napi::TypeError::New(env, "ids must be a Uint32Array");
  bool routed = info.Length() > 3 && !info[3].IsUndefined();
  if (routed && (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array))
    throw Napi::TypeError::New(env, "routes must be a Uint32Array");
  Napi::Array datas = info[1].As<Napi::Array>();
  uint32_t start = ArgUint32(info, 2, "start");
  // First every JavaScript value: reading an element can run a getter, and a getter can do anything
  // (add destinations, close this socket, detach a buffer). No pointer into native state or into a
  // buffer is taken until the last one is read.
  size_t count = datas.Length();
  if (start > count) throw Napi::RangeError::New(env, "start is past the end");
  std::vector<napi_value> values;
  values.reserve(count - start);
  for (size_t i = start; i < count; i++) values.push_back(datas.Get(static_cast<uint32_t>(i)));
  // Then the pointers, with no JavaScript in between, and the send.
  CheckOpen(env);
  Napi::Uint32Array ids = info[0].As<Napi::Uint32Array>();
  if (ids.ElementLength() != count) throw Napi::RangeError::New(env, "ids and datas differ in length");
  Napi::Uint32Array routes = routed ? info[3].As<Napi::Uint32Array>() : Napi::Uint32Array();
  if (routed && routes.ElementLength() != count) throw Napi::RangeError::New(env, "routes and datas differ in length");
  std::vector<TxDatagram> batch;
  batch.reserve(values.size());
  // Link-local destinations readdressed to their route's interface; sized once, so that the
  // pointers into it stay valid.
  std::vector<SockAddr> scoped(routed ? values.size() : 0);
  for (size_t i = start; i < count; i++) {
    TxDatagram d{nullptr, 0, &Destination(env, ids[i])};
    if (routed) {
      d.route = Route(env, routes[i]);
      d.destination = OnRoute(*d.destination, d.route, scoped[i - start]);
    }
    BytesOf(env, values[i - start], d.data, d.length);
    batch.push_back(d);
  }
  size_t sent = 0;
  SysError error = SendDatagrams(socket_.get(), batch, sent);
  if (error) {
    Napi::Error err = MakeOsError(env, error);
    err.Set("sent", Napi::Number::New(env, static_cast<double>(sent)));
    throw err;
  }
  return Napi::Number::New(env, static_cast<double>(sent));
}

// waitWritable(callback): calls back once when the socket buffer has room (or with an error).
Napi::Value TxSocket::WaitWritable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  onWritable_ = Napi::Persistent(ArgFunction(info, 0, "callback"));
  if (poll_ == nullptr) {
    auto* poll = new uv_poll_t;
    int rc = uv_poll_init_socket(data_->loop(), poll, socket_.get());
    if (rc != 0) {
      delete poll;
      throw MakeOsError(env, SysError{rc, "uv_poll_init_socket"});
    }
    data_->HandleOpened();
    poll->data = this;
    poll_ = poll;
  }
  int rc = uv_poll_start(poll_, UV_WRITABLE, &TxSocket::OnWritable);
  if (rc != 0) throw MakeOsError(env, SysError{rc, "uv_poll_start"});
  return env.Undefined();
}

void TxSocket::OnWritable(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<TxSocket*>(handle->data);
  uv_poll_stop(handle);
  if (self->closed_ || self->data_->exiting() || self->onWritable_.IsEmpty()) return;
  Napi::Env env = self->Env();
  CallIntoJs(env, [&]() {
    Napi::HandleScope scope(env);
    Napi::Object me = self->Value();
    Napi::Value arg = status < 0 ? MakeOsError(env, SysError{status, "uv_poll"}).Value() : env.Null();
    Napi::Function fn = self->onWritable_.Value();
    self->onWritable_.Reset();
    fn.MakeCallback(me, {arg}, *self->asyncContext_);
  });
}

// retarget(ifindex, ifaceAddress | null, ifaceIsLoopback): datagrams leave from interface `ifindex`
// from now on. For an interface that came back under a new index, or whose address changed (Linux
// keeps the IPv4 address given with IP_MULTICAST_IF as the source, and refuses to send once it is
// gone). Destinations of link- and interface-local IPv6 groups move with it.
Napi::Value TxSocket::Retarget(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  uint32_t ifindex = ArgUint32(info, 0, "ifindex");
  SockAddr ifaceAddr;
  bool hasIfaceAddr = info.Length() > 1 && info[1].IsString();
  if (hasIfaceAddr) ifaceAddr = ArgAddress(info, 1, "ifaceAddress", 0, ifindex);
  bool ifaceIsLoopback = ArgBool(info, 2, "ifaceIsLoopback");
  ThrowIfFailed(env, SetMulticastInterface(socket_.get(), family_, ifindex, hasIfaceAddr ? &ifaceAddr : nullptr));
  ThrowIfFailed(env, ApplyTxLoopback(socket_.get(), family_, externalLoopback_, ifaceIsLoopback));
  ifindex_ = ifindex;
  for (SockAddr& d : destinations_)
    if (GroupNeedsScope(d)) d.v6()->sin6_scope_id = ifindex;
  return env.Undefined();
}

// address() -> [address, port]
Napi::Value TxSocket::Address(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckOpen(env);
  SockAddr local;
  ThrowIfFailed(env, LocalAddress(socket_.get(), local));
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, AddressToJs(env, local));
  uint16_t port = local.family() == AF_INET ? ntohs(local.v4()->sin_port) : ntohs(local.v6()->sin6_port);
  out.Set(1u, Napi::Number::New(env, port));
  return out;
}

Napi::Value TxSocket::Close(const Napi::CallbackInfo& info) {
  bool wasOpen = !closed_;
  CloseHandles();
  onWritable_.Reset();
  if (wasOpen) Unref();
  return info.Env().Undefined();
}

}  // namespace mce
