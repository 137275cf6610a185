// The receiver's memberships as the OS and the per-datagram filter hold them: its OS sockets
// (endpoints, one per bind plan, see PlanRxBind) and, on each, the filters of (group id, interface):
// the group with its include list (source-specific) or any source, and its blocked sources.
//
// Driven by two declarative commands: Set brings the filter of one (group id, interface) to exactly
// the state given, in the OS and here (joins when it is new, joins and leaves sources, blocks and
// unblocks); Drop leaves it. It has no policy: which memberships a receiver has, when sources widen,
// where blocking is allowed, what happens when an interface goes, is decided once, in
// lib/rx/membership-table.ts. It refuses only what the OS cannot express. Free of Node-API: the
// receiver (rx_socket.cc) turns JavaScript arguments into commands and errors into exceptions.
#pragma once
#include <uv.h>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "os/mcast_membership.h"
#include "os/mcast_sockopt.h"
#include "os/udp_socket.h"
#include "os/rx_reader.h"
#include "os/unique_socket.h"

namespace mce {

// One (group id, interface) and the sources it admits.
struct RxFilter {
  uint32_t groupId = 0;
  SockAddr group;
  uint32_t ifindex = 0;
  bool anySource = true;
  std::vector<SockAddr> sources;  // the include list of a source-specific membership
  std::vector<SockAddr> blocked;  // sources shut out of an any-source membership
};

class RxEndpointHost;

// One OS socket with the filters of the memberships it holds.
struct RxEndpoint {
  RxEndpointHost* host = nullptr;  // the receiver that reads it
  std::string key;                 // its bind plan's key: memberships with equal keys share it
  UniqueSocket socket;
  std::vector<RxFilter> filters;
  // Kept by the host, which reads the socket.
  uv_poll_t* poll = nullptr;
  bool polling = false;
  uint64_t lastDropCount = 0;
  // What the socket's options were last set to for a reply (-1: never), so that a reply sets them
  // only when they change.
  int replyTtl = -1;
  int replyLoop = -1;

  // Whether one of this socket's memberships is on interface `ifindex` (and, with a group, of it).
  bool Holds(uint32_t ifindex, const SockAddr* group) const;

  // Whether `d` is for one of this socket's memberships (its group, arrival interface and an
  // admitted source); then `groupId` is that membership's id.
  bool Accept(const RawDatagram& d, uint32_t& groupId) const;
};

// The receiver that reads the endpoints.
class RxEndpointHost {
 public:
  virtual ~RxEndpointHost() = default;
  // A new endpoint's socket is open, prepared and bound: start reading it. On an error the table
  // closes the endpoint again (Detach).
  virtual SysError Attach(RxEndpoint& endpoint) = 0;
  // The endpoint goes: stop reading it and close its socket.
  virtual void Detach(RxEndpoint& endpoint) = 0;
};

// The state Set brings one filter to.
struct RxFilterSpec {
  uint32_t groupId = 0;
  SockAddr group;
  uint32_t ifindex = 0;
  // The interface's address, for the bind plan of a new endpoint (Windows binds to it).
  const SockAddr* ifaceAddress = nullptr;
  bool anySource = true;
  std::vector<SockAddr> sources;
  std::vector<SockAddr> blocked;
};

// Why a command was not carried out: an OS error, or a state the OS cannot express (`refused`).
struct RxFilterError {
  SysError os;
  const char* refused = nullptr;
  explicit operator bool() const { return static_cast<bool>(os) || refused != nullptr; }
};

class RxFilterTable {
 public:
  // `settings` and `port` are the receiver's own, read whenever a membership needs a new endpoint.
  // The host closes every endpoint (CloseAll) before it goes.
  RxFilterTable(RxEndpointHost& host, const RxSocketSettings& settings, const uint16_t& port)
      : host_(host), settings_(settings), port_(port) {}
  RxFilterTable(const RxFilterTable&) = delete;
  RxFilterTable& operator=(const RxFilterTable&) = delete;

  // Brings the filter of (spec.groupId, spec.ifindex) to exactly `spec`, all or nothing: on an error
  // the OS and the table are as they were.
  RxFilterError Set(const RxFilterSpec& spec);
  // Leaves the membership of (groupId, ifindex) and forgets its filter; false when there is none.
  // A membership the OS has dropped already (its interface is gone) is forgotten without an error.
  bool Drop(uint32_t groupId, uint32_t ifindex, SysError& error);
  // Closes every endpoint (which leaves their groups).
  void CloseAll();

  const std::vector<std::unique_ptr<RxEndpoint>>& endpoints() const { return endpoints_; }

 private:
  RxFilter* FindFilter(uint32_t groupId, uint32_t ifindex, RxEndpoint** endpoint);
  RxEndpoint* FindEndpoint(const std::string& key);
  SysError OpenEndpoint(const RxBindPlan& plan, RxEndpoint*& opened);
  void CloseEndpoint(RxEndpoint* endpoint);
  RxFilterError Create(const RxFilterSpec& spec);
  RxFilterError Update(RxEndpoint& endpoint, RxFilter& filter, const RxFilterSpec& spec);

  RxEndpointHost& host_;
  const RxSocketSettings& settings_;
  const uint16_t& port_;
  std::vector<std::unique_ptr<RxEndpoint>> endpoints_;
  // Indexes into endpoints_, so that a receiver on 10,000 groups opens and closes in linear time:
  // the endpoint of each bind plan key, and the endpoint that holds each (group id, interface).
  std::unordered_map<std::string, RxEndpoint*> endpointOfKey_;
  std::unordered_map<uint64_t, RxEndpoint*> endpointOfFilter_;
};

}  // namespace mce
