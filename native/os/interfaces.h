// Interface enumeration: what the OS knows about each network interface, read natively (rtnetlink
// dumps on Linux, getifaddrs on macOS, GetAdaptersAddresses on Windows). Implemented by interfaces.cc
// (the formatting every OS shares) and interfaces_{linux,darwin,win}.cc.
#pragma once
#include <string>
#include <vector>

#include "platform.h"

namespace mce {

struct IfaceAddressRecord {
  int family = AF_INET;
  unsigned char bytes[16] = {0};
  int prefixLength = 0;
  uint32_t scopeId = 0;  // IPv6 only
};

struct IfaceRecord {
  std::string name;          // machine name (the adapter name on Windows)
  std::string friendlyName;  // Windows' friendly name; equal to name elsewhere
  uint32_t index = 0;
  std::string linkLayerAddress;  // "aa:bb:cc:dd:ee:ff", empty when there is none
  bool up = false, running = false, loopback = false, multicast = false, pointToPoint = false;
  int64_t mtu = -1;  // -1: unknown
  std::vector<IfaceAddressRecord> addresses;
  // Linux: the VRF (an l3mdev device) the interface is enslaved to, if any. Not part of IfaceInfo:
  // receivers need it to tell whether its datagrams can reach them.
  std::string vrf;
};

SysError ScanInterfaces(std::vector<IfaceRecord>& out);

// Whether a socket this process opens now gets the datagrams of the VRF's member interfaces. Linux
// delivers them only to sockets bound to the VRF, unless net.ipv4.udp_l3mdev_accept is 1 (the
// setting applies to IPv6 as well). Elsewhere there are no VRFs: true.
bool VrfDeliversToNewSockets(const std::string& vrf);

// "aa:bb:..." from raw link-layer bytes.
std::string FormatLinkLayerAddress(const unsigned char* bytes, size_t length);
// Bits set in a netmask, counted from the top.
int PrefixLengthOf(const unsigned char* mask, size_t length);

}  // namespace mce
