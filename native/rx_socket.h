// The native half of McastRxSocket: a set of OS sockets (one per bind plan, see PlanRxBind) that
// together hold the receiver's memberships, polled on the environment's libuv loop. Every datagram is
// read with its packet info, checked against the memberships (group, interface, source) and handed
// to JavaScript in batches: the bytes of a batch in one ArrayBuffer, the facts of each datagram in a
// shared metadata array whose layout lib/native.ts mirrors (kRecordWords words per datagram).
#pragma once
#include <napi.h>
#include <uv.h>

#include <memory>
#include <string>
#include <vector>

#include "addon.h"
#include "os/mcast_membership.h"
#include "os/mcast_sockopt.h"
#include "os/udp_socket.h"
#include "os/unique_socket.h"

namespace mce {

// Layout of one metadata record (uint32 words); keep in step with lib/native.ts.
enum RxRecordWord : uint32_t {
  kOffset = 0,       // byte offset of the data in its buffer
  kLength = 1,       // bytes of data
  kFlags = 2,        // kFlagTruncated | kFlagTimestamp
  kGroupId = 3,      // the id JavaScript gave the group in join()
  kIfindex = 4,      // arrival interface
  kSourcePort = 5,
  kSourceScope = 6,  // IPv6 scope id of the source
  kSourceAddr = 7,   // 4 words: the source address bytes (IPv4 uses the first)
  kTimeSecLow = 11,
  kTimeSecHigh = 12,
  kTimeNsec = 13,
  kBuffer = 14,      // which of the batch's buffers (onBatch's arguments after count) holds the data
  kRecordWords = 16,
};
enum RxRecordFlags : uint32_t { kFlagTruncated = 1, kFlagTimestamp = 2 };

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
  void Append(const RawDatagram& d, uint32_t groupId);
  // Hands the pending batch to JavaScript. Afterwards the socket may be closed or paused, and any
  // endpoint may be gone: callers return at once.
  void Flush();
  // Copies `count` records into the metadata array; false (nothing copied) when it was detached or
  // is too small now.
  bool CopyRecords(size_t count);
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

  // The batch being gathered, natively: its records and its data bytes. Flush() copies the records
  // into the shared metadata array, whose memory is taken afresh (and checked) for each batch:
  // JavaScript can detach that ArrayBuffer (transfer it) between two batches, so no pointer into it
  // is kept.
  Napi::Reference<Napi::ArrayBuffer> metaRef_;
  size_t metaCapacity_ = 0;
  size_t pendingCount_ = 0;
  std::vector<uint32_t> pendingRecords_;
  std::vector<unsigned char> pendingData_;
  // Datagrams are handed over in slabs: ArrayBuffers of 64 KiB that batch after batch is copied
  // into, past the bytes already handed over, and of which JavaScript makes Buffer views. A slab
  // without room for the next datagram is let go (the views keep it alive) and a new one made, so no
  // Buffer JavaScript holds is ever overwritten, a batch costs no allocation of its own, and a Buffer
  // kept keeps at most one slab alive, however large its batch was. A datagram larger than half a
  // slab gets an ArrayBuffer of its own instead. See PlaceData().
  Napi::Reference<Napi::ArrayBuffer> slabRef_;
  size_t slabUsed_ = 0;
  // Copies the data of the `count` pending datagrams into slabs (and buffers of their own), rewrites
  // each record's kOffset and kBuffer to where its data is now, and appends the buffers, in the order
  // the records name them, to `buffers`. Runs no JavaScript.
  void PlaceData(Napi::Env env, size_t count, std::vector<napi_value>& buffers);
  // The current slab when it has `bytes` of room left, else a new one (slabUsed_ 0).
  Napi::ArrayBuffer SlabWithRoom(Napi::Env env, size_t bytes);
  std::vector<RawDatagram> scratch_;
  uv_check_t* check_ = nullptr;
  bool checkActive_ = false;

  uint64_t received_ = 0;
  uint64_t truncated_ = 0;
  uint64_t filtered_ = 0;
  uint64_t dropsOfClosedEndpoints_ = 0;
};

}  // namespace mce
