#!/usr/bin/env python3
"""Cuts the DCE/RPC PDUs of the authenticated connections out of the captures that
make_captures.sh made, for the unit tests of secure/emapi (offline; reproducible: the same pcaps
give the same files). For each CASE.pcap it writes CASE.txt:

    # comment lines
    connection N                 one authenticated TCP connection (its bind carries auth_type 9/16)
    c <hex>                      a PDU from the client (rpcclient), as it crossed the wire
    s <hex>                      a PDU from the server (the DC)
    plain <hex>                  after a sealed request/response: tshark's "Decrypted stub data"
                                 for it (stub and auth padding), given dc1.keytab: the oracle
                                 (none at packet integrity: the stub is sent in the clear)

The pcap reader is plain Python (classic libpcap, Ethernet, IPv4 or IPv6, TCP): segments are put in
sequence order per direction, retransmitted bytes dropped, and the byte stream split into PDUs
by frag_length (C706 12.6.3.1, little-endian drep only, which is all these captures hold).
Also writes seeds for the fuzz targets kerberos_ap_message and wrap_token
(tests/fuzz/corpus/<name>/).

usage: extract_vectors.py            (from anywhere; needs tshark)
"""
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "fuzz", "corpus")
CASES = ["aes_krb5", "aes_spnego", "rc4_krb5", "rc4_spnego", "aes_krb5_sign", "rc4_spnego_sign"]


def read_pcap(path):
    """Yields (frame number, src, dst, sport, dport, seq, flags, payload) of TCP frames."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic == 0xA1B2C3D4:
        e = "<"
    elif magic == 0xD4C3B2A1:
        e = ">"
    else:
        sys.exit("%s: not a classic pcap (dumpcap -P? pcapng is not read here)" % path)
    linktype = struct.unpack(e + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit("%s: link type %d, want Ethernet" % (path, linktype))
    off, n = 24, 0
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack(e + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        n += 1
        if caplen != wirelen:
            sys.exit("%s: frame %d cut by the snap length" % (path, n))
        ethertype = struct.unpack(">H", frame[12:14])[0]
        ip = frame[14:]
        if ethertype == 0x0800:
            ihl = (ip[0] & 0x0F) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            if ip[9] != 6:
                continue
            src, dst, tcp = ip[12:16], ip[16:20], ip[ihl:total]
        elif ethertype == 0x86DD:
            if ip[6] != 6:
                continue  # no extension headers in these captures
            total = 40 + struct.unpack(">H", ip[4:6])[0]
            src, dst, tcp = ip[8:24], ip[24:40], ip[40:total]
        else:
            continue
        sport, dport, seq = struct.unpack(">HHI", tcp[:8])
        doff = (tcp[12] >> 4) * 4
        flags = tcp[13]
        yield n, src, dst, sport, dport, seq, flags, tcp[doff:]


def streams(path):
    """{(client, server) endpoints: {'c': [(offset, frame, bytes)], 's': [...]}} in SYN order."""
    conns, order = {}, []
    for n, src, dst, sp, dp, seq, flags, payload in read_pcap(path):
        syn, ack = flags & 0x02, flags & 0x10
        a, b = (src, sp), (dst, dp)
        if syn and not ack:
            conns[(a, b)] = {"c": [], "s": [], "isn": {"c": seq + 1}}
            order.append((a, b))
            continue
        if (a, b) in conns:
            key, d = (a, b), "c"
        elif (b, a) in conns:
            key, d = (b, a), "s"
        else:
            continue
        c = conns[key]
        if syn:
            c["isn"]["s"] = seq + 1
            continue
        if payload:
            c[d].append(((seq - c["isn"][d]) & 0xFFFFFFFF, n, payload))
    return [(k, conns[k]) for k in order]


def pdus(segments):
    """The direction's PDUs as (frame that completed it, bytes), segments in order, no overlap."""
    buf, frames, out, at = b"", [], [], 0
    for offset, frame, payload in sorted(segments):
        if offset + len(payload) <= at:
            continue  # a retransmission of bytes already held
        if offset > at:
            sys.exit("gap in the capture at stream offset %d" % at)
        payload = payload[at - offset:]
        at += len(payload)
        buf += payload
        while len(buf) >= 16:
            frag_len = struct.unpack("<H", buf[8:10])[0]
            if buf[4] & 0xF0 != 0x10:
                sys.exit("big-endian drep: not in these captures")
            if len(buf) < frag_len:
                break
            out.append((frame, buf[:frag_len]))
            buf = buf[frag_len:]
    if buf:
        sys.exit("a PDU cut at the end of the capture")
    return out


def auth_type(pdu):
    auth_len = struct.unpack("<H", pdu[10:12])[0]
    return pdu[len(pdu) - auth_len - 8] if auth_len else 0


def auth_level(pdu):
    auth_len = struct.unpack("<H", pdu[10:12])[0]
    return pdu[len(pdu) - auth_len - 7] if auth_len else 0


def auth_value(pdu):
    auth_len = struct.unpack("<H", pdu[10:12])[0]
    return pdu[len(pdu) - auth_len:]


def decrypted_stubs(pcap, frames):
    """{frame: bytes} of tshark's "Decrypted stub data" for those frames (one run per frame)."""
    keytab = os.path.join(HERE, "dc1.keytab")
    out = {}
    for f in frames:
        text = subprocess.run(["tshark", "-r", pcap, "-o", "kerberos.decrypt:TRUE", "-o",
                               "kerberos.file:" + keytab, "-Y", "frame.number==%d" % f, "-x"],
                              capture_output=True, text=True, check=True).stdout
        m = re.search(r"^Decrypted stub data \((\d+) bytes\):\n((?:[0-9a-f]{4}  .*\n?)+)", text, re.M)
        if not m:
            sys.exit("%s frame %d: tshark decrypted nothing" % (pcap, f))
        hexdump = "".join(line[6:53] for line in m.group(2).splitlines())
        stub = bytes.fromhex(hexdump.replace(" ", ""))
        if len(stub) != int(m.group(1)):
            sys.exit("%s frame %d: cannot read tshark's dump" % (pcap, f))
        out[f] = stub
    return out


def seed(name, label, data):
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, label), "wb") as f:
        f.write(data)


def main():
    for case in CASES:
        pcap = os.path.join(HERE, case + ".pcap")
        lines = ["# %s.pcap cut by extract_vectors.py: do not edit (see README.md)" % case]
        nconn = 0
        for (_, _), c in streams(pcap):
            cp, sp = pdus(c["c"]), pdus(c["s"])
            if not cp or auth_type(cp[0][1]) not in (9, 16):
                continue
            nconn += 1
            lines.append("connection %d" % nconn)
            # Interleave the two directions in capture order (the frame that completed each PDU).
            both = sorted([(f, "c", p) for f, p in cp] + [(f, "s", p) for f, p in sp])
            sealed = [f for f, d, p in both if p[2] in (0, 2) and auth_type(p) and auth_level(p) == 6]
            plain = decrypted_stubs(pcap, sealed)
            for f, d, p in both:
                lines.append("%s %s" % (d, p.hex()))
                if f in plain:
                    lines.append("plain %s" % plain[f].hex())
            if nconn == 1:
                # Seeds: the three legs' auth_values and one sealed verifier per direction.
                for i, (f, d, p) in enumerate(both):
                    if p[2] in (11, 12, 14, 15, 16) and auth_type(p):
                        seed("kerberos_ap_message", "%s_%d_ptype%d" % (case, i, p[2]), auth_value(p))
                first = {}
                for f, d, p in both:
                    if p[2] in (0, 2) and auth_type(p) and d not in first:
                        first[d] = p
                        seed("wrap_token", "%s_%s" % (case, "request" if d == "c" else "response"), p)
        with open(os.path.join(HERE, case + ".txt"), "w") as f:
            f.write("\n".join(lines) + "\n")
        print("%s: %d authenticated connections" % (case, nconn))


if __name__ == "__main__":
    main()
