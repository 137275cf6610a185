// Interface enumeration on Linux: two rtnetlink dumps, one of the links (RTM_GETLINK: index, name,
// flags, MTU, hardware address) and one of the IPv4/IPv6 addresses (RTM_GETADDR), joined by interface
// index. The links' masters and kinds tell which interfaces belong to a VRF.
//
// Why not getifaddrs(): it names an IPv4 address by its label (`ip addr add ... label eth0:vip`,
// keepalived VIPs, old `ifconfig eth0:1` aliases), so the address appears under a name that is no
// interface, and telling which interface it belongs to takes a system call per name; its MTUs take
// one more per interface. Here every address comes with its interface index, and the whole scan is
// two requests whatever the number of interfaces.
#include <algorithm>
#include <fstream>
#include <string>
#include <unordered_map>

#include "interfaces.h"
#include "netlink_linux.h"

namespace mce {
namespace {

// A dump that changed while the kernel wrote it is asked for again, this many times at most; after
// that the last one is used (the interface monitor rescans at the next change anyway).
constexpr int kDumpAttempts = 4;

// What a link's master is, to tell a VRF's members: its index, and each link's kind (IFLA_INFO_KIND:
// "vrf", "bridge", "veth", ...).
struct LinkTopology {
  std::unordered_map<uint32_t, uint32_t> masterOf;
  std::unordered_map<uint32_t, std::string> kindOf;
};

std::string LinkKind(const NetlinkAttr& linkInfo) {
  std::string kind;
  ForEachAttr(linkInfo.data, linkInfo.length, [&](const NetlinkAttr& a) {
    if (a.type != IFLA_INFO_KIND) return;
    const char* text = reinterpret_cast<const char*>(a.data);
    kind.assign(text, strnlen(text, a.length));
  });
  return kind;
}

void ReadLink(const NetlinkMessage& message, std::vector<IfaceRecord>& out, LinkTopology& topology) {
  ifinfomsg info;
  if (!message.ReadHeader(info) || info.ifi_index <= 0) return;
  IfaceRecord rec;
  rec.index = static_cast<uint32_t>(info.ifi_index);
  unsigned flags = info.ifi_flags;
  rec.up = (flags & IFF_UP) != 0;
  rec.running = (flags & IFF_RUNNING) != 0;
  rec.loopback = (flags & IFF_LOOPBACK) != 0;
  rec.multicast = (flags & IFF_MULTICAST) != 0;
  rec.pointToPoint = (flags & IFF_POINTOPOINT) != 0;
  ForEachAttr(message, sizeof(ifinfomsg), [&](const NetlinkAttr& a) {
    switch (a.type) {
      case IFLA_IFNAME: {
        // A NUL-terminated string, at most IFNAMSIZ long; what precedes the NUL is the name.
        const char* text = reinterpret_cast<const char*>(a.data);
        rec.name.assign(text, strnlen(text, std::min(a.length, size_t{IFNAMSIZ})));
        break;
      }
      case IFLA_MTU: {
        uint32_t mtu = 0;
        if (a.Read(mtu)) rec.mtu = mtu;
        break;
      }
      case IFLA_ADDRESS: rec.linkLayerAddress = FormatLinkLayerAddress(a.data, a.length); break;
      case IFLA_MASTER: {
        uint32_t master = 0;
        if (a.Read(master) && master != 0) topology.masterOf[rec.index] = master;
        break;
      }
      case IFLA_LINKINFO: topology.kindOf[rec.index] = LinkKind(a); break;
      default: break;
    }
  });
  if (rec.name.empty()) return;
  rec.friendlyName = rec.name;
  out.push_back(std::move(rec));
}

void ReadAddress(const NetlinkMessage& message, std::vector<IfaceRecord>& out,
                 const std::unordered_map<uint32_t, size_t>& byIndex) {
  ifaddrmsg info;
  if (!message.ReadHeader(info)) return;
  if (info.ifa_family != AF_INET && info.ifa_family != AF_INET6) return;
  // An address of an interface that came after the link dump: the next scan will have both.
  auto found = byIndex.find(info.ifa_index);
  if (found == byIndex.end()) return;
  const size_t size = info.ifa_family == AF_INET ? 4 : 16;
  // IFA_LOCAL is the interface's own address; IFA_ADDRESS is the same, except on point-to-point
  // links, where it is the peer's. Only IPv4 and point-to-point IPv6 carry IFA_LOCAL.
  const unsigned char* local = nullptr;
  const unsigned char* address = nullptr;
  ForEachAttr(message, sizeof(ifaddrmsg), [&](const NetlinkAttr& a) {
    if (a.length != size) return;
    if (a.type == IFA_LOCAL) local = a.data;
    if (a.type == IFA_ADDRESS) address = a.data;
  });
  const unsigned char* own = local != nullptr ? local : address;
  if (own == nullptr) return;
  IfaceAddressRecord rec;
  rec.family = info.ifa_family;
  std::memcpy(rec.bytes, own, size);
  rec.prefixLength = std::min<int>(info.ifa_prefixlen, static_cast<int>(size * 8));
  // As getifaddrs() does: link-local addresses carry their interface as the scope.
  if (info.ifa_family == AF_INET6 && rec.bytes[0] == 0xfe && (rec.bytes[1] & 0xc0) == 0x80)
    rec.scopeId = info.ifa_index;
  out[found->second].addresses.push_back(rec);
}

SysError ScanOnce(NetlinkRoute& netlink, std::vector<IfaceRecord>& out, bool& interrupted) {
  out.clear();
  struct {
    nlmsghdr header;
    ifinfomsg body;
    rtattr maskHeader;
    uint32_t mask;
  } links;
  std::memset(&links, 0, sizeof(links));
  links.header.nlmsg_len = sizeof(links);
  links.header.nlmsg_type = RTM_GETLINK;
  links.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  links.body.ifi_family = AF_UNSPEC;
  // Counters are most of a link message and nothing we report: leave them out (older kernels ignore it).
  links.maskHeader.rta_type = IFLA_EXT_MASK;
  links.maskHeader.rta_len = RTA_LENGTH(sizeof(uint32_t));
  links.mask = RTEXT_FILTER_SKIP_STATS;
  LinkTopology topology;
  SysError error = netlink.Ask(links.header, "RTM_GETLINK", [&](const NetlinkMessage& m) {
    if (m.type == RTM_NEWLINK) ReadLink(m, out, topology);
  });
  if (error) return error;
  interrupted = netlink.interrupted();

  std::unordered_map<uint32_t, size_t> byIndex;
  byIndex.reserve(out.size());
  for (size_t i = 0; i < out.size(); i++) byIndex.emplace(out[i].index, i);
  for (const auto& [index, master] : topology.masterOf) {
    auto kind = topology.kindOf.find(master);
    auto member = byIndex.find(index);
    auto vrf = byIndex.find(master);
    if (kind != topology.kindOf.end() && kind->second == "vrf" && member != byIndex.end() && vrf != byIndex.end())
      out[member->second].vrf = out[vrf->second].name;
  }

  struct {
    nlmsghdr header;
    ifaddrmsg body;
  } addresses;
  std::memset(&addresses, 0, sizeof(addresses));
  addresses.header.nlmsg_len = sizeof(addresses);
  addresses.header.nlmsg_type = RTM_GETADDR;
  addresses.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  addresses.body.ifa_family = AF_UNSPEC;
  error = netlink.Ask(addresses.header, "RTM_GETADDR", [&](const NetlinkMessage& m) {
    if (m.type == RTM_NEWADDR) ReadAddress(m, out, byIndex);
  });
  if (error) return error;
  interrupted = interrupted || netlink.interrupted();
  return {};
}

}  // namespace

bool VrfDeliversToNewSockets(const std::string& vrf) {
  std::ifstream accept("/proc/sys/net/ipv4/udp_l3mdev_accept");
  int value = 0;
  if (accept >> value && value == 1) return true;
  // Under `ip vrf exec`, every socket the process opens is bound to the VRF from the start.
  UniqueSocket probe(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  char bound[IFNAMSIZ + 1];
  std::memset(bound, 0, sizeof(bound));
  socklen_t length = IFNAMSIZ;
  if (!probe.valid() || getsockopt(probe.get(), SOL_SOCKET, SO_BINDTODEVICE, bound, &length) != 0) return false;
  return vrf == bound;
}

SysError ScanInterfaces(std::vector<IfaceRecord>& out) {
  NetlinkRoute netlink;
  SysError error = netlink.Open();
  if (error) return error;
  for (int attempt = 1;; attempt++) {
    bool interrupted = false;
    error = ScanOnce(netlink, out, interrupted);
    if (error) return error;
    if (!interrupted || attempt == kDumpAttempts) break;
  }
  std::sort(out.begin(), out.end(),
            [](const IfaceRecord& a, const IfaceRecord& b) { return a.index < b.index; });
  return {};
}

}  // namespace mce
