#!/usr/bin/python3
"""Resolves NAME.local with python3-zeroconf (a full mDNS implementation, not ours) on every interface
of the host it runs on, and prints what it learnt as JSON: the A and AAAA records for the name, and
the address and port every response came from.

  /usr/bin/python3 test/peers/mdns_resolve.py NAME.local [--timeout SECONDS]
  /usr/bin/python3 test/peers/mdns_resolve.py NAME.local --legacy --iface eth0 [--to ff02::fb]

--legacy sends one legacy unicast query (RFC 6762 6.7: from a port other than 5353, to the group) from a
plain socket, and prints the answers of the unicast reply and where it came from.
"""
import argparse
import json
import socket
import struct
import sys
import time

from zeroconf import DNSIncoming, DNSOutgoing, DNSQuestion, IPVersion, InterfaceChoice, Zeroconf
from zeroconf.const import _CLASS_IN, _FLAGS_QR_QUERY, _TYPE_A, _TYPE_AAAA

TYPES = {_TYPE_A: 'A', _TYPE_AAAA: 'AAAA'}


def records(answers, name):
    """The A and AAAA records for `name`, one per address (the cache may hold one per receiving socket)."""
    out = {'A': {}, 'AAAA': {}}
    for r in answers:
        if r.name.lower() == name.lower() and r.type in TYPES:
            family = socket.AF_INET if r.type == _TYPE_A else socket.AF_INET6
            address = socket.inet_ntop(family, r.address)
            out[TYPES[r.type]][address] = {'address': address, 'ttl': r.ttl}
    return {kind: list(found.values()) for kind, found in out.items()}


def multicast(name, timeout):
    zc = Zeroconf(interfaces=InterfaceChoice.All, ip_version=IPVersion.All)
    sources = []
    handle = zc.handle_response

    def recording(msg):
        if any(r.name.lower() == name.lower() for r in msg.answers):
            address = msg.source[0]
            if address.startswith('::ffff:'):  # an IPv4 sender, seen by zeroconf's dual-stack socket
                address = address[len('::ffff:'):]
            sources.append({'address': address, 'port': msg.source[1]})
        handle(msg)

    zc.handle_response = recording
    try:
        deadline = time.monotonic() + timeout
        # Ask, and ask again (RFC 6762 5.2) until the deadline: answers may take up to 120 ms each.
        while time.monotonic() < deadline:
            out = DNSOutgoing(_FLAGS_QR_QUERY)
            out.add_question(DNSQuestion(name, _TYPE_A, _CLASS_IN))
            out.add_question(DNSQuestion(name, _TYPE_AAAA, _CLASS_IN))
            zc.send(out)
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        found = records(zc.cache.entries_with_name(name), name)
    finally:
        zc.close()
    # One entry per address: the cache keeps one record per (name, type, address).
    return {**found, 'sources': [dict(t) for t in {tuple(s.items()) for s in sources}]}


def legacy(name, group, iface, timeout):
    family = socket.AF_INET6 if ':' in group else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind(('', 0))
    if family == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
    out = DNSOutgoing(_FLAGS_QR_QUERY, multicast=False)
    out.id = 0x4242
    out.add_question(DNSQuestion(name, _TYPE_A, _CLASS_IN))
    out.add_question(DNSQuestion(name, _TYPE_AAAA, _CLASS_IN))
    index = socket.if_nametoindex(iface)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
        dest = (group, 5353, 0, index)
    else:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, struct.pack('=4s4si', bytes(4), bytes(4), index))  # ip_mreqn
        dest = (group, 5353)
    for packet in out.packets():
        s.sendto(packet, dest)
    s.settimeout(timeout)
    replies = []
    try:
        while True:
            data, addr = s.recvfrom(9000)
            msg = DNSIncoming(data)
            replies.append({'from': {'address': addr[0], 'port': addr[1]}, 'id': msg.id,
                            'questions': [q.name for q in msg.questions], **records(msg.answers, name)})
            s.settimeout(0.5)  # more replies (one per responder) come close together
    except socket.timeout:
        pass
    return {'port': s.getsockname()[1], 'replies': replies}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('name')
    p.add_argument('--timeout', type=float, default=3.0)
    p.add_argument('--legacy', action='store_true')
    p.add_argument('--to', default='224.0.0.251')
    p.add_argument('--iface', default='eth0')
    a = p.parse_args()
    name = a.name if a.name.endswith('.') else a.name + '.'  # zeroconf's names are fully qualified
    result = legacy(name, a.to, a.iface, a.timeout) if a.legacy else multicast(name, a.timeout)
    json.dump(result, sys.stdout)
    print()


main()
