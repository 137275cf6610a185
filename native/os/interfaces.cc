// Formatting helpers shared by every OS's interface enumeration.
#include <cstdio>

#include "interfaces.h"

namespace mce {

std::string FormatLinkLayerAddress(const unsigned char* bytes, size_t length) {
  std::string out;
  char part[4];
  bool allZero = true;
  for (size_t i = 0; i < length; i++) {
    std::snprintf(part, sizeof(part), i == 0 ? "%02x" : ":%02x", bytes[i]);
    out += part;
    if (bytes[i] != 0) allZero = false;
  }
  // Loopback and tunnels report an all-zero or empty hardware address: there is none.
  return allZero ? std::string() : out;
}

int PrefixLengthOf(const unsigned char* mask, size_t length) {
  int bits = 0;
  for (size_t i = 0; i < length; i++) {
    unsigned char b = mask[i];
    while (b & 0x80) {
      bits++;
      b = static_cast<unsigned char>(b << 1);
    }
    if (mask[i] != 0xff) break;
  }
  return bits;
}

}  // namespace mce
