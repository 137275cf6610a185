// Interface enumeration on Windows: one GetAdaptersAddresses() call lists every adapter with its
// unicast addresses (both families), flags, MTU and hardware address. Windows has two names for an
// adapter: AdapterName, the stable GUID name that programs use, and FriendlyName ("Ethernet 2"),
// which people see and may rename.
#include "interfaces.h"

#include <iphlpapi.h>

#include <algorithm>
#include <vector>

namespace mce {
namespace {

std::string Utf8Of(const wchar_t* text) {
  if (text == nullptr || *text == 0) return std::string();
  int bytes = WideCharToMultiByte(CP_UTF8, 0, text, -1, nullptr, 0, nullptr, nullptr);
  if (bytes <= 1) return std::string();
  std::string out(static_cast<size_t>(bytes), '\0');
  if (WideCharToMultiByte(CP_UTF8, 0, text, -1, &out[0], bytes, nullptr, nullptr) != bytes)
    return std::string();
  out.resize(static_cast<size_t>(bytes - 1));  // without the terminating NUL
  return out;
}

bool IsLinkLocal(const in6_addr& a) { return a.s6_addr[0] == 0xfe && (a.s6_addr[1] & 0xc0) == 0x80; }

void AddAddress(const IP_ADAPTER_UNICAST_ADDRESS& u, IfaceRecord& rec) {
  const sockaddr* sa = u.Address.lpSockaddr;
  if (sa == nullptr) return;
  IfaceAddressRecord addr;
  addr.family = sa->sa_family;
  addr.prefixLength = u.OnLinkPrefixLength;
  if (sa->sa_family == AF_INET && u.Address.iSockaddrLength >= static_cast<INT>(sizeof(sockaddr_in))) {
    std::memcpy(addr.bytes, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
  } else if (sa->sa_family == AF_INET6 &&
             u.Address.iSockaddrLength >= static_cast<INT>(sizeof(sockaddr_in6))) {
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
    std::memcpy(addr.bytes, &sin6->sin6_addr, 16);
    // Only a link-local address needs its zone to be usable; Linux and macOS report 0 for the
    // others, and callers tell global addresses by that 0, whatever zone Windows attaches.
    addr.scopeId = IsLinkLocal(sin6->sin6_addr) ? sin6->sin6_scope_id : 0;
  } else {
    return;
  }
  rec.addresses.push_back(addr);
}

IfaceRecord RecordOf(const IP_ADAPTER_ADDRESSES& a) {
  IfaceRecord rec;
  rec.name = a.AdapterName ? a.AdapterName : "";
  rec.friendlyName = Utf8Of(a.FriendlyName);
  if (rec.friendlyName.empty()) rec.friendlyName = rec.name;
  // IfIndex is 0 on an adapter without IPv4; both indexes are the same NET_IFINDEX otherwise.
  rec.index = a.IfIndex != 0 ? a.IfIndex : a.Ipv6IfIndex;
  rec.linkLayerAddress = FormatLinkLayerAddress(a.PhysicalAddress, a.PhysicalAddressLength);
  rec.up = a.OperStatus == IfOperStatusUp;
  // Windows has no separate "running" state: an adapter that is operationally up is running.
  rec.running = rec.up;
  rec.loopback = a.IfType == IF_TYPE_SOFTWARE_LOOPBACK;
  rec.multicast = (a.Flags & IP_ADAPTER_NO_MULTICAST) == 0;
  rec.pointToPoint = a.IfType == IF_TYPE_PPP || a.IfType == IF_TYPE_TUNNEL;
  // The loopback adapter reports 0xffffffff, meaning no limit rather than a size.
  rec.mtu = a.Mtu == 0xffffffffu ? -1 : static_cast<int64_t>(a.Mtu);
  for (const IP_ADAPTER_UNICAST_ADDRESS* u = a.FirstUnicastAddress; u != nullptr; u = u->Next)
    AddAddress(*u, rec);
  return rec;
}

}  // namespace

SysError ScanInterfaces(std::vector<IfaceRecord>& out) {
  out.clear();
  const ULONG flags = GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST | GAA_FLAG_SKIP_DNS_SERVER |
                      GAA_FLAG_INCLUDE_PREFIX;
  // 15 KB is Microsoft's suggested first size. The list can grow between two calls, so each retry
  // takes at least twice the last size as well as what the last call asked for.
  std::vector<unsigned char> buffer(15 * 1024);
  ULONG rc = ERROR_BUFFER_OVERFLOW;
  for (int attempt = 0; attempt < 5 && rc == ERROR_BUFFER_OVERFLOW; attempt++) {
    ULONG size = static_cast<ULONG>(buffer.size());
    rc = GetAdaptersAddresses(AF_UNSPEC, flags, nullptr,
                              reinterpret_cast<IP_ADAPTER_ADDRESSES*>(buffer.data()), &size);
    if (rc == ERROR_BUFFER_OVERFLOW) buffer.assign(std::max<size_t>(size, buffer.size() * 2), 0);
  }
  if (rc == ERROR_NO_DATA) return {};  // no adapters at all
  if (rc != NO_ERROR) return FailWith(static_cast<int>(rc), "GetAdaptersAddresses");

  for (auto* a = reinterpret_cast<const IP_ADAPTER_ADDRESSES*>(buffer.data()); a != nullptr; a = a->Next) {
    IfaceRecord rec = RecordOf(*a);
    if (rec.index == 0) continue;  // an adapter without an IP stack cannot carry multicast
    out.push_back(std::move(rec));
  }
  std::sort(out.begin(), out.end(),
            [](const IfaceRecord& a, const IfaceRecord& b) { return a.index < b.index; });
  return {};
}

// No VRFs here: every socket gets every interface's datagrams.
bool VrfDeliversToNewSockets(const std::string&) { return true; }

}  // namespace mce
