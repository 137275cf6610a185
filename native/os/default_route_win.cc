// Default-route interface on Windows: among the routes of prefix length 0 in GetIpForwardTable2,
// the one Windows itself prefers, i.e. the lowest route metric plus interface metric (the effective
// metric that `route print` shows), on an interface that is connected.
#include "default_route.h"

#include <iphlpapi.h>

#include <climits>

namespace mce {
namespace {

struct ForwardTableOwner {
  MIB_IPFORWARD_TABLE2* table = nullptr;
  ~ForwardTableOwner() {
    if (table) FreeMibTable(table);
  }
};

// The interface's metric, or false when the interface is gone or not connected.
bool InterfaceMetric(int family, NET_IFINDEX index, uint64_t& metric) {
  MIB_IPINTERFACE_ROW row;
  InitializeIpInterfaceEntry(&row);
  row.Family = static_cast<ADDRESS_FAMILY>(family);
  row.InterfaceIndex = index;
  if (GetIpInterfaceEntry(&row) != NO_ERROR || !row.Connected) return false;
  metric = row.Metric;
  return true;
}

}  // namespace

SysError DefaultRouteInterface(int family, uint32_t& ifindex) {
  ifindex = 0;
  ForwardTableOwner routes;
  DWORD rc = GetIpForwardTable2(static_cast<ADDRESS_FAMILY>(family), &routes.table);
  // No routes of the family, or no stack for it at all: no default route either.
  if (rc == ERROR_NOT_FOUND || rc == ERROR_NOT_SUPPORTED) return {};
  if (rc != NO_ERROR) return FailWith(static_cast<int>(rc), "GetIpForwardTable2");

  uint64_t best = UINT64_MAX;
  for (ULONG i = 0; i < routes.table->NumEntries; i++) {
    const MIB_IPFORWARD_ROW2& r = routes.table->Table[i];
    if (r.DestinationPrefix.PrefixLength != 0 || r.InterfaceIndex == 0) continue;
    uint64_t ifaceMetric = 0;
    if (!InterfaceMetric(family, r.InterfaceIndex, ifaceMetric)) continue;
    uint64_t metric = static_cast<uint64_t>(r.Metric) + ifaceMetric;
    if (metric < best) {
      best = metric;
      ifindex = r.InterfaceIndex;
    }
  }
  return {};
}

}  // namespace mce
