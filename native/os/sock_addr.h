// Socket addresses as values (IPv4 or IPv6, with port and IPv6 scope), and what the receive and the
// send side both need to know about a group address.
#pragma once
#include "platform.h"

namespace mce {

// An IPv4 or IPv6 socket address, value type.
struct SockAddr {
  sockaddr_storage storage;
  socklen_t length = 0;

  SockAddr() { std::memset(&storage, 0, sizeof(storage)); }
  int family() const { return storage.ss_family; }
  sockaddr* raw() { return reinterpret_cast<sockaddr*>(&storage); }
  const sockaddr* raw() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr_in* v4() { return reinterpret_cast<sockaddr_in*>(&storage); }
  const sockaddr_in* v4() const { return reinterpret_cast<const sockaddr_in*>(&storage); }
  sockaddr_in6* v6() { return reinterpret_cast<sockaddr_in6*>(&storage); }
  const sockaddr_in6* v6() const { return reinterpret_cast<const sockaddr_in6*>(&storage); }

  // The address bytes (4 or 16) and their count.
  const unsigned char* bytes() const {
    return family() == AF_INET ? reinterpret_cast<const unsigned char*>(&v4()->sin_addr)
                               : reinterpret_cast<const unsigned char*>(&v6()->sin6_addr);
  }
  size_t byteCount() const { return family() == AF_INET ? 4 : 16; }
  bool sameAddress(const SockAddr& other) const {
    return family() == other.family() && std::memcmp(bytes(), other.bytes(), byteCount()) == 0;
  }

  static SockAddr FromBytes(int family, const unsigned char* addr, uint16_t port, uint32_t scopeId) {
    SockAddr a;
    if (family == AF_INET) {
      a.v4()->sin_family = AF_INET;
      std::memcpy(&a.v4()->sin_addr, addr, 4);
      a.v4()->sin_port = htons(port);
      a.length = sizeof(sockaddr_in);
    } else {
      a.v6()->sin6_family = AF_INET6;
      std::memcpy(&a.v6()->sin6_addr, addr, 16);
      a.v6()->sin6_port = htons(port);
      a.v6()->sin6_scope_id = scopeId;
      a.length = sizeof(sockaddr_in6);
    }
#ifdef __APPLE__
    a.storage.ss_len = static_cast<uint8_t>(a.length);
#endif
    return a;
  }
  static SockAddr Any(int family, uint16_t port) {
    unsigned char zero[16] = {0};
    return FromBytes(family, zero, port, 0);
  }
};

// Link-local (ffx2::) and interface-local (ffx1::) IPv6 groups mean nothing without an interface:
// a socket bound to one, and a datagram sent to one, carry the interface as the scope id.
inline bool GroupNeedsScope(const SockAddr& group) {
  if (group.family() != AF_INET6) return false;
  int scope = group.bytes()[1] & 0x0f;
  return scope == 1 || scope == 2;
}

}  // namespace mce
