#!/usr/bin/env python3
"""Writes route_netlink.txt: rtnetlink messages (rtnetlink(7), RFC 3549) packed here with
struct, independently of redirect/route_netlink.cc, for its golden tests and the seed corpus of
the `route_answer` fuzz target.

Layout: nlmsghdr {u32 len, u16 type, u16 flags, u32 seq, u32 pid}, then struct rtmsg
{u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags}, then attributes
{u16 len, u16 type, payload, padded to 4}. Host byte order (little-endian here).

Usage: python3 gen_route_vectors.py
"""
import os
import socket
import struct

RTM_NEWROUTE, RTM_GETROUTE, NLMSG_ERROR = 24, 26, 2
NLM_F_REQUEST = 1
RTA_DST, RTA_OIF, RTA_GATEWAY, RTA_PREFSRC, RTA_METRICS, RTA_TABLE, RTA_MULTIPATH, RTA_VIA, RTA_UID = 1, 4, 5, 7, 8, 15, 9, 18, 25
RTAX_MTU, RTAX_ADVMSS = 2, 8
RTN_UNICAST, RTN_UNREACHABLE = 1, 7
AF_INET, AF_INET6 = 2, 10


def attr(t, payload):
    n = 4 + len(payload)
    return struct.pack("<HH", n, t) + payload + b"\0" * ((4 - n % 4) % 4)


def msg(mtype, flags, seq, pid, body):
    return struct.pack("<IHHII", 16 + len(body), mtype, flags, seq, pid) + body


def rtmsg(family, dst_len, table, protocol, scope, rtype):
    return struct.pack("<BBBBBBBBI", family, dst_len, 0, 0, table, protocol, scope, rtype, 0)


def v4(s):
    return socket.inet_pton(socket.AF_INET, s)


def v6(s):
    return socket.inet_pton(socket.AF_INET6, s)


vectors = []
# What buildGetRoute(10.91.4.2, seq 7) must produce.
vectors.append(("get_v4", msg(RTM_GETROUTE, NLM_F_REQUEST, 7, 0,
                              rtmsg(AF_INET, 32, 0, 0, 0, 0) + attr(RTA_DST, v4("10.91.4.2")))))
# The kernel's answer: via 10.91.2.2 dev 3, mtu 1400 locked-in metric, the attributes a
# real answer carries around them (table, prefsrc, uid).
vectors.append(("answer_v4_gateway", msg(RTM_NEWROUTE, 0, 7, 4242,
    rtmsg(AF_INET, 32, 254, 0, 0, RTN_UNICAST) + attr(RTA_TABLE, struct.pack("<I", 254)) +
    attr(RTA_DST, v4("10.91.4.2")) + attr(RTA_OIF, struct.pack("<I", 3)) +
    attr(RTA_PREFSRC, v4("10.91.2.1")) + attr(RTA_GATEWAY, v4("10.91.2.2")) +
    attr(RTA_METRICS, attr(RTAX_MTU, struct.pack("<I", 1400))) +
    attr(RTA_UID, struct.pack("<I", 0)))))
# On-link IPv6 peer with an advmss metric.
vectors.append(("answer_v6_onlink", msg(RTM_NEWROUTE, 0, 9, 4242,
    rtmsg(AF_INET6, 128, 254, 0, 0, RTN_UNICAST) + attr(RTA_DST, v6("fd91:4::2")) +
    attr(RTA_OIF, struct.pack("<I", 5)) +
    attr(RTA_METRICS, attr(RTAX_ADVMSS, struct.pack("<I", 1220))))))
# No route: NLMSG_ERROR carrying -ENETUNREACH (101) and the request's header.
req = msg(RTM_GETROUTE, NLM_F_REQUEST, 8, 0, rtmsg(AF_INET, 32, 0, 0, 0, 0))
vectors.append(("error_unreachable", msg(NLMSG_ERROR, 0, 8, 4242, struct.pack("<i", -101) + req[:16])))
# An unreachable route: not a path for a peer leg.
vectors.append(("answer_unreachable_type", msg(RTM_NEWROUTE, 0, 10, 4242,
    rtmsg(AF_INET, 32, 254, 0, 0, RTN_UNREACHABLE) + attr(RTA_DST, v4("192.0.2.1")) +
    attr(RTA_OIF, struct.pack("<I", 1)))))
# A multipath answer: not copied.
vectors.append(("answer_multipath", msg(RTM_NEWROUTE, 0, 11, 4242,
    rtmsg(AF_INET, 32, 254, 0, 0, RTN_UNICAST) + attr(RTA_DST, v4("10.91.4.2")) +
    attr(RTA_OIF, struct.pack("<I", 3)) + attr(RTA_MULTIPATH, b"\0" * 8))))
# An attribute whose length runs past the message.
bad = bytearray(vectors[1][1])
bad[16 + 12 + 8] = 0xff
vectors.append(("malformed_attr_length", bytes(bad)))

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "route_netlink.txt"), "w") as f:
    f.write("# Made by gen_route_vectors.py: name, then the message in hex.\n")
    for name, data in vectors:
        f.write("%s %s\n" % (name, data.hex()))
corpus = os.path.join(here, "..", "..", "fuzz", "corpus", "route_answer")
os.makedirs(corpus, exist_ok=True)
for name, data in vectors:
    with open(os.path.join(corpus, name), "wb") as f:
        f.write(data)
