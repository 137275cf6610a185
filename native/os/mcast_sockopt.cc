// Multicast socket options that read the same on every OS once the OS's table (kMcastOptions, in
// mcast_sockopt_<os>.cc) has said how it spells each option. See mcast_sockopt.h.
#include "mcast_sockopt.h"

#include "udp_socket.h"

namespace mce {
namespace {

int FamilyIndex(int family) { return family == AF_INET6 ? 1 : 0; }

}  // namespace

SysError SetMulticastTtl(socket_t s, int family, int ttl) {
  return SetOpt(s, kMcastOptions.ttl[FamilyIndex(family)], ttl);
}

SysError SetUnicastTtl(socket_t s, int family, int ttl) {
  return SetOpt(s, kMcastOptions.unicastTtl[FamilyIndex(family)], ttl);
}

SysError SetMulticastLoop(socket_t s, int family, bool on) {
  return SetOpt(s, kMcastOptions.loop[FamilyIndex(family)], on ? 1 : 0);
}

SysError PrepareRxSocket(socket_t s, const RxSocketSettings& settings) {
  const McastOptionTable& table = kMcastOptions;
  for (size_t i = 0; i < table.rxCount; i++) {
    const RxOption& rx = table.rx[i];
    if (rx.family != 0 && rx.family != settings.family) continue;
    SysError error = SetOpt(s, rx.option, rx.value);
    if (error && !(rx.mayBeMissing && IsUnknownOption(error.code))) return error;
  }
  if (settings.receiveBufferSize > 0)
    if (auto e = SetReceiveBuffer(s, settings.receiveBufferSize)) return e;
  // Where the OS has no kernel timestamps (Windows, on this path), settings.timestamps goes unserved.
  if (settings.timestamps && table.timestamps.exists())
    if (auto e = SetOpt(s, table.timestamps, 1)) return e;
  return ApplyRxLoopback(s, settings.family, settings.externalLoopback);
}

}  // namespace mce
