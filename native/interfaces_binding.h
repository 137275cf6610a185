#pragma once
#include <napi.h>

namespace mce {
// Exports scanInterfaces() and defaultRouteInterface(family).
void InitInterfaces(Napi::Env env, Napi::Object exports);
}
