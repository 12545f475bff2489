#!/usr/bin/env python3
"""Seeds for fuzz_sealed_file: files in the secure store's format v1 (secure/sealed_file.h),
sealed with the fuzz target's fixed key (32 x 0x42) and entry name "peering-key", written
independently of the C++ code (Python's cryptography AESGCM), plus broken variants."""
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY = bytes([0x42]) * 32
NAME = b"peering-key"


def seal(plaintext, nonce, name=NAME, version=1):
    header = b"BHSS" + bytes([version, 0, 0, 0]) + nonce + struct.pack(">I", len(plaintext))
    ct_tag = AESGCM(KEY).encrypt(nonce, plaintext, header + name)
    return header + ct_tag


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(__file__), "..", "corpus", "sealed_file")
    os.makedirs(out, exist_ok=True)
    nonce = bytes(range(12))
    good = seal(b"-----BEGIN PRIVATE KEY-----\nfuzz\n-----END PRIVATE KEY-----\n", nonce)
    seeds = {
        "good": good,
        "empty_secret": seal(b"", nonce),
        "other_name": seal(b"secret", nonce, name=b"other"),
        "version_2": seal(b"secret", nonce, version=2),
        "flipped_tag": good[:-1] + bytes([good[-1] ^ 1]),
        "truncated": good[:30],
        "length_over_cap": good[:20] + struct.pack(">I", (1 << 20) + 1) + good[24:],
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
