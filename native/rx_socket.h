// The native half of McastRxSocket: reads the OS sockets of its filter table (rx_filter_table.h: the
// endpoints, and the filters of the memberships JavaScript sets on them), polled on the
// environment's libuv loop. Every datagram is read with its packet info, checked against the filters
// (group, interface, source) and handed to JavaScript in batches, once per loop turn (see
// rx_batch.h): the bytes in 64 KiB slabs that they are read straight into, the facts of each datagram
// in a shared metadata array whose layout lib/native.ts mirrors (kRecordWords words per datagram).
// It also answers: a reply leaves from one of these sockets (see Reply).
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
#include "os/tx_writer.h"
#include "os/udp_socket.h"
#include "os/unique_socket.h"
#include "rx_filter_table.h"
#include "rx_hold_timer.h"

namespace mce {

class RxSocket : public Napi::ObjectWrap<RxSocket>, public HandleOwner, private RxEndpointHost {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  // new RxSocket({ family, port, maxMessageSize, receiveBufferSize, timestamps, externalLoopback,
  //                coalesceMicros, coalesceDatagrams },
  //              meta: ArrayBuffer, onBatch(count, ...buffers: ArrayBuffer[]), onError(err))
  explicit RxSocket(const Napi::CallbackInfo& info);
  ~RxSocket() override;
  void CloseHandles() override;

 private:
  using Endpoint = RxEndpoint;

  // The memberships, as JavaScript's MembershipTable decides them (see rx_filter_table.h).
  Napi::Value SetMembership(const Napi::CallbackInfo& info);
  Napi::Value DropMembership(const Napi::CallbackInfo& info);
  // Sends a datagram from the receiver's own port, out of one of its interfaces.
  Napi::Value Reply(const Napi::CallbackInfo& info);
  // The OS socket a reply out of `ifindex` leaves from (null: none listens there).
  Endpoint* ReplySocket(uint32_t ifindex, const SockAddr& group);
  Napi::Value Pause(const Napi::CallbackInfo& info);
  Napi::Value Resume(const Napi::CallbackInfo& info);
  Napi::Value SetKeepAlive(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  Napi::Value SocketCount(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  // RxEndpointHost: the table's endpoints are read here.
  SysError Attach(Endpoint& endpoint) override;
  void Detach(Endpoint& endpoint) override;
  // Starts reading the endpoint (unless the socket is paused); the error when libuv cannot.
  SysError StartPolling(Endpoint& endpoint);
  void StopPolling(Endpoint& endpoint);
  void ApplyKeepAlive(Endpoint& endpoint);

  static void OnPoll(uv_poll_t* handle, int status, int events);
  void OnReadable(Endpoint& endpoint);
  // One Read of `endpoint` into the batch (its datagrams filtered, added or cleared); calls no
  // JavaScript. `drained`: the socket had no more.
  SysError ReadOnce(Endpoint& endpoint, size_t& budget, bool& drained);
  // Hands the pending batch to JavaScript. Afterwards the socket may be closed or paused, and any
  // endpoint may be gone: callers return at once.
  void Flush();
  void ReportError(const SysError& error);
  void EnsureCheck();
  // After a read that left datagrams in the batch: hands it over in this loop turn's check phase
  // when it holds coalesceDatagrams_ (or coalescing is off); else holds it, the sockets unpolled,
  // until its first datagram is coalesceMicros_ old.
  void ScheduleHandOver();
  static void OnHoldExpired(void* self);
  // A held batch was handed over (or dropped): the sockets are polled again.
  void EndHold();

  AddonData* data_;
  RxSocketSettings settings_;
  uint16_t port_ = 0;
  size_t maxMessageSize_ = 65535;
  bool closed_ = false;
  bool paused_ = false;
  bool keepAlive_ = true;
  // Coalescing (the receiver's `coalesce` option): 0 datagrams is off, every batch handed over in
  // the loop turn that read it.
  uint64_t coalesceMicros_ = 0;
  size_t coalesceDatagrams_ = 0;
  RxHoldTimer holdTimer_;
  // A batch is held: the sockets are not polled until it is handed over.
  bool holding_ = false;

  RxFilterTable filters_{*this, settings_, port_};
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
