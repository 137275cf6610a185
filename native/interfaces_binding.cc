// JavaScript face of interface enumeration and default-route lookup. The objects built here already
// have the IfaceInfo shape of SPEC.md; the TypeScript layer freezes and caches them.
#include "interfaces_binding.h"

#include "errors.h"
#include "js_convert.h"
#include "os/default_route.h"
#include "os/interfaces.h"

namespace mce {
namespace {

Napi::Object AddressToObject(Napi::Env env, const IfaceAddressRecord& a) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("address", FormatAddress(a.family, a.bytes));
  o.Set("prefixLength", a.prefixLength);
  if (a.family == AF_INET6) o.Set("scopeId", a.scopeId);
  return o;
}

Napi::Object IfaceToObject(Napi::Env env, const IfaceRecord& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", r.name);
  o.Set("friendlyName", r.friendlyName);
  o.Set("index", r.index);
  o.Set("linkLayerAddress",
        r.linkLayerAddress.empty() ? env.Null() : Napi::String::New(env, r.linkLayerAddress));
  Napi::Array v4 = Napi::Array::New(env);
  Napi::Array v6 = Napi::Array::New(env);
  for (const IfaceAddressRecord& a : r.addresses) {
    Napi::Array& list = a.family == AF_INET ? v4 : v6;
    list.Set(list.Length(), AddressToObject(env, a));
  }
  o.Set("ipv4", v4);
  o.Set("ipv6", v6);
  o.Set("up", r.up);
  o.Set("running", r.running);
  o.Set("loopback", r.loopback);
  o.Set("multicast", r.multicast);
  o.Set("pointToPoint", r.pointToPoint);
  o.Set("mtu", r.mtu < 0 ? env.Null() : Napi::Number::New(env, static_cast<double>(r.mtu)));
  return o;
}

Napi::Value ScanInterfacesJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<IfaceRecord> records;
  ThrowIfFailed(env, ScanInterfaces(records));
  Napi::Array out = Napi::Array::New(env, records.size());
  for (size_t i = 0; i < records.size(); i++) out.Set(i, IfaceToObject(env, records[i]));
  return out;
}

Napi::Value DefaultRouteInterfaceJs(const Napi::CallbackInfo& info) {
  int family = ArgFamily(info, 0);
  uint32_t ifindex = 0;
  ThrowIfFailed(info.Env(), DefaultRouteInterface(family, ifindex));
  return Napi::Number::New(info.Env(), ifindex);
}

}  // namespace

void InitInterfaces(Napi::Env env, Napi::Object exports) {
  exports.Set("scanInterfaces", Napi::Function::New(env, ScanInterfacesJs, "scanInterfaces"));
  exports.Set("defaultRouteInterface",
              Napi::Function::New(env, DefaultRouteInterfaceJs, "defaultRouteInterface"));
}

}  // namespace mce
