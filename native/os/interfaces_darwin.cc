// Interface enumeration on macOS: getifaddrs() lists every interface (also down ones and ones without
// addresses) through its link-layer entry (AF_LINK), followed by one entry per IPv4/IPv6 address, each
// under its interface's name (macOS has no address labels; Linux, which has, reads netlink instead:
// interfaces_linux.cc). MTU comes from SIOCGIFMTU.
#include <ifaddrs.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <map>

#include "interfaces.h"
#include "unique_socket.h"

#include <net/if_dl.h>
#include <sys/sockio.h>  // SIOCGIFMTU, which BSD's sys/ioctl.h need not bring

namespace mce {
namespace {

struct IfaddrsOwner {
  ifaddrs* list = nullptr;
  ~IfaddrsOwner() {
    if (list) freeifaddrs(list);
  }
};

int64_t ReadMtu(int probe, const char* name) {
  if (probe < 0) return -1;
  ifreq req;
  std::memset(&req, 0, sizeof(req));
  std::strncpy(req.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(probe, SIOCGIFMTU, &req) != 0) return -1;
  return req.ifr_mtu;
}

void ReadLinkLayer(const sockaddr* sa, IfaceRecord& rec) {
  if (sa->sa_family != AF_LINK) return;
  auto* dl = reinterpret_cast<const sockaddr_dl*>(sa);
  rec.linkLayerAddress =
      FormatLinkLayerAddress(reinterpret_cast<const unsigned char*>(LLADDR(dl)), dl->sdl_alen);
}

// KAME stacks (macOS, BSD) keep a link-local address's zone inside bytes 2-3 of the address. Where
// getifaddrs hands that form out, move the zone to scopeId; in a real fe80::/64 address those bytes
// are zero, so nothing else can be there.
void ClearEmbeddedScope(IfaceAddressRecord& addr) {
  if (addr.bytes[0] != 0xfe || (addr.bytes[1] & 0xc0) != 0x80) return;
  uint32_t embedded = (static_cast<uint32_t>(addr.bytes[2]) << 8) | addr.bytes[3];
  if (embedded == 0) return;
  if (addr.scopeId == 0) addr.scopeId = embedded;
  addr.bytes[2] = addr.bytes[3] = 0;
}

}  // namespace

SysError ScanInterfaces(std::vector<IfaceRecord>& out) {
  out.clear();
  IfaddrsOwner ifs;
  if (getifaddrs(&ifs.list) != 0) return Fail("getifaddrs");

  // Only to ask for MTUs; an interface list without MTUs is still worth returning.
  UniqueSocket probe(socket(AF_INET, SOCK_DGRAM, 0));

  std::map<std::string, size_t> byName;
  for (ifaddrs* it = ifs.list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_name == nullptr) continue;
    auto found = byName.find(it->ifa_name);
    if (found == byName.end()) {
      IfaceRecord rec;
      rec.name = it->ifa_name;
      rec.friendlyName = rec.name;
      rec.index = if_nametoindex(it->ifa_name);
      // An interface that vanished between getifaddrs and if_nametoindex is no longer there to list.
      if (rec.index == 0) continue;
      unsigned flags = it->ifa_flags;
      rec.up = (flags & IFF_UP) != 0;
      rec.running = (flags & IFF_RUNNING) != 0;
      rec.loopback = (flags & IFF_LOOPBACK) != 0;
      rec.multicast = (flags & IFF_MULTICAST) != 0;
      rec.pointToPoint = (flags & IFF_POINTOPOINT) != 0;
      rec.mtu = ReadMtu(probe.get(), it->ifa_name);
      found = byName.emplace(rec.name, out.size()).first;
      out.push_back(std::move(rec));
    }
    IfaceRecord& rec = out[found->second];
    const sockaddr* sa = it->ifa_addr;
    if (sa == nullptr) continue;
    if (sa->sa_family == AF_LINK) {
      ReadLinkLayer(sa, rec);
    } else if (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) {
      IfaceAddressRecord addr;
      addr.family = sa->sa_family;
      if (sa->sa_family == AF_INET) {
        std::memcpy(addr.bytes, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
        if (it->ifa_netmask)
          addr.prefixLength = PrefixLengthOf(
              reinterpret_cast<const unsigned char*>(
                  &reinterpret_cast<const sockaddr_in*>(it->ifa_netmask)->sin_addr),
              4);
      } else {
        auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
        std::memcpy(addr.bytes, &sin6->sin6_addr, 16);
        addr.scopeId = sin6->sin6_scope_id;
        if (it->ifa_netmask)
          addr.prefixLength = PrefixLengthOf(
              reinterpret_cast<const unsigned char*>(
                  &reinterpret_cast<const sockaddr_in6*>(it->ifa_netmask)->sin6_addr),
              16);
        ClearEmbeddedScope(addr);
      }
      rec.addresses.push_back(addr);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const IfaceRecord& a, const IfaceRecord& b) { return a.index < b.index; });
  return {};
}

// No VRFs here: every socket gets every interface's datagrams.
bool VrfDeliversToNewSockets(const std::string&) { return true; }

}  // namespace mce
