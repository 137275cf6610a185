// setsockopt as the rest of the OS layer uses it: with a typed value (Winsock wants const char*, BSD
// const void*), or by a SockOpt, an option as one OS spells it (level, name, and how wide its integer
// value is), so that the per-OS files can list their options as tables and the code that sets them
// is written once (golang.org/x/net/ipv4's sockOpt tables are the model).
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

// How wide an option's integer value is: BSD's IPv4 multicast options take one byte (u_char), most
// others an int (a DWORD on Windows: the same four bytes).
enum class OptWidth { kByte, kInt };

struct SockOpt {
  int level = 0;
  int name = 0;
  OptWidth width = OptWidth::kInt;
  const char* syscall = nullptr;  // for the error, e.g. "setsockopt(IP_MULTICAST_TTL)"; null: no such option

  bool exists() const { return syscall != nullptr; }
};

// The SockOpt of an option as its header names it, its error naming it the same way:
// MCE_SOCKOPT(IPPROTO_IP, IP_MULTICAST_TTL, kByte).
#define MCE_SOCKOPT(level, name, width) \
  ::mce::SockOpt { level, name, ::mce::OptWidth::width, "setsockopt(" #name ")" }

// Sets `option` to `value`, written as wide as the option wants it.
inline SysError SetOpt(socket_t s, const SockOpt& option, int value) {
  if (option.width == OptWidth::kByte)
    return SetOpt(s, option.level, option.name, static_cast<unsigned char>(value), option.syscall);
  return SetOpt(s, option.level, option.name, value, option.syscall);
}

}  // namespace mce
