// A UDP socket's life outside multicast: opened non-blocking and kept out of child processes, bound,
// asked for its address, given a receive buffer. Implemented by udp_socket.cc (what every OS does
// alike) and udp_socket_{linux,darwin,win}.cc (opening and binding, which each OS does its own way).
#pragma once
#include "platform.h"
#include "sock_addr.h"
#include "unique_socket.h"

namespace mce {

// A non-blocking, close-on-exec UDP socket of the family, IPv6 ones IPv6-only, or the error.
SysError OpenUdpSocket(int family, UniqueSocket& out);
SysError BindSocket(socket_t s, const SockAddr& address);
SysError LocalAddress(socket_t s, SockAddr& out);
SysError SetReceiveBuffer(socket_t s, int bytes);

}  // namespace mce
