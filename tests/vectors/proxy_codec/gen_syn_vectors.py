#!/usr/bin/env python3
"""Generates golden SYN / SYN-ACK packets before and after the auto-discovery option is added.

An implementation independent of proxy/codec: plain struct packing, its own RFC 1071 checksum,
its own option placement (at the End of Option List octet, else after the last option, NOPs in
front to a 4-byte multiple). Writes syn_rewrite.txt (read by tests/unit/proxy/codec) and
syn_rewrite.pcap (raw IP, LINKTYPE_RAW). tshark (scripts/deps installs it) must dissect every
packet of the pcap with good IP and TCP checksums, or this script fails; without tshark it fails
too, since the vectors would be unchecked.

Usage: python3 gen_syn_vectors.py   (run from any directory; writes beside itself)
"""
import os
import shutil
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_header(sport, dport, seq, ack, flags, window, options: bytes) -> bytes:
    assert len(options) % 4 == 0 and len(options) <= 40
    doff = (20 + len(options)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, doff << 4, flags, window, 0, 0) + options


def ipv4_packet(src, dst, segment: bytes, ident=0x1c46) -> bytes:
    total = 20 + len(segment)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, 0x4000, 64, 6, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    pseudo = src + dst + struct.pack("!BBH", 0, 6, len(segment))
    c = csum(pseudo + segment)
    segment = segment[:16] + struct.pack("!H", c) + segment[18:]
    return hdr + segment


def ipv6_packet(src, dst, segment: bytes) -> bytes:
    hdr = struct.pack("!IHBB16s16s", 0x60000000 | 0x12345, len(segment), 6, 64, src, dst)
    pseudo = src + dst + struct.pack("!IxxxB", len(segment), 6)
    c = csum(pseudo + segment)
    segment = segment[:16] + struct.pack("!H", c) + segment[18:]
    return hdr + segment


def linux_syn_options(ts_val, ts_ecr=0) -> bytes:
    # What Linux sends: MSS, SACK permitted, Timestamps, NOP, Window scale (20 bytes).
    return (struct.pack("!BBH", 2, 4, 1460) + bytes([4, 2]) + struct.pack("!BBII", 8, 10, ts_val, ts_ecr)
            + bytes([1]) + bytes([3, 3, 7]))


def discovery_option(kind, exid, device, role, version, flags, policy) -> bytes:
    payload = bytes(device) + bytes([version << 4 | role << 2 | flags, policy])
    body = (struct.pack("!H", exid) if exid is not None else b"") + payload
    opt = bytes([kind, 2 + len(body)]) + body
    pad = (4 - len(opt) % 4) % 4
    return bytes([1]) * pad + opt


def insert(options: bytes, opt: bytes) -> bytes:
    # Walk to the End of Option List (kind 0) or the end; insert there.
    i = 0
    while i < len(options):
        k = options[i]
        if k == 0:
            break
        if k == 1:
            i += 1
            continue
        i += options[i + 1]
    return options[:i] + opt + options[i:]


def build(family, sport, dport, seq, ack, flags, options, payload=b""):
    seg = tcp_header(sport, dport, seq, ack, flags, 64240, options) + payload
    if family == 4:
        return ipv4_packet(bytes([10, 1, 0, 10]), bytes([10, 2, 0, 20]), seg) if sport != 135 else \
            ipv4_packet(bytes([10, 2, 0, 20]), bytes([10, 1, 0, 10]), seg)
    src = bytes.fromhex("fd000001000000000000000000000010")
    dst = bytes.fromhex("fd000002000000000000000000000020")
    return ipv6_packet(src, dst, seg)


DEVICE_EDGE = [0x00, 0x1A, 0x64, 0xD3, 0x2F, 0xB8]
DEVICE_CORE = [0x00, 0x14, 0x5E, 0x84, 0x24, 0x5F]
SYN, ACK = 0x02, 0x10

VECTORS = [
    # name, family, kind, exid, device, role(1 edge, 2 core), version, flags, policy, packet args
    ("ipv4_linux_syn", 4, 253, 0x4248, DEVICE_EDGE, 1, 1, 0, 7,
     (4, 50000, 135, 0x11223344, 0, SYN, linux_syn_options(0x0A0B0C0D))),
    ("ipv6_linux_syn", 6, 253, 0x4248, DEVICE_EDGE, 1, 1, 0, 3,
     (6, 50001, 6001, 0x55667788, 0, SYN, linux_syn_options(0x01020304))),
    ("ipv4_synack_waas_kind", 4, 0x21, None, DEVICE_CORE, 2, 1, 1, 7,
     (4, 135, 50000, 0x99AABBCC, 0x11223345, SYN | ACK, linux_syn_options(0x0E0F1011, 0x0A0B0C0D))),
    # MSS + window scale + EOL: the option goes in at the EOL octet, the EOL stays after it.
    ("ipv4_syn_eol_padding", 4, 253, 0x4248, DEVICE_EDGE, 1, 1, 0, 1,
     (4, 50002, 6001, 0x01010101, 0, SYN, struct.pack("!BBH", 2, 4, 1400) + bytes([3, 3, 2, 0]))),
    # SYN with a TFO cookie (kind 34, 10 bytes) and data: 32 option bytes leave no room (refused).
    ("ipv4_syn_full_options", 4, 253, 0x4248, DEVICE_EDGE, 1, 1, 0, 7,
     (4, 50003, 6001, 0x02020202, 0, SYN,
      linux_syn_options(0x0A0B0C0D) + bytes([34, 10]) + bytes(range(8)) + bytes([1, 1]), b"GET /")),
    # No options at all: 12 bytes after the fixed header.
    ("ipv6_syn_no_options", 6, 253, 0x1234, DEVICE_EDGE, 1, 2, 0, 5,
     (6, 50004, 443, 0x03030303, 0, SYN, b"")),
]


def main() -> int:
    lines = ["# Generated by gen_syn_vectors.py; do not edit. Read by syn_rewrite_golden_test.cc.",
             "# vector NAME / format KIND EXID|none / option DEVICE ROLE VERSION FLAGS POLICY /",
             "# before HEX / after HEX|refused / end"]
    pcap_packets = []
    for (name, _fam, kind, exid, device, role, version, flags, policy, args) in VECTORS:
        family, sport, dport, seq, ack, tflags, options = args[:7]
        payload = args[7] if len(args) > 7 else b""
        before = build(family, sport, dport, seq, ack, tflags, options, payload)
        opt = discovery_option(kind, exid, device, role, version, flags, policy)
        new_options = insert(options, opt)
        after = None
        if len(new_options) <= 40:
            after = build(family, sport, dport, seq, ack, tflags, new_options, payload)
            pcap_packets += [before, after]
        dev = ":".join("%x" % b for b in device)
        lines += ["vector " + name,
                  "format %d %s" % (kind, "0x%04x" % exid if exid is not None else "none"),
                  "option %s %s %d %d %d" % (dev, "edge" if role == 1 else "core", version, flags, policy),
                  "before " + before.hex(),
                  "after " + (after.hex() if after else "refused"),
                  "end"]
    with open(os.path.join(HERE, "syn_rewrite.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    pcap = os.path.join(HERE, "syn_rewrite.pcap")
    with open(pcap, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # LINKTYPE_RAW
        for i, p in enumerate(pcap_packets):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(p), len(p)) + p)
    return check_with_tshark(pcap, len(pcap_packets))


def check_with_tshark(pcap, count) -> int:
    tshark = shutil.which("tshark")
    if not tshark:
        print("tshark not found (install it, scripts/deps): vectors written but not checked",
              file=sys.stderr)
        return 1
    out = subprocess.run([tshark, "-r", pcap, "-o", "tcp.check_checksum:TRUE",
                          "-o", "ip.check_checksum:TRUE", "-T", "fields",
                          "-e", "frame.number", "-e", "ip.checksum.status", "-e", "ipv6.plen", "-e", "tcp.checksum.status",
                          "-e", "_ws.malformed", "-e", "_ws.expert.severity"],
                         capture_output=True, text=True, check=True).stdout
    rows = [r.split("\t") for r in out.strip().splitlines()]
    bad = []
    for r in rows:
        ip_status, is_ipv6, tcp_status = r[1], r[2] != "", r[3]
        # Status 1 = Good (wireshark's PROTO_CHECKSUM_E_GOOD); IPv6 has no header checksum.
        if tcp_status != "1" or ip_status != ("" if is_ipv6 else "1") or r[4]:
            bad.append(r)
    if len(rows) != count or bad:
        print("tshark disagrees:", bad or rows, file=sys.stderr)
        return 1
    print("tshark: %d packets, IP and TCP checksums good" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
