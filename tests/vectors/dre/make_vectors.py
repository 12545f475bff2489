#!/usr/bin/env python3
"""Generates the DRE golden vectors and fuzz seed corpora from an independent Python model of
the wire format (dre/block_format.h), the FastCDC chunker (dre/chunker.cc) and the disk segment
format (dre/disk_chunk_store.h). Deterministic: rerunning rewrites identical files.

    python3 tests/vectors/dre/make_vectors.py      # from the repository root

Each case directory holds expected.json and the byte files it names. Kinds:
  decode  - stream.bin fed to a fresh DreDecoder (memory cache, default DreConfig); if repair.bin
            exists it is given to applyRepair() after the first decode, then decode() resumes.
            expected: status ok|missing|error|needmore, output.bin when ok, missing fingerprints.
  chunk   - input.bin cut with ChunkerConfig{min,avg,max}; expected cut offsets.
  encode  - input.bin encoded by a DreEncoder with zstdLevel 0 and the given config, ledger epoch
            `epoch`, one encode(.., flush=true): expected stream.bin byte for byte.
The zstd case needs the `zstd` command line tool (frame committed, so only to regenerate).
"""
import hashlib
import json
import os
import random
import struct
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")

MASK64 = (1 << 64) - 1
OP_CHUNK, OP_RAW, OP_REF = 1, 2, 3
FLAG_ZSTD, FLAG_REPAIR = 1, 2


def crc32c(data, seed=0):
    c = seed ^ 0xFFFFFFFF
    for b in data:
        c ^= b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    return c ^ 0xFFFFFFFF


def fp(data):
    return hashlib.sha256(data).digest()[:16]


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def chunk_lit(data):
    return bytes([OP_CHUNK]) + varint(len(data)) + data


def raw_lit(data):
    return bytes([OP_RAW]) + varint(len(data)) + data


def ref(data):
    return bytes([OP_REF]) + fp(data) + varint(len(data))


def block(instr, epoch=0, flags=0, payload=None):
    payload = instr if payload is None else payload
    return struct.pack("<BBIIQI", 0xB7, flags, len(payload), len(instr), epoch,
                       crc32c(instr)) + payload


def gear_table():
    g, x = [], 0x42524447454844
    for _ in range(256):
        x = (x + 0x9E3779B97F4A7C15) & MASK64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        g.append(z ^ (z >> 31))
    return g


GEAR = gear_table()


def top_bits(n):
    return (MASK64 << (64 - n)) & MASK64 if n else 0


def find_cut(data, lo, avg, hi):
    n = len(data)
    if n <= lo:
        return 0
    bits = avg.bit_length() - 1
    mask_s, mask_l = top_bits(bits + 2), top_bits(bits - 2 if bits > 2 else 1)
    max_end = min(n, hi)
    normal_end = min(avg, max_end)
    h, i = 0, lo
    while i < normal_end:
        h = ((h << 1) + GEAR[data[i]]) & MASK64
        if h & mask_s == 0:
            return i + 1
        i += 1
    while i < max_end:
        h = ((h << 1) + GEAR[data[i]]) & MASK64
        if h & mask_l == 0:
            return i + 1
        i += 1
    return hi if n >= hi else 0


def encode(data, lo, avg, hi, target, min_cached, epoch):
    """Model of DreEncoder::encode(data, flush=true) with LZ off and an empty ledger."""
    out, instr, sent, pos = bytearray(), bytearray(), set(), 0
    while pos < len(data):
        cut = find_cut(data[pos:], lo, avg, hi) or len(data) - pos
        c = data[pos:pos + cut]
        pos += cut
        if len(c) < min_cached:
            instr += raw_lit(c)
        elif fp(c) in sent:
            instr += ref(c)
        else:
            instr += chunk_lit(c)
            sent.add(fp(c))
        if len(instr) >= target:
            out += block(bytes(instr), epoch)
            instr = bytearray()
    if instr:
        out += block(bytes(instr), epoch)
    return bytes(out)


def text(n, seed):
    words = [b"mailbox ", b"exchange ", b"folder ", b"the ", b"attachment ", b"subject: ",
             b"quarterly ", b"report ", b"\r\n", b"meeting ", b"from: ", b"branch "]
    r = random.Random(seed)
    out = bytearray()
    while len(out) < n:
        out += r.choice(words)
    return bytes(out[:n])


def rnd(n, seed):
    return random.Random(seed).randbytes(n)


def write(case, files, expected):
    d = os.path.join(HERE, case)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    with open(os.path.join(d, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


def seed(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def decode_case(case, stream, status, output=b"", missing=(), repair=None, note=""):
    files = {"stream.bin": stream}
    exp = {"kind": "decode", "status": status, "note": note,
           "missing": [m.hex() for m in missing]}
    if repair is not None:
        files["repair.bin"] = repair
    if status == "ok":
        files["output.bin"] = output
        exp["output_sha256"] = hashlib.sha256(output).hexdigest()
    write(case, files, exp)
    sep = b"\x01\xD5\xCA\x7A"  # the decoder fuzzer's piece separator
    seed("dre_decoder", case, stream if repair is None else stream + sep + repair)


def main():
    a, b, c = text(3000, 1), rnd(2500, 2), text(700, 3)
    # 1. literal, raw, reference to a literal of the same block.
    s = block(chunk_lit(a) + raw_lit(b"\r\n") + ref(a) + chunk_lit(b))
    decode_case("literal_raw_reference", s, "ok", a + b"\r\n" + a + b)
    # 2. reference across blocks (the first block's literal is in the cache).
    s = block(chunk_lit(c), epoch=5) + block(ref(c) + raw_lit(b"x") + ref(c), epoch=5)
    decode_case("reference_across_blocks", s, "ok", c + c + b"x" + c)
    # 3. zstd-compressed block (frame made by the zstd command line tool).
    instr = chunk_lit(a) + ref(a) + ref(a)
    path = os.path.join(HERE, "zstd_block", "stream.bin")
    if os.path.exists(path):
        s = open(path, "rb").read()
    else:
        frame = subprocess.run(["zstd", "-3", "-c", "-q"], input=instr, capture_output=True,
                               check=True).stdout
        s = block(instr, flags=FLAG_ZSTD, payload=frame)
    decode_case("zstd_block", s, "ok", a * 3)
    # 4. reference the receiver cannot resolve.
    decode_case("missing_reference", block(raw_lit(b"ab") + ref(b) + ref(c) + ref(b)), "missing",
                missing=[fp(b), fp(c)], note="two distinct chunks, b listed once")
    # 5. the same, then a repair block: decoding resumes.
    decode_case("missing_then_repair", block(ref(b) + raw_lit(b"!")), "ok", b + b"!",
                repair=block(chunk_lit(b), flags=FLAG_REPAIR))
    # 6. malformed blocks.
    good = block(raw_lit(b"hello"))
    decode_case("bad_magic", b"\xB6" + good[1:], "error")
    decode_case("unknown_flag", good[:1] + b"\x40" + good[2:], "error")
    decode_case("bad_checksum", good[:-1] + b"H", "error")
    decode_case("oversize_declared", struct.pack("<BBIIQI", 0xB7, 0, 0x7FFFFFFF, 0x7FFFFFFF, 0, 0),
                "error", note="refused from the header alone")
    decode_case("truncated_block", good[:-2], "needmore")
    decode_case("truncated_instruction", block(bytes([OP_RAW]) + varint(9) + b"abc"), "error")
    decode_case("bad_opcode", block(b"\x07\x01a"), "error")
    decode_case("zstd_garbage", block(raw_lit(b"hello"), flags=FLAG_ZSTD,
                                      payload=b"\x28\xb5\x2f\xfd" + b"\x00" * 8), "error")
    # 7. chunker cut points.
    data = text(150000, 7) + rnd(150000, 8)
    cuts, pos = [], 0
    while pos < len(data):
        n = find_cut(data[pos:], 2048, 8192, 65536)
        if n == 0:
            break
        pos += n
        cuts.append(pos)
    write("chunker_default", {"input.bin": data},
          {"kind": "chunk", "min": 2048, "avg": 8192, "max": 65536, "cuts": cuts})
    # 8. encoder output, LZ off: in-stream repeats become references.
    data = text(20000, 9) + rnd(6000, 10) + text(20000, 9) + b"tail!"
    stream = encode(data, 256, 1024, 8192, 16384, 16, 0x1122334455667788)
    write("encode_small_chunks", {"input.bin": data, "stream.bin": stream},
          {"kind": "encode", "min": 256, "avg": 1024, "max": 8192, "block_target": 16384,
           "max_block": 65536, "min_cached": 16, "epoch": "1122334455667788"})
    seed("dre_decoder", "encode_small_chunks", stream)
    # Round-trip fuzzer seeds: plain inputs, pieces split by the separator.
    seed("dre_roundtrip", "text", b"\x00" + text(5000, 11))
    seed("dre_roundtrip", "repeat", b"\x03" + text(3000, 12) * 3)
    seed("dre_roundtrip", "pieces", b"\x05" + text(2000, 13) + b"\x01\xD5\xCA\x7A" +
         rnd(1500, 14) + b"\x01\xD5\xCA\x7A" + text(2000, 13))
    seed("dre_roundtrip", "binary", b"\x02" + rnd(4000, 15))
    # Disk store fuzzer seeds: a valid segment, one with a flipped byte, one torn.
    seg = bytearray(b"BHDRESG1")
    for i, d in enumerate([text(300, 20), rnd(500, 21), text(100, 22)]):
        seg += struct.pack("<II", 0x52434842, len(d)) + fp(d)
        seg += struct.pack("<I", crc32c(d, crc32c(struct.pack("<I", len(d)) + fp(d)))) + d
    seed("dre_disk_store", "valid_segment", bytes(seg))
    bad = bytearray(seg)
    bad[200] ^= 0xFF
    seed("dre_disk_store", "flipped_byte", bytes(bad))
    seed("dre_disk_store", "torn_tail", bytes(seg[:-50]))
    seed("dre_disk_store", "bad_header", b"BHDRESG0" + bytes(seg[8:]))


if __name__ == "__main__":
    main()
