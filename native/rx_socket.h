// The native half of McastRxSocket: a set of OS sockets (one per bind plan, see PlanRxBind) that
// together hold the receiver's memberships, polled on the environment's libuv loop. Every datagram is
// read with its packet info, checked against the memberships (group, interface, source) and handed
// to JavaScript in batches, once per loop turn (see rx_batch.h): the bytes in 64 KiB slabs that they
// are read straight into, the facts of each datagram in a shared metadata array whose layout
// lib/native.ts mirrors (kRecordWords words per datagram).
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "rx_batch.h"
#include "os/mcast_membership.h"
#include "os/mcast_sockopt.h"
#include "os/udp_socket.h"
#include "os/unique_socket.h"

namespace mce {

class RxSocket : public Napi::ObjectWrap<RxSocket>, public HandleOwner {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // new RxSocket({ family, port, maxMessageSize, receiveBufferSize, timestamps, externalLoopback },
  //              meta: ArrayBuffer, onBatch(count, ...buffers: ArrayBuffer[]), onError(err))
  explicit RxSocket(const Napi::CallbackInfo& info);
  ~RxSocket() override;
  void CloseHandles() override;

 private:
  struct Membership {
    uint32_t groupId;
    SockAddr group;
    uint32_t ifindex;
    std::vector<SockAddr> sources;  // include list; empty: any source
    std::vector<SockAddr> blocked;  // any-source groups only
  };
  struct Endpoint {
    RxSocket* owner;
    std::string key;
    UniqueSocket socket;
    uv_poll_t* poll = nullptr;
    bool polling = false;
    std::vector<Membership> memberships;
    uint64_t lastDropCount = 0;
  };

  // The membership and source a block()/unblock() call names (membership null if there is none).
  struct SourceRequest {
    Endpoint* endpoint = nullptr;
    Membership* membership = nullptr;
    SockAddr source;
  };
  SourceRequest ParseSourceRequest(const Napi::CallbackInfo& info);

  Napi::Value Join(const Napi::CallbackInfo& info);
  Napi::Value Leave(const Napi::CallbackInfo& info);
  Napi::Value Block(const Napi::CallbackInfo& info);
  Napi::Value Unblock(const Napi::CallbackInfo& info);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value SetKeepAlive(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value SocketCount(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  Endpoint* FindEndpoint(const std::string& key);
  Membership* FindMembership(uint32_t groupId, uint32_t ifindex, Endpoint** endpoint);
  Endpoint* OpenEndpoint(Napi::Env env, const RxBindPlan& plan);
  void CloseEndpoint(Endpoint* endpoint);
  // Starts reading the endpoint (unless the socket is paused); the error when libuv cannot.
  SysError StartPolling(Endpoint& endpoint);
  void StopPolling(Endpoint& endpoint);
  void ApplyKeepAlive(Endpoint& endpoint);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void OnReadable(Endpoint& endpoint);
  bool Accept(const Endpoint& endpoint, const RawDatagram& d, uint32_t& groupId) const;
  // Hands the pending batch to JavaScript. Afterwards the socket may be closed or paused, and any
  // endpoint may be gone: callers return at once.
  void Flush();
  void ReportError(const SysError& error);
  void EnsureCheck();

  AddonData* data_;
  RxSocketSettings settings_;
  uint16_t port_ = 0;
  size_t maxMessageSize_ = 65535;
  bool closed_ = false;
  bool paused_ = false;
  bool keepAlive_ = true;

  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  Napi::FunctionReference onBatch_;
  Napi::FunctionReference onError_;
  std::unique_ptr<Napi::AsyncContext> asyncContext_;

  // The batch being gathered, natively, until Flush() hands it over. The metadata array it is copied
  // into is taken afresh (and checked) for each batch: JavaScript can detach that ArrayBuffer
  // (transfer it) between two batches, so no pointer into it is kept.
  Napi::Reference<Napi::ArrayBuffer> metaRef_;
  std::unique_ptr<RxBatch> batch_;
  // What the last Read returned (kept to reuse its records).
  std::vector<RawDatagram> read_;
  uv_check_t* check_ = nullptr;
  bool checkActive_ = false;

  uint64_t received_ = 0;
  uint64_t truncated_ = 0;
  uint64_t filtered_ = 0;
  uint64_t dropsOfClosedEndpoints_ = 0;
};

}  // namespace mce
