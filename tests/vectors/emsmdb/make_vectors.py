#!/usr/bin/env python3
"""Golden EMSMDB stubs (MS-OXCRPC 3.1.4.1-3.1.4.3) and extended buffers (2.2.2.1), built by hand
with struct from the IDL in NDR little-endian form, plus an independent Python model of the
MS-OXCRPC LZ77/DIRECT2 compression (3.1.4.1.1.2) used to make compressed payloads. Writes
<name>.bin and manifest.json beside this script. Needs ../rop/*.bin (run rop/make_vectors.py
first). Run: python3 tests/vectors/emsmdb/make_vectors.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROP = os.path.join(HERE, "..", "rop")


def rop(name):
    with open(os.path.join(ROP, name + ".bin"), "rb") as f:
        return f.read()


class Ndr:
    def __init__(self):
        self.b = bytearray()

    def align(self, n):
        while len(self.b) % n:
            self.b.append(0)

    def u16(self, v):
        self.align(2)
        self.b += struct.pack("<H", v)

    def u32(self, v):
        self.align(4)
        self.b += struct.pack("<I", v)

    def raw(self, data):
        self.b += data

    def string(self, s):  # [string] char*: MaxCount, Offset, ActualCount, chars + NUL
        n = len(s) + 1
        self.u32(n); self.u32(0); self.u32(n)
        self.b += s.encode("ascii") + b"\x00"

    def conformant(self, data):  # [size_is] byte[]
        self.u32(len(data))
        self.b += data

    def varying(self, maxcount, data):  # [size_is, length_is] byte[]
        self.u32(maxcount); self.u32(0); self.u32(len(data))
        self.b += data


# --- LZ77 / DIRECT2 model ---------------------------------------------------------------------
def lz77_compress(data):
    """Greedy, brute force over the 8 KiB window; different match choices from the C++ encoder
    on purpose (any valid stream must decode)."""
    out = bytearray()
    flags, nflags, flag_at = 0, 0, 0
    out += b"\0\0\0\0"
    shared = None
    i = 0

    def push_flag(bit):
        nonlocal flags, nflags, flag_at
        flags = (flags << 1) | bit
        nflags += 1
        if nflags == 32:
            out[flag_at:flag_at + 4] = struct.pack("<I", flags)
            flag_at = len(out)
            out.extend(b"\0\0\0\0")
            flags, nflags = 0, 0

    while i < len(data):
        best_len, best_off = 0, 0
        for off in range(1, min(8192, i) + 1):
            n = 0
            while i + n < len(data) and data[i + n - off] == data[i + n] and n < 0xFFFF + 3:
                n += 1
            if n > best_len:
                best_len, best_off = n, off
        if best_len < 3:
            out.append(data[i])
            push_flag(0)  # after the item: a full bitmask reserves the next one behind it
            i += 1
            continue
        length = best_len - 3
        meta = (best_off - 1) << 3
        if length < 7:
            out += struct.pack("<H", meta | length)
        else:
            out += struct.pack("<H", meta | 7)
            rest = length - 7
            nib = min(rest, 15)
            if shared is None:
                shared = len(out)
                out.append(nib)
            else:
                out[shared] |= nib << 4
                shared = None
            if rest >= 15:
                rest -= 15
                if rest < 255:
                    out.append(rest)
                else:
                    out.append(255)
                    out += struct.pack("<H", best_len - 3)
        push_flag(1)
        i += best_len
    flags = ((flags << (32 - nflags)) | ((1 << (32 - nflags)) - 1)) & 0xFFFFFFFF
    out[flag_at:flag_at + 4] = struct.pack("<I", flags)
    return bytes(out)


def lz77_decompress(data, size):
    out = bytearray()
    pos, flags, nflags, shared = 0, 0, 0, None
    while len(out) < size:
        if nflags == 0:
            flags = struct.unpack_from("<I", data, pos)[0]
            pos += 4
            nflags = 32
        nflags -= 1
        if not (flags >> nflags) & 1:
            out.append(data[pos]); pos += 1
            continue
        meta = struct.unpack_from("<H", data, pos)[0]; pos += 2
        off, length = (meta >> 3) + 1, meta & 7
        if length == 7:
            if shared is None:
                shared = pos; length = data[pos] & 15; pos += 1
            else:
                length = data[shared] >> 4; shared = None
            if length == 15:
                length = data[pos]; pos += 1
                if length == 255:
                    length = struct.unpack_from("<H", data, pos)[0] - 22; pos += 2
                length += 15
            length += 7
        length += 3
        for _ in range(length):
            out.append(out[-off])
    return bytes(out)


def piece(payload, compress=False, xor=False, last=True):
    flags = 0x0004 if last else 0
    wire = payload
    if compress:
        packed = lz77_compress(payload)
        assert lz77_decompress(packed, len(payload)) == payload
        if len(packed) < len(payload):
            wire, flags = packed, flags | 0x0001
    if xor:
        wire = bytes(b ^ 0xA5 for b in wire)
        flags |= 0x0002
    return struct.pack("<HHHH", 0, flags, len(wire), len(payload)) + wire


vectors, manifest = {}, []


def add(name, kind, data, fields):
    vectors[name] = data
    manifest.append({"name": name, "kind": kind, "fields": fields})


CXH = struct.pack("<I", 0) + bytes.fromhex("6b1d2c3a4f5e11d0a1b2000c29fa1e3d")
DN = "/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=alice"
AUX = struct.pack("<HHHH", 0, 0x0004, 12, 12) + struct.pack("<HBB", 12, 1, 0x0A) + b"\x01\0\0\0\0\0\0\0"

# EcDoConnectEx request: Outlook 2003 SP3 (11.0.8217, classic form), then Outlook 2010 (packed).
for name, version in (("connect_ex_request_2003", (11, 8217, 0)),
                      ("connect_ex_request_2010", (0x0E00, 0x8000 | 4760, 1000))):
    n = Ndr()
    n.string(DN)
    for v in (0, 0x1B2C3D4E, 0, 1252, 0x0409, 0x0409, 0xFFFFFFFF):
        n.u32(v)
    n.u16(1)
    for w in version:
        n.u16(w)
    n.u32(0)
    aux = AUX if name.endswith("2010") else b""
    n.conformant(aux)
    n.u32(len(aux))
    n.u32(0x1008)
    add(name, "connect_ex_request", bytes(n.b),
        {"user_dn": DN, "client_version": list(version), "cpid": 1252, "aux_in": len(aux)})

n = Ndr()
n.raw(CXH)
n.u32(60000); n.u32(6); n.u32(10000)
n.u16(0x0001)
n.u32(0x00020000); n.string("/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)")
n.u32(0x00020004); n.string("Alice Example")
for w in (0x0E00, 0x8000 | 0x02F3, 0x0001, 0x0E00, 0x8000 | 0x02F3, 0x0001):
    n.u16(w)
n.u32(0)
n.varying(0x1008, b"")
n.u32(0)
n.u32(0)
add("connect_ex_response", "connect_ex_response", bytes(n.b),
    {"polls_max": 60000, "retry": 6, "display_name": "Alice Example", "return": 0})

# EcDoRpcExt2 request: rgbIn = one XOR-obfuscated piece holding a ROP request buffer.
rgb_in = piece(rop("req_attachment_read"), xor=True)
n = Ndr()
n.raw(CXH)
n.u32(0)
n.conformant(rgb_in)
n.u32(len(rgb_in))
n.u32(0x40000)
n.conformant(b"")
n.u32(0)
n.u32(0x1008)
add("rpc_ext2_request", "rpc_ext2_request", bytes(n.b),
    {"rop_vector": "req_attachment_read", "pieces": 1, "pcb_out": 0x40000})

# EcDoRpcExt2 response: rgbOut = compressed+XOR piece, then a plain Last piece.
rgb_out = piece(rop("resp_props_receive_hierarchy"), compress=True, xor=True, last=False) + \
    piece(rop("resp_stream_ops"), last=True)
n = Ndr()
n.raw(CXH)
n.u32(0)
n.varying(0x40000, rgb_out)
n.u32(len(rgb_out))
n.varying(0x1008, b"")
n.u32(0)
n.u32(15)
n.u32(0)
add("rpc_ext2_response", "rpc_ext2_response", bytes(n.b),
    {"rop_vectors": ["resp_props_receive_hierarchy", "resp_stream_ops"], "trans_time": 15})

n = Ndr(); n.raw(CXH)
add("disconnect_request", "disconnect_request", bytes(n.b), {})
n = Ndr(); n.raw(bytes(20)); n.u32(0)
add("disconnect_response", "disconnect_response", bytes(n.b), {})

# LZ77 streams from this model for the C++ decoder (text, a long run, binary with repeats).
text = (b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: Quarterly numbers\r\n\r\n" +
        b"The quarterly numbers are in. The quarterly numbers look good. " * 40)
run = b"\x00" * 5000 + b"abc" * 700
binary = bytes((i * i + 7 * (i >> 5)) & 0xFF for i in range(3000)) * 2
for name, plain in (("lz77_text", text), ("lz77_run", run), ("lz77_binary", binary)):
    packed = lz77_compress(plain)
    assert lz77_decompress(packed, len(plain)) == plain
    vectors[name + ".plain"] = plain
    vectors[name + ".lz77"] = packed
    manifest.append({"name": name, "kind": "lz77", "fields": {"size": len(plain)}})

for name, data in vectors.items():
    fn = name if "." in name else name + ".bin"
    with open(os.path.join(HERE, fn), "wb") as f:
        f.write(data)
with open(os.path.join(HERE, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")
print("wrote", len(vectors), "files")
