// Conversions between JavaScript values and native addresses, and argument checks for the native
// entry points. The TypeScript layer validates user input; these checks only keep a direct caller of
// the native layer from crashing the process (they throw TypeError instead).
#pragma once
#include <napi.h>

#include <string>

#include "os/sock_addr.h"

namespace mce {

std::string FormatAddress(int family, const unsigned char* bytes);
Napi::String AddressToJs(Napi::Env env, const SockAddr& address);

// Parses a numeric IPv4 or IPv6 address (no zone) into `out`; false when it is not one.
bool ParseAddress(const std::string& text, uint16_t port, uint32_t scopeId, SockAddr& out);

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what);
uint32_t ArgUint32(const Napi::CallbackInfo& info, size_t i, const char* what);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* what);
Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* what);
Napi::Function ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* what);
SockAddr ArgAddress(const Napi::CallbackInfo& info, size_t i, const char* what, uint16_t port = 0,
                    uint32_t scopeId = 0);
int ArgFamily(const Napi::CallbackInfo& info, size_t i);

// Property readers for option objects.
uint32_t PropUint32(Napi::Object o, const char* key, uint32_t fallback);
bool PropBool(Napi::Object o, const char* key, bool fallback);

}  // namespace mce
