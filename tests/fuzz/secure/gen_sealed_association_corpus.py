#!/usr/bin/env python3
"""Seeds for fuzz_sealed_association: a fake DC's answers (tests/unit/secure/sealed_rpc/
fake_server.h) written independently of the C++ codec: bind_ack with the fake AP-REP, sealed
responses (one fragment, three fragments), a fault, a bind_nak, a response for another call.
The first byte is the mode (0 lenient: reassembly reached; 1 strict: checksums checked)."""
import os
import struct
import sys

SEP = bytes([0x01, 0xD5, 0xCA, 0x7A])
NDR = bytes.fromhex("045d888aeb1cc9119fe808002b104860") + struct.pack("<I", 2)
SERVER_AP_REP = b"\x6fserver"
TOKEN = 32


def header(ptype, flags, frag_len, auth_len, call_id):
    return struct.pack("<BBBB4sHHI", 5, 0, ptype, flags, b"\x10\0\0\0", frag_len, auth_len, call_id)


def trailer(pad):
    return struct.pack("<BBBBI", 16, 6, pad, 0, 1)


def bind_ack(call_id=1, ap_rep=SERVER_AP_REP):
    body = struct.pack("<HHIH", 5840, 5840, 0x1234, 6) + b"49153\0"
    body += struct.pack("<BBH", 1, 0, 0) + struct.pack("<HH", 0, 0) + NDR
    frag = 16 + len(body) + 8 + len(ap_rep)
    return header(12, 0x07, frag, len(ap_rep), call_id) + body + trailer(0) + ap_rep


def response(call_id, stub, flags, alloc_hint, seq):
    pad = (16 - len(stub) % 16) % 16
    mask = 0x5A ^ (seq & 0xFF)
    sealed = bytes(b ^ mask for b in stub + b"\0" * pad)
    token = struct.pack(">QQ", seq, 0) + b"\xff" * 16
    frag = 24 + len(sealed) + 8 + TOKEN
    return (header(2, flags, frag, TOKEN, call_id) + struct.pack("<IHBB", alloc_hint, 0, 0, 0)
            + sealed + trailer(pad) + token)


def fault(call_id, status):
    return header(3, 0x23, 32, 0, call_id) + struct.pack("<IHBBII", 0, 0, 0, 0, status, 0)


def bind_nak(reason):
    return header(13, 0x03, 21, 0, 1) + struct.pack("<HBBB", reason, 1, 5, 0)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "corpus", "sealed_association")
    os.makedirs(out, exist_ok=True)
    stub = bytes(range(100))
    three = (response(3, stub[:40], 0x01, 100, 1001) + SEP + response(3, stub[40:80], 0, 60, 1002)
             + response(3, stub[80:], 0x02, 20, 1003))
    one = response(2, stub[:24], 0x03, 24, 1000)
    seeds = {
        "lenient_two_calls": b"\0" + bind_ack() + SEP + one + SEP + three,
        "strict_two_calls": b"\1" + bind_ack() + one + three,
        "fault_to_call": b"\0" + bind_ack() + SEP + fault(2, 0x1C010002),
        "fault_to_bind": b"\0" + fault(1, 0x721),
        "bind_nak": b"\0" + bind_nak(8),
        "other_call": b"\0" + bind_ack() + response(7, stub[:8], 0x03, 8, 1000),
        "bad_ap_rep": b"\0" + bind_ack(ap_rep=b"\x6fbroken"),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
