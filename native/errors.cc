#include "errors.h"

#include <uv.h>

#include <string>

namespace mce {

Napi::Error MakeOsError(Napi::Env env, const SysError& error) {
  // libuv maps the OS's number (errno, or a WSA error) to one portable code on every OS.
  int uvErr = uv_translate_sys_error(error.code);
  char name[64];
  char text[256];
  uv_err_name_r(uvErr, name, sizeof(name));
  uv_strerror_r(uvErr, text, sizeof(text));
  std::string code = name;
  if (code.rfind("Unknown", 0) == 0) code = "UNKNOWN";
  const char* syscall = error.syscall ? error.syscall : "unknown";
  Napi::Error err = Napi::Error::New(env, std::string(syscall) + " " + code + ": " + text);
  err.Set("code", Napi::String::New(env, code));
  err.Set("errno", Napi::Number::New(env, uvErr));
  err.Set("syscall", Napi::String::New(env, syscall));
#ifdef _WIN32
  // libuv names only some Windows errors (WSAENOPROTOOPT and WSAENETDOWN, among others, come out as
  // UNKNOWN): the number itself goes along, for lib/windows-errors.ts to name.
  err.Set("windowsError", Napi::Number::New(env, error.code));
#endif
  return err;
}

}  // namespace mce
