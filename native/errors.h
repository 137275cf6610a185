// JavaScript errors for OS failures: code (the errno name, as Node names it), errno (libuv's number,
// negative like Node's), syscall, and a message naming both; on Windows also windowsError, the
// number before libuv's mapping. The TypeScript layer (lib/errors.ts) adds hints and Windows names.
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
