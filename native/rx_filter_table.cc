#include "rx_filter_table.h"

#include <algorithm>

namespace mce {
namespace {

bool Contains(const std::vector<SockAddr>& list, const SockAddr& a) {
  for (const SockAddr& x : list)
    if (x.sameAddress(a)) return true;
  return false;
}

// The addresses of `list` that `other` lacks, each once.
std::vector<SockAddr> Missing(const std::vector<SockAddr>& list, const std::vector<SockAddr>& other) {
  std::vector<SockAddr> out;
  for (const SockAddr& a : list)
    if (!Contains(other, a) && !Contains(out, a)) out.push_back(a);
  return out;
}

// A per-source membership option: join or leave a source (source-specific), block or unblock one
// (any-source).
using SourceOp = SysError (*)(socket_t s, const SockAddr& group, const SockAddr& source, uint32_t ifindex);

// Applies `op` to each of `sources` in turn; on a failure undoes those done (with `undo`) and
// returns the error. An undo that fails in turn is passed over: the filter keeps the state it had,
// so a source the kernel still admits is dropped here, per datagram (and counted as filtered).
SysError ForEachSource(socket_t s, const RxFilter& f, const std::vector<SockAddr>& sources, SourceOp op,
                       SourceOp undo) {
  for (size_t i = 0; i < sources.size(); i++) {
    SysError error = op(s, f.group, sources[i], f.ifindex);
    if (!error) continue;
    for (size_t k = i; k-- > 0;) (void)undo(s, f.group, sources[k], f.ifindex);
    return error;
  }
  return {};
}

// Brings the source list `have` of filter `f` to `want`: `add` for the sources it gains, `remove`
// for those it loses (each undoes the other), all or nothing. Sources are added before any is
// removed, so a source-specific membership is never left without a source on the way.
SysError ChangeSources(socket_t s, const RxFilter& f, std::vector<SockAddr>& have, const std::vector<SockAddr>& want,
                       SourceOp add, SourceOp remove) {
  std::vector<SockAddr> gained = Missing(want, have);
  std::vector<SockAddr> lost = Missing(have, want);
  SysError error = ForEachSource(s, f, gained, add, remove);
  if (error) return error;
  error = ForEachSource(s, f, lost, remove, add);
  if (error) {
    for (const SockAddr& a : gained) (void)remove(s, f.group, a, f.ifindex);
    return error;
  }
  have = Missing(want, {});
  return {};
}

// The include list of a source-specific membership: each source joined (MCAST_JOIN_SOURCE_GROUP).
SysError ChangeIncluded(socket_t s, RxFilter& f, const std::vector<SockAddr>& want) {
  return ChangeSources(s, f, f.sources, want, JoinSourceGroup, LeaveSourceGroup);
}

// The blocked sources of an any-source membership: each blocked in the kernel (MCAST_BLOCK_SOURCE),
// so that their datagrams never reach the socket.
SysError ChangeBlocked(socket_t s, RxFilter& f, const std::vector<SockAddr>& want) {
  return ChangeSources(s, f, f.blocked, want, BlockSource, UnblockSource);
}

}  // namespace

bool RxEndpoint::Accept(const RawDatagram& d, uint32_t& groupId) const {
  if (!d.hasDestination) return false;
  for (const RxFilter& f : filters) {
    if (f.ifindex != d.ifindex || !f.group.sameAddress(d.destination)) continue;
    if (!f.anySource && !Contains(f.sources, d.source)) return false;
    if (!f.blocked.empty() && Contains(f.blocked, d.source)) return false;
    groupId = f.groupId;
    return true;
  }
  return false;
}

bool RxEndpoint::Holds(uint32_t ifindex, const SockAddr* group) const {
  for (const RxFilter& f : filters)
    if (f.ifindex == ifindex && (group == nullptr || f.group.sameAddress(*group))) return true;
  return false;
}

namespace {

uint64_t FilterKey(uint32_t groupId, uint32_t ifindex) { return (uint64_t{groupId} << 32) | ifindex; }

}  // namespace

RxFilter* RxFilterTable::FindFilter(uint32_t groupId, uint32_t ifindex, RxEndpoint** endpoint) {
  auto found = endpointOfFilter_.find(FilterKey(groupId, ifindex));
  if (found == endpointOfFilter_.end()) return nullptr;
  for (RxFilter& f : found->second->filters)
    if (f.groupId == groupId && f.ifindex == ifindex) {
      *endpoint = found->second;
      return &f;
    }
  return nullptr;
}

RxEndpoint* RxFilterTable::FindEndpoint(const std::string& key) {
  auto found = endpointOfKey_.find(key);
  return found == endpointOfKey_.end() ? nullptr : found->second;
}

SysError RxFilterTable::OpenEndpoint(const RxBindPlan& plan, RxEndpoint*& opened) {
  auto endpoint = std::make_unique<RxEndpoint>();
  endpoint->host = &host_;
  endpoint->key = plan.key;
  SysError error = OpenUdpSocket(settings_.family, endpoint->socket);
  if (!error) error = PrepareRxSocket(endpoint->socket.get(), settings_);
  if (!error) error = BindSocket(endpoint->socket.get(), plan.bindAddress);
  if (error) return error;  // the socket closes with `endpoint`
  RxEndpoint* added = endpoint.get();
  // Owned by the table before it is indexed: should the index fail to grow, no entry points to an
  // endpoint that is gone.
  endpoints_.push_back(std::move(endpoint));
  endpointOfKey_.emplace(added->key, added);
  // A socket that is never read would be joined and deaf: that is an error, not a quiet success.
  error = host_.Attach(*added);
  if (error) {
    CloseEndpoint(added);
    return error;
  }
  opened = added;
  return {};
}

void RxFilterTable::CloseEndpoint(RxEndpoint* endpoint) {
  host_.Detach(*endpoint);
  for (const RxFilter& f : endpoint->filters) endpointOfFilter_.erase(FilterKey(f.groupId, f.ifindex));
  endpointOfKey_.erase(endpoint->key);
  // The newest one (the usual one to go: an endpoint that fails as it opens) without a search.
  if (endpoints_.back().get() == endpoint) {
    endpoints_.pop_back();
    return;
  }
  endpoints_.erase(std::remove_if(endpoints_.begin(), endpoints_.end(),
                                  [endpoint](const std::unique_ptr<RxEndpoint>& e) { return e.get() == endpoint; }),
                   endpoints_.end());
}

void RxFilterTable::CloseAll() {
  // Detached oldest first, then all forgotten at once. The order is the kernel's: libuv runs close
  // callbacks (where each socket is closed) in the reverse order of uv_close (its closing list is
  // last in, first out: an implementation detail, which test/close-order.test.ts guards), so the
  // sockets close newest first. Linux keeps an interface's memberships newest first and searches
  // that list on every leave, and keeps the groups just left (IGMPv3, for a second or two) in a list
  // it searches on every join. Leaving newest first finds each group at the head of the first, and
  // leaves the second in the order a receiver opened again with the same groups joins them: neither
  // search is quadratic (oldest first, opening 10,000 groups again right after a close took 570 to
  // 1,150 ms instead of 330 to 440, Linux 6.18 on the VM of docs/performance.md).
  for (auto& e : endpoints_) host_.Detach(*e);
  endpoints_.clear();
  endpointOfKey_.clear();
  endpointOfFilter_.clear();
}

RxFilterError RxFilterTable::Set(const RxFilterSpec& spec) {
  if (!spec.anySource && spec.sources.empty())
    return {{}, "a source-specific membership needs at least one source (drop it to leave the group)"};
  if (!spec.anySource && !spec.blocked.empty())
    return {{}, "sources can be blocked only on an any-source membership (MCAST_BLOCK_SOURCE)"};
  RxEndpoint* endpoint = nullptr;
  RxFilter* existing = FindFilter(spec.groupId, spec.ifindex, &endpoint);
  if (existing == nullptr) return Create(spec);
  return Update(*endpoint, *existing, spec);
}

RxFilterError RxFilterTable::Create(const RxFilterSpec& spec) {
  RxBindPlan plan = PlanRxBind(spec.group, spec.ifindex, spec.ifaceAddress, port_);
  RxEndpoint* endpoint = FindEndpoint(plan.key);
  bool created = false;
  if (endpoint == nullptr) {
    SysError error = OpenEndpoint(plan, endpoint);
    if (error) return {error, nullptr};
    created = true;
  }
  socket_t s = endpoint->socket.get();
  RxFilter filter;
  filter.groupId = spec.groupId;
  filter.group = spec.group;
  filter.ifindex = spec.ifindex;
  filter.anySource = spec.anySource;
  SysError error;
  if (spec.anySource) {
    error = JoinGroup(s, spec.group, spec.ifindex);
    if (!error) {
      error = ChangeBlocked(s, filter, spec.blocked);
      // Left again if its blocks failed (an endpoint of our own is closed below instead); should
      // that fail too, no filter admits the group here, so its datagrams are dropped per datagram.
      if (error && !created) (void)LeaveGroup(s, spec.group, spec.ifindex);
    }
  } else {
    error = ChangeIncluded(s, filter, spec.sources);
  }
  if (error) {
    // Nothing half-joined stays behind: closing a socket of our own leaves everything it joined.
    if (created) CloseEndpoint(endpoint);
    return {error, nullptr};
  }
  endpointOfFilter_.emplace(FilterKey(filter.groupId, filter.ifindex), endpoint);
  endpoint->filters.push_back(std::move(filter));
  return {};
}

RxFilterError RxFilterTable::Update(RxEndpoint& endpoint, RxFilter& filter, const RxFilterSpec& spec) {
  if (spec.anySource != filter.anySource)
    return {{}, "a membership cannot change between any-source and source-specific: drop it first"};
  socket_t s = endpoint.socket.get();
  SysError error = spec.anySource ? ChangeBlocked(s, filter, spec.blocked) : ChangeIncluded(s, filter, spec.sources);
  return {error, nullptr};
}

bool RxFilterTable::Drop(uint32_t groupId, uint32_t ifindex, SysError& error) {
  RxEndpoint* endpoint = nullptr;
  RxFilter* filter = FindFilter(groupId, ifindex, &endpoint);
  if (filter == nullptr) return false;
  if (endpoint->filters.size() == 1) {
    // Closing the OS socket leaves the group (the kernel sends the IGMP/MLD leave).
    CloseEndpoint(endpoint);
    return true;
  }
  // On an interface that was removed the kernel has dropped (or drops) the membership itself: only
  // the filter is left to forget.
  SysError left = LeaveGroup(endpoint->socket.get(), filter->group, ifindex);
  if (left && !IsMembershipGone(left.code)) {
    error = left;
    return true;
  }
  endpointOfFilter_.erase(FilterKey(groupId, ifindex));
  auto& fs = endpoint->filters;
  fs.erase(std::remove_if(fs.begin(), fs.end(),
                          [&](const RxFilter& f) { return f.groupId == groupId && f.ifindex == ifindex; }),
           fs.end());
  return true;
}

}  // namespace mce
