// Which interface carries the default route, read from the OS routing table (no shelling out).
// One implementation per OS: default_route_{linux,darwin,win}.cc.
#pragma once
#include "platform.h"

namespace mce {

// Sets `ifindex` to the interface of the preferred default route of `family` (AF_INET or AF_INET6),
// or to 0 when there is no default route. Never a guess.
SysError DefaultRouteInterface(int family, uint32_t& ifindex);

}  // namespace mce
