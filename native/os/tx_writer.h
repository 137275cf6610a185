// Sending datagrams: one at a time everywhere, several per system call where the OS has sendmmsg;
// each out of the socket's interface, or out of one of its own (a TxRoute: the interface and source
// address go with the datagram as packet info, IP_PKTINFO / IPV6_PKTINFO).
// Implemented by tx_writer_posix.cc (one datagram and the packet info, Linux and macOS),
// tx_writer_linux.cc and tx_writer_darwin.cc (batches), tx_writer_win.cc.
#pragma once
#include <vector>

#include "platform.h"
#include "sock_addr.h"

namespace mce {

// Where a datagram leaves when not as the socket says: out of interface `ifindex`, from `source`
// (an address of that interface; the port is the socket's own).
struct TxRoute {
  uint32_t ifindex = 0;
  SockAddr source;
};

struct TxDatagram {
  const unsigned char* data;
  size_t length;
  const SockAddr* destination;
  // Null: out of the socket's own interface (IP_MULTICAST_IF), as the socket's options say.
  const TxRoute* route = nullptr;
};

// Sends one datagram. `wouldBlock` is set (and no error returned) when the socket buffer is full.
SysError SendDatagram(socket_t s, const TxDatagram& d, bool& wouldBlock);

// Sends as many of `ds` as the kernel takes now; `sent` counts them. Stops without error at a full
// socket buffer; an error is for datagram number `sent`.
SysError SendDatagrams(socket_t s, const std::vector<TxDatagram>& ds, size_t& sent);

// SendDatagrams for OSes without a batch send: one SendDatagram per datagram.
inline SysError SendEachDatagram(socket_t s, const std::vector<TxDatagram>& ds, size_t& sent) {
  sent = 0;
  for (const TxDatagram& d : ds) {
    bool wouldBlock = false;
    if (auto e = SendDatagram(s, d, wouldBlock)) return e;
    if (wouldBlock) return {};
    sent++;
  }
  return {};
}

}  // namespace mce
