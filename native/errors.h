// JavaScript errors for OS failures: code (the errno name, as Node names it), errno (libuv's number,
// negative like Node's), syscall, and a message naming both. The TypeScript layer adds hints.
#pragma once
#include <napi.h>

#include "os/platform.h"

namespace mce {

Napi::Error MakeOsError(Napi::Env env, const SysError& error);

// Throws the OS error as a JavaScript exception if there is one.
inline void ThrowIfFailed(Napi::Env env, const SysError& error) {
  if (error) throw MakeOsError(env, error);
}

}  // namespace mce
