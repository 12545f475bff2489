#!/usr/bin/env python3
"""Seeds for fuzz_exported_context: Kerberos contexts in the frame of secure/emapi/
exported_context.h (version 1), written independently of the C++ code from the layout its
header documents, with lab-only random-looking keys, plus broken variants."""
import os
import struct
import sys

AES256, AES128, RC4 = 18, 17, 23
SIZE = {AES256: 32, AES128: 16, RC4: 16}
# state codes: 1 AwaitingThirdLeg, 2 AwaitingAlterContextResp, 3 Established


def key(etype, fill):
    return struct.pack(">HB", etype, SIZE[etype]) + bytes([fill]) * SIZE[etype]


def frame(state, auth_type, level, ctx_id, header_sign, keys, numbers, version=1):
    session, isub, asub = keys
    flags = (1 if header_sign else 0) | (2 if isub else 0) | (4 if asub else 0)
    body = struct.pack(">BBBIB", state, auth_type, level, ctx_id, flags)
    body += struct.pack(">QQQQ", *numbers)
    body += key(*session)
    if isub:
        body += key(*isub)
    if asub:
        body += key(*asub)
    return b"BHKC" + bytes([version]) + struct.pack(">H", len(body)) + body


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "corpus", "exported_context")
    os.makedirs(out, exist_ok=True)
    aes = frame(3, 16, 6, 0, True, ((AES256, 0x11), (AES256, 0x22), (AES256, 0x33)),
                (1000, 1000, 2000, 2001))
    seeds = {
        "aes_krb5_privacy": aes,
        "aes_spnego_integrity_third_leg": frame(
            1, 9, 5, 1, True, ((AES256, 0x11), (AES128, 0x22), (AES128, 0x33)), (5, 5, 9, 9)),
        "rc4_spnego_alter_context_resp": frame(
            2, 9, 6, 0, False, ((RC4, 0x44), (RC4, 0x55), (RC4, 0x66)),
            (0xfffffffe, 0xfffffffe, 7, 3)),
        "rc4_krb5_integrity_no_subkeys": frame(
            3, 16, 5, 7, True, ((RC4, 0x77), None, None), (1, 2, 3, 4)),
        "rc4_numbers_over_32_bits": frame(
            3, 16, 6, 0, True, ((RC4, 0x77), None, (RC4, 0x78)), (1 << 32, 1 << 32, 0, 0)),
        "truncated": aes[:40],
        "body_over_cap": aes[:5] + struct.pack(">H", 250) + aes[7:],
        "trailing_byte": aes[:5] + struct.pack(">H", len(aes) - 6) + aes[7:] + b"\0",
        "version_2": frame(3, 16, 6, 0, True, ((AES256, 1), None, None), (0, 0, 0, 0), version=2),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
