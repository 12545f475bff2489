#!/usr/bin/python3
"""WCCPv2 golden vectors, packed by hand with struct from draft-wilson-wccp-v2-12-oct-2001
(sections 5.5-5.7), independently of redirect/wccp's encoder. Each case is <name>.bin (one UDP
payload) and a line in cases.txt: name, message type, what it holds. MD5 cases are signed with
the password "bh61pw" as 5.6.1 says: MD5(password NUL-padded to 8 octets || message with the
digest zeroed). tests/unit/redirect/wccp/wccp_vectors_test.cc decodes them, checks the fields,
verifies the digests and re-encodes them byte for byte.

Run: /usr/bin/python3 make_vectors.py   (writes into this directory)
"""
import hashlib
import os
import socket
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
PASSWORD = b"bh61pw"


def ip(s):
    return struct.unpack("!I", socket.inet_aton(s))[0]


def component(ctype, body):
    return struct.pack("!HH", ctype, len(body)) + body


def message(mtype, components, md5=False):
    body = b"".join(components)
    msg = struct.pack("!IHH", mtype, 0x0200, len(body)) + body
    if md5:
        key = PASSWORD.ljust(8, b"\0")
        digest = hashlib.md5(key + msg).digest()  # the digest field is zero in msg
        at = 8 + 8  # header, then type/length/option of the Security Info component
        msg = msg[:at] + digest + msg[at + 16:]
    return msg


def security(md5):
    return component(0, struct.pack("!I", 1) + bytes(16)) if md5 else component(0, struct.pack("!I", 0))


def service(sid, flags, priority=34, ports=(0,) * 8, stype=1, protocol=6):
    return component(1, struct.pack("!BBBBI8H", stype, sid, priority, protocol, flags, *ports))


def wc_identity_element(addr, buckets=bytes(32), weight=10000, status=0, u=False):
    flags = 0x8000 if u else 0
    return struct.pack("!IHH", ip(addr), 0, flags) + buckets + struct.pack("!HH", weight, status)


def capabilities(fwd, assign, ret):
    return component(8, struct.pack("!HHI", 1, 4, fwd) + struct.pack("!HHI", 2, 4, assign) +
                     struct.pack("!HHI", 3, 4, ret))


def here_i_am(box, router, receive_id, change, md5, sid, flags, ports=(0,) * 8):
    wc_view = struct.pack("!II", change, 1) + struct.pack("!II", ip(router), receive_id) + struct.pack("!I", 0)
    return message(10, [
        security(md5),
        service(sid, flags, ports=ports),
        component(3, wc_identity_element(box, u=True)),
        component(5, wc_view),
        capabilities(1, 1, 1),
    ], md5)


def i_see_you(router, receive_id, sent_to, boxes, change, md5, sid, flags):
    rid = struct.pack("!III", ip(router), receive_id, ip(sent_to)) + struct.pack("!I", len(boxes)) + \
        b"".join(struct.pack("!I", ip(b)) for b in boxes)
    view = struct.pack("!III", change, ip(boxes[0]), 1) + struct.pack("!I", 1) + struct.pack("!I", ip(router))
    view += struct.pack("!I", len(boxes)) + b"".join(wc_identity_element(b, u=True) for b in boxes)
    return message(11, [
        security(md5),
        service(sid, flags),
        component(2, rid),
        component(4, view),
        capabilities(1 | 2, 1 | 2, 1 | 2),
    ], md5)


def redirect_assign(designated, router, receive_id, change, boxes, md5, sid, flags):
    body = struct.pack("!II", ip(designated), 1)
    body += struct.pack("!I", 1) + struct.pack("!III", ip(router), receive_id, change)
    body += struct.pack("!I", len(boxes)) + b"".join(struct.pack("!I", ip(b)) for b in boxes)
    # 256 buckets in contiguous blocks, one block per box (index in the web-cache list).
    body += bytes((i * len(boxes)) // 256 for i in range(256))
    return message(12, [security(md5), service(sid, flags), component(6, body)], md5)


def redirect_assign_mask(designated, router, receive_id, change, boxes, md5, sid, flags):
    body = struct.pack("!II", ip(designated), 1)
    body += struct.pack("!I", 1) + struct.pack("!III", ip(router), receive_id, change)
    body += struct.pack("!I", 1)  # one mask/value set: source address mask 0xF00 (WAAS default)
    body += struct.pack("!IIHH", 0xF00, 0, 0, 0)
    values = [(v << 8, boxes[v % len(boxes)]) for v in range(16)]
    body += struct.pack("!I", len(values))
    for value, box in values:
        body += struct.pack("!IIHHI", value, 0, 0, 0, ip(box))
    alt = struct.pack("!HH", 1, len(body)) + body
    return message(12, [security(md5), service(sid, flags), component(13, alt)], md5)


def removal_query(router, receive_id, sent_to, target, md5, sid, flags):
    q = struct.pack("!IIII", ip(router), receive_id, ip(sent_to), ip(target))
    return message(13, [security(md5), service(sid, flags), component(7, q)], md5)


CASES = [
    ("hia_61_md5", 10, "HERE_I_AM, dynamic 61 (src-ip hash, no ports), MD5, WC identity + view, GRE/hash/GRE",
     here_i_am("10.91.1.5", "10.91.1.1", 7, 1, True, 61, 0x1)),
    ("hia_62_none", 10, "HERE_I_AM, dynamic 62 (dst-ip hash), no security",
     here_i_am("10.91.1.5", "10.91.1.1", 0, 1, False, 62, 0x2)),
    ("hia_squid_ports", 10, "HERE_I_AM as Squid 5.7 sends it: ports 1-8 defined, flags 0x12, MD5",
     here_i_am("10.251.0.2", "10.251.0.1", 0, 1, True, 62, 0x12, ports=(1, 2, 3, 4, 5, 6, 7, 8))),
    ("isy_61_md5", 11, "I_SEE_YOU to two boxes, router view with hash elements, GRE|L2 / hash|mask",
     i_see_you("10.91.1.1", 8, "10.91.1.5", ["10.91.1.5", "10.91.1.6"], 2, True, 61, 0x1)),
    ("assign_hash_md5", 12, "REDIRECT_ASSIGN, hash: 3 boxes, 256 buckets in blocks",
     redirect_assign("10.91.1.5", "10.91.1.1", 9, 2, ["10.91.1.5", "10.91.1.6", "10.91.1.7"], True, 61, 0x1)),
    ("assign_mask_md5", 12, "REDIRECT_ASSIGN, alternate assignment (mask): src mask 0xF00, 16 values over 2 boxes",
     redirect_assign_mask("10.91.1.5", "10.91.1.1", 9, 2, ["10.91.1.5", "10.91.1.6"], True, 61, 0x1)),
    ("removal_query", 13, "REMOVAL_QUERY from the router about 10.91.1.6",
     removal_query("10.91.1.1", 12, "10.91.1.1", "10.91.1.6", True, 61, 0x1)),
]


def main():
    with open(os.path.join(HERE, "cases.txt"), "w") as index:
        for name, mtype, what, data in CASES:
            with open(os.path.join(HERE, name + ".bin"), "wb") as f:
                f.write(data)
            index.write("%s %d %s\n" % (name, mtype, what))


if __name__ == "__main__":
    main()
