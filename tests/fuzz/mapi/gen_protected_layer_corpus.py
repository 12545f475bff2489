#!/usr/bin/env python3
"""Seeds for fuzz_protected_layer: a protected association in the fake format of
tests/unit/mapi/mapi_ao/fake_protection.h (stub XOR 0x5a, verifier = sequence number and FNV-1a
of the plain stub) and a clear one, cut into the target's chunks (separator 01 D5 CA 7A; first
byte 0 = client bytes to the edge layer, 1 = server bytes to the core layer, +4 = the peer leg
is confirmed after the chunk).

usage: gen_protected_layer_corpus.py OUT_DIR
"""
import os, struct, sys

SEP = bytes([0x01, 0xD5, 0xCA, 0x7A])
CLIENT_START, SERVER_START = 100, 500


def header(ptype, body_len, call_id):
    return struct.pack('<BBBB4sHHI', 5, 0, ptype, 3, b'\x10\0\0\0', 16 + body_len, 0, call_id)


def bind_leg(ptype, level=6, auth_type=16):
    fixed = 4 if ptype == 16 else (16 if ptype == 12 else 12)
    p = bytearray(header(ptype, fixed + 8 + 32, 1)) + bytes(fixed)
    p += bytes([auth_type, level, 0, 0, 0, 0, 0, 0]) + bytes(range(32))
    struct.pack_into('<H', p, 10, 32)
    return bytes(p)


def request(call_id, opnum, stub):
    return header(0, 8 + len(stub), call_id) + struct.pack('<IHH', len(stub), 0, opnum) + stub


def response(call_id, stub):
    return header(2, 8 + len(stub), call_id) + struct.pack('<IHBB', len(stub), 0, 0, 0) + stub


def fnv(b):
    h = 1469598103934665603
    for c in b:
        h = ((h ^ c) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def seal(plain, seq):
    p = bytearray(plain)
    s = fnv(plain[24:])
    for i in range(24, len(p)):
        p[i] ^= 0x5A
    p += bytes([16, 6, 0, 0, 0, 0, 0, 0]) + struct.pack('>QQ', seq, s)
    struct.pack_into('<HH', p, 8, len(p), 16)
    return bytes(p)


def chunks(parts):
    return SEP.join(bytes([sel]) + data for sel, data in parts)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    sealed = [
        (0, bind_leg(11)), (1, bind_leg(12)), (0, bind_leg(16)),
        (0, seal(request(2, 1, b'\x01\x02\x03\x04'), CLIENT_START)),
        (1, seal(response(2, b'\x05\x06'), SERVER_START)),
        (0, seal(request(3, 0x66, bytes(64)), CLIENT_START + 1)),
        (1, seal(response(3, bytes(40)), SERVER_START + 1)),
    ]
    seeds = {
        'sealed_session.bin': chunks(sealed),
        'sealed_waiting_for_leg.bin': chunks([(0, bind_leg(11)), (0x11, bind_leg(12)),
                                              (4, bind_leg(16))] + sealed[3:]),
        'sealed_bad_verifier.bin': chunks(sealed[:3] + [
            (0, seal(request(2, 1, b'\x01'), CLIENT_START)[:-1] + b'\xff')]),
        'sealed_no_secure_leg.bin': chunks([(8, bind_leg(11)), (9, bind_leg(12)),
                                            (8, bind_leg(16))]),
        'clear_session.bin': chunks([(0, bind_leg(11, 2, 0)), (1, bind_leg(12, 2, 0)),
                                     (0, request(2, 1, b'abcd')), (1, response(2, b'ef'))]),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
