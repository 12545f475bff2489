#!/usr/bin/env python3
"""Writes the seed corpora of the `discovery` and `peer_frame` fuzz targets from the golden
vectors in tests/vectors/proxy_codec (valid inputs) plus hand-made malformed variants.

discovery input:  selector byte (bit0 WAAS form, bit1 other ExID) | 8 option bytes | IP packet
peer_frame input: chunk seed byte | caps byte (bit0 small caps) | byte stream

Usage: python3 gen_corpus.py
"""
import os

TOP = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
VECTORS = os.path.join(TOP, "tests", "vectors", "proxy_codec")
CORPUS = os.path.join(TOP, "tests", "fuzz", "corpus")


def records(name):
    out, cur = [], None
    for line in open(os.path.join(VECTORS, name)):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(" ")
        if key == "vector":
            cur = {"name": value}
            out.append(cur)
        elif key != "end":
            cur[key] = value
    return out


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


EDGE_OPTION = bytes([0x00, 0x1A, 0x64, 0xD3, 0x2F, 0xB8, 0x14, 0x07])


def main():
    for r in records("syn_rewrite.txt"):
        sel = 1 if r["format"].startswith("33") else (2 if "0x1234" in r["format"] else 0)
        before = bytes.fromhex(r["before"])
        write("discovery", r["name"] + "_before", bytes([sel]) + EDGE_OPTION + before)
        if r["after"] != "refused":
            after = bytes.fromhex(r["after"])
            write("discovery", r["name"] + "_after", bytes([sel]) + EDGE_OPTION + after)
            # Malformed variants of the rewritten packet: truncated, option length forged,
            # Data Offset too large, checksum flipped.
            write("discovery", r["name"] + "_truncated", bytes([sel]) + EDGE_OPTION + after[:-7])
            ihl = 40 if after[0] >> 4 == 6 else (after[0] & 15) * 4
            forged = bytearray(after)
            forged[ihl + 20 + 1] = 0x30
            write("discovery", r["name"] + "_forged_length", bytes([sel]) + EDGE_OPTION + forged)
            doff = bytearray(after)
            doff[ihl + 12] = 0xF0
            write("discovery", r["name"] + "_doff", bytes([sel]) + EDGE_OPTION + doff)
            bad = bytearray(after)
            bad[ihl + 16] ^= 0xFF
            write("discovery", r["name"] + "_bad_checksum", bytes([sel]) + EDGE_OPTION + bad)
    write("discovery", "garbage", bytes(range(64)))

    stream = b""
    for r in records("peer_frames.txt"):
        frame = bytes.fromhex(r["frame"])
        if not r["name"].startswith("refused_"):  # the stream holds frames a receiver accepts
            stream += frame
        write("peer_frame", r["name"], bytes([7, 0]) + frame)
    write("peer_frame", "all_frames", bytes([3, 0]) + stream)
    write("peer_frame", "all_frames_small_caps", bytes([5, 1]) + stream)
    write("peer_frame", "truncated", bytes([1, 0]) + stream[:-5])
    write("peer_frame", "bad_magic", bytes([1, 0]) + b"\xb2" + stream[1:])
    write("peer_frame", "over_cap", bytes([9, 1]) + bytes.fromhex("b10300000000ffff") + b"x" * 40)
    write("peer_frame", "unknown_type", bytes([2, 0]) + bytes.fromhex("b10800000000000000"))
    print("corpus written under", CORPUS)


if __name__ == "__main__":
    main()
