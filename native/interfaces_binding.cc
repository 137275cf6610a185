// JavaScript face of interface enumeration and default-route lookup. The interfaces cross as JSON in
// the IfaceInfo shape of SPEC.md; the TypeScript layer parses, freezes and caches them.
#include "interfaces_binding.h"

#include <cstdio>
#include <string>

#include "errors.h"
#include "js_convert.h"
#include "os/default_route.h"
#include "os/interfaces.h"

namespace mce {
namespace {

// The scan crosses to JavaScript as one JSON text, which JavaScript parses into the IfaceInfo
// objects. Built here with one Node-API call per property instead, the objects cost more than the
// scan itself: at 500 interfaces (where every rescan of the interface monitor pays it) about 5.5 ms
// of CPU against 4 ms for the two netlink dumps; as JSON, 1.7 ms.
void AppendJsonString(std::string& out, const std::string& text) {
  out += '"';
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      // Interface names may hold any byte but '/', ':', NUL and whitespace; control bytes need escaping.
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void AppendAddressJson(std::string& out, const IfaceAddressRecord& a) {
  out += "{\"address\":\"";
  out += FormatAddress(a.family, a.bytes);
  out += "\",\"prefixLength\":";
  out += std::to_string(a.prefixLength);
  if (a.family == AF_INET6) {
    out += ",\"scopeId\":";
    out += std::to_string(a.scopeId);
  }
  out += '}';
}

void AppendAddressListJson(std::string& out, const IfaceRecord& r, int family) {
  out += '[';
  bool first = true;
  for (const IfaceAddressRecord& a : r.addresses) {
    if (a.family != family) continue;
    if (!first) out += ',';
    first = false;
    AppendAddressJson(out, a);
  }
  out += ']';
}

const char* JsonBool(bool value) { return value ? "true" : "false"; }

void AppendIfaceJson(std::string& out, const IfaceRecord& r) {
  out += "{\"name\":";
  AppendJsonString(out, r.name);
  out += ",\"friendlyName\":";
  AppendJsonString(out, r.friendlyName);
  out += ",\"index\":";
  out += std::to_string(r.index);
  out += ",\"linkLayerAddress\":";
  if (r.linkLayerAddress.empty())
    out += "null";
  else
    AppendJsonString(out, r.linkLayerAddress);
  out += ",\"ipv4\":";
  AppendAddressListJson(out, r, AF_INET);
  out += ",\"ipv6\":";
  AppendAddressListJson(out, r, AF_INET6);
  out += ",\"up\":";
  out += JsonBool(r.up);
  out += ",\"running\":";
  out += JsonBool(r.running);
  out += ",\"loopback\":";
  out += JsonBool(r.loopback);
  out += ",\"multicast\":";
  out += JsonBool(r.multicast);
  out += ",\"pointToPoint\":";
  out += JsonBool(r.pointToPoint);
  out += ",\"mtu\":";
  out += r.mtu < 0 ? std::string("null") : std::to_string(r.mtu);
  if (!r.vrf.empty()) {
    // Not an IfaceInfo property: lib/interfaces.ts takes it off and keeps it aside.
    out += ",\"vrf\":";
    AppendJsonString(out, r.vrf);
  }
  out += '}';
}

// scanInterfaces(): the interfaces as a JSON array of IfaceInfo objects, by index.
Napi::Value ScanInterfacesJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<IfaceRecord> records;
  ThrowIfFailed(env, ScanInterfaces(records));
  std::string json;
  json.reserve(records.size() * 320);
  json += '[';
  for (size_t i = 0; i < records.size(); i++) {
    if (i > 0) json += ',';
    AppendIfaceJson(json, records[i]);
  }
  json += ']';
  return Napi::String::New(env, json);
}

// vrfDeliversToNewSockets(vrf: string): boolean
Napi::Value VrfDeliversToNewSocketsJs(const Napi::CallbackInfo& info) {
  std::string vrf = ArgString(info, 0, "vrf");
  return Napi::Boolean::New(info.Env(), VrfDeliversToNewSockets(vrf));
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
  exports.Set("vrfDeliversToNewSockets",
              Napi::Function::New(env, VrfDeliversToNewSocketsJs, "vrfDeliversToNewSockets"));
  exports.Set("defaultRouteInterface",
              Napi::Function::New(env, DefaultRouteInterfaceJs, "defaultRouteInterface"));
}

}  // namespace mce
