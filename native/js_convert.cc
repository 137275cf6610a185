#include "js_convert.h"

#include <uv.h>

namespace mce {

std::string FormatAddress(int family, const unsigned char* bytes) {
  char text[64];
  if (uv_inet_ntop(family, bytes, text, sizeof(text)) != 0) return std::string();
  return text;
}

Napi::String AddressToJs(Napi::Env env, const SockAddr& address) {
  return Napi::String::New(env, FormatAddress(address.family(), address.bytes()));
}

bool ParseAddress(const std::string& text, uint16_t port, uint32_t scopeId, SockAddr& out) {
  unsigned char bytes[16];
  if (uv_inet_pton(AF_INET, text.c_str(), bytes) == 0) {
    out = SockAddr::FromBytes(AF_INET, bytes, port, 0);
    return true;
  }
  if (text.find('%') == std::string::npos && uv_inet_pton(AF_INET6, text.c_str(), bytes) == 0) {
    out = SockAddr::FromBytes(AF_INET6, bytes, port, scopeId);
    return true;
  }
  return false;
}

static Napi::Value Arg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (i >= info.Length()) throw Napi::TypeError::New(info.Env(), std::string("missing argument: ") + what);
  return info[i];
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = Arg(info, i, what);
  if (!v.IsString()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

uint32_t ArgUint32(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = Arg(info, i, what);
  if (!v.IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
    throw Napi::RangeError::New(info.Env(), std::string(what) + " must be an unsigned 32-bit integer");
  return static_cast<uint32_t>(d);
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = Arg(info, i, what);
  if (!v.IsBoolean()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

Napi::Object ArgObject(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = Arg(info, i, what);
  if (!v.IsObject()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be an object");
  return v.As<Napi::Object>();
}

Napi::Function ArgFunction(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Value v = Arg(info, i, what);
  if (!v.IsFunction()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a function");
  return v.As<Napi::Function>();
}

SockAddr ArgAddress(const Napi::CallbackInfo& info, size_t i, const char* what, uint16_t port,
                    uint32_t scopeId) {
  std::string text = ArgString(info, i, what);
  SockAddr out;
  if (!ParseAddress(text, port, scopeId, out))
    throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a numeric IP address");
  return out;
}

int ArgFamily(const Napi::CallbackInfo& info, size_t i) {
  uint32_t f = ArgUint32(info, i, "family");
  if (f == 4) return AF_INET;
  if (f == 6) return AF_INET6;
  throw Napi::RangeError::New(info.Env(), "family must be 4 or 6");
}

uint32_t PropUint32(Napi::Object o, const char* key, uint32_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d)))
    throw Napi::RangeError::New(o.Env(), std::string(key) + " must be an unsigned 32-bit integer");
  return static_cast<uint32_t>(d);
}

bool PropBool(Napi::Object o, const char* key, bool fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

}  // namespace mce
