// The few names that differ between Winsock and BSD sockets, so that the rest of the native code can
// be written once. Everything OS-specific beyond this lives in native/os/<concern>_<os>.cc.
#pragma once

#if defined(__APPLE__) && !defined(__APPLE_USE_RFC_3542)
// Apple hides IPV6_RECVPKTINFO and IPV6_PKTINFO unless asked for RFC 3542. binding.gyp defines this for
// every file, since a system header included before this one would already have decided.
#define __APPLE_USE_RFC_3542 1
#endif

#ifdef _WIN32
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
// windows.h's min and max macros break std::min; binding.gyp defines this too, for the same reason.
#ifndef NOMINMAX
#define NOMINMAX
#endif
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
using socket_t = SOCKET;
using sockopt_len_t = int;
constexpr socket_t kInvalidSocket = INVALID_SOCKET;
#else
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
using socket_t = int;
using sockopt_len_t = socklen_t;
constexpr socket_t kInvalidSocket = -1;
#endif

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace mce {

// The error of the last socket call on this thread, as the OS reports it (errno, or WSAGetLastError()).
inline int LastSocketError() {
#ifdef _WIN32
  return WSAGetLastError();
#else
  return errno;
#endif
}

inline bool IsWouldBlock(int err) {
#ifdef _WIN32
  return err == WSAEWOULDBLOCK;
#else
  return err == EAGAIN || err == EWOULDBLOCK;
#endif
}

inline bool IsInterrupted(int err) {
#ifdef _WIN32
  return err == WSAEINTR;
#else
  return err == EINTR;
#endif
}

// A membership call that failed because its interface, or the membership itself, is gone already
// (the interface was removed; the kernel dropped the membership with it): a leave has nothing left
// to undo.
inline bool IsMembershipGone(int err) {
#ifdef _WIN32
  return err == WSAEADDRNOTAVAIL || err == WSAENETDOWN;
#else
  return err == ENODEV || err == ENXIO || err == EADDRNOTAVAIL;
#endif
}

inline int CloseSocketHandle(socket_t s) {
#ifdef _WIN32
  return closesocket(s);
#else
  return close(s);
#endif
}

// A failed system call: the OS error number and the call, for the error the user sees.
// Default-constructed means success. Kept free of Node-API so the OS layer stands on its own.
struct SysError {
  int code = 0;
  const char* syscall = nullptr;
  explicit operator bool() const { return code != 0; }
};

inline SysError Fail(const char* syscall) { return SysError{LastSocketError(), syscall}; }
inline SysError FailWith(int code, const char* syscall) { return SysError{code, syscall}; }

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

}  // namespace mce
