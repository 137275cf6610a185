// The native half of McastTxSocket: one OS socket, set up for multicast out of one interface, that
// sends one datagram or a batch per call without blocking; a datagram may name a route of its own
// (another interface and its source address, see TxRoute). When the socket buffer is full, JavaScript
// asks to be told when it drains (waitWritable) and retries.
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>
#include <vector>

#include "addon.h"
#include "os/tx_writer.h"
#include "os/unique_socket.h"

namespace mce {

class TxSocket : public Napi::ObjectWrap<TxSocket>, public HandleOwner {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // new TxSocket({ family, ifindex, ifaceAddress?, bindAddress?, port, ttl, externalLoopback,
  //                ifaceIsLoopback })
  explicit TxSocket(const Napi::CallbackInfo& info);
  ~TxSocket() override;
  void CloseHandles() override;

 private:
  Napi::Value SetDestination(const Napi::CallbackInfo& info);
  Napi::Value SetRoute(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendBatch(const Napi::CallbackInfo& info);
  Napi::Value WaitWritable(const Napi::CallbackInfo& info);
  Napi::Value Retarget(const Napi::CallbackInfo& info);
  Napi::Value Address(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  void CheckOpen(Napi::Env env) const;
  const SockAddr& Destination(Napi::Env env, uint32_t id) const;
  // Route `id` (0: none, the socket's own interface).
  const TxRoute* Route(Napi::Env env, uint32_t id) const;
  // The destination of a datagram on `route`: a link- or interface-local group is addressed on the
  // route's interface (held in `scoped`).
  static const SockAddr* OnRoute(const SockAddr& destination, const TxRoute* route, SockAddr& scoped);
  static void OnWritable(uv_poll_t* handle, int status, int events);

  AddonData* data_;
  int family_ = AF_INET;
  uint32_t ifindex_ = 0;
  bool externalLoopback_ = false;
  bool closed_ = false;
  UniqueSocket socket_;
  std::vector<SockAddr> destinations_;
  std::vector<TxRoute> routes_;  // route id n is routes_[n - 1]
  uv_poll_t* poll_ = nullptr;
  Napi::FunctionReference onWritable_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;
};

}  // namespace mce
