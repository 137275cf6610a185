// The few names that differ between Winsock and BSD sockets, so that the rest of the native code can
// be written once. Everything OS-specific beyond this lives in native/os/, one header per concern,
// implemented by the files that carry its name:
//   <concern>.cc          the same on every OS
//   <concern>_posix.cc    the same on Linux and macOS
//   <concern>_linux.cc, <concern>_darwin.cc, <concern>_win.cc
//                         what one OS does its own way
// binding.gyp compiles each OS's set; nothing in those files asks which OS it is on.
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

// A socket option this kernel does not know (an older one than the option).
inline bool IsUnknownOption(int err) {
#ifdef _WIN32
  return err == WSAENOPROTOOPT;
#else
  return err == ENOPROTOOPT;
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

}  // namespace mce
