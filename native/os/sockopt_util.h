// setsockopt with a typed value, the same on every OS (Winsock wants const char*, BSD const void*).
#pragma once
#include "platform.h"

namespace mce {

template <typename T>
SysError SetOpt(socket_t s, int level, int name, const T& value, const char* syscall) {
  if (setsockopt(s, level, name, reinterpret_cast<const char*>(&value), static_cast<sockopt_len_t>(sizeof(value))) != 0)
    return Fail(syscall);
  return {};
}

inline int IpLevel(int family) { return family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6; }

}  // namespace mce
