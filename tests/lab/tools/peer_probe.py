#!/usr/bin/python3
"""Adversarial peer inputs for lab tests (run inside a lab namespace).

  peer_probe.py garbage|oversize --host H --port P
      From the edge node: opens a connection marked 0x1b02 so the edge's own SYN handler adds
      the auto-discovery option; the core then takes it for a peered flow, we send a valid
      Hello and then garbage frames (or a frame header announcing a 4 GiB payload). Prints
      what happened.
  peer_probe.py badsyn --src S --dst D --port P
      Sends raw SYNs with a forged and with a truncated experimental option (kind 253).
"""
import argparse, socket, struct, sys, time


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def syn(src, dst, sport, dport, options):
    while len(options) % 4:
        options += b"\x01"
    doff = (20 + len(options)) // 4
    tcp = struct.pack("!HHIIBBHHH", sport, dport, 12345, 0, doff << 4, 0x02, 64240, 0, 0) + options
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    c = csum(pseudo + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def badsyn(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    cases = [
        # kind 253, length says 40 bytes but the header ends first (truncated)
        b"\x02\x04\x05\xb4" + b"\xfd\x28\x42\x48\x00\x01",
        # kind 253 with our ExID but a payload too short to be ours (forged)
        b"\x02\x04\x05\xb4" + b"\xfd\x06\x42\x48\x00\x00",
        # length 1: illegal
        b"\xfd\x01\x00\x00",
    ]
    for i, opt in enumerate(cases):
        s.sendto(syn(a.src, a.dst, 40000 + i, a.port, opt), (a.dst, 0))
    print("sent %d malformed SYNs" % len(cases))


def hello(s):
    """A valid Hello for this connection, so the core takes it for a peered flow."""
    cip, cport = s.getsockname()
    sip, sport = s.getpeername()
    body = struct.pack("!BB6sBBB", 1, 1, b"\x02\x00\x00\x00\x00\x01", 1, 0, 4)
    body += socket.inet_aton(cip) + struct.pack("!H", cport)
    body += socket.inet_aton(sip) + struct.pack("!H", sport)
    return struct.pack("!BBHI", 0xB1, 1, 0, len(body)) + body


def peer(a, payload):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, 0x1B02)
    s.settimeout(5)
    s.connect((a.host, a.port))
    try:
        s.sendall(hello(s) + payload)
        data = s.recv(65536)
        while data:
            data = s.recv(65536)
        print("closed by the core")
    except ConnectionResetError:
        print("reset by the core")
    except socket.timeout:
        print("TIMEOUT: the core neither answered nor closed")
        sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["garbage", "oversize", "badsyn"])
    p.add_argument("--host")
    p.add_argument("--src")
    p.add_argument("--dst")
    p.add_argument("--port", type=int, default=5001)
    a = p.parse_args()
    if a.what == "badsyn":
        badsyn(a)
    elif a.what == "garbage":
        peer(a, b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) * 8)
    else:
        # A well-formed header (magic 0xB1, type Data) announcing a 4 GiB payload.
        peer(a, struct.pack("!BBHI", 0xB1, 3, 0, 0xFFFFFFFF) + b"x" * 100)


if __name__ == "__main__":
    main()
