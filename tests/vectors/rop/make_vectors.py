#!/usr/bin/env python3
"""Golden ROP buffers built by hand from MS-OXCROPS field layouts with struct (an independent
model of the wire format, not our C++ codec). Writes <name>.bin and manifest.json beside this
script. Run: python3 tests/vectors/rop/make_vectors.py

Every buffer is RopSize (u16, counting itself and the RopsList) + RopsList + handle table (u32
each), MS-OXCROPS 2.2.1.
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def buf(rops, handles):
    body = b"".join(rops)
    return struct.pack("<H", 2 + len(body)) + body + b"".join(struct.pack("<I", h) for h in handles)


def tags(ts):
    return struct.pack("<H", len(ts)) + b"".join(struct.pack("<I", t) for t in ts)


ESSDN = b"/o=Example/ou=Exchange Administrative Group/cn=Recipients/cn=alice\x00"
GUID_A = bytes(range(0x10, 0x20))
GUID_B = bytes(range(0x20, 0x30))
GUID_C = bytes(range(0x30, 0x40))

vectors = {}
manifest = []


def add(name, kind, data, rop_ids, handles, fields=None):
    vectors[name] = data
    manifest.append({"name": name, "kind": kind, "rops": rop_ids, "handles": handles,
                     "fields": fields or {}})


# --- requests ---------------------------------------------------------------------------
# RopLogon (2.2.3.1.1): RopId, LogonId, OutputHandleIndex, LogonFlags, OpenFlags, StoreState,
# EssdnSize, Essdn.
logon_req = struct.pack("<BBBBIIH", 0xFE, 0, 0, 0x01, 0x01000C00, 0, len(ESSDN)) + ESSDN
add("req_logon_private", "request", buf([logon_req], [0xFFFFFFFF]), [0xFE], [0xFFFFFFFF],
    {"essdn_size": len(ESSDN), "logon_flags": 1, "open_flags": 0x01000C00})
logon_pub = struct.pack("<BBBBIIH", 0xFE, 0, 0, 0x00, 0x00000002, 0, 0)
add("req_logon_public", "request", buf([logon_pub], [0xFFFFFFFF]), [0xFE], [0xFFFFFFFF],
    {"essdn_size": 0, "logon_flags": 0})

# Open folder -> contents table -> set columns -> query rows (2.2.4.1, 2.2.4.14, 2.2.5.1,
# 2.2.5.4); handle 0 = logon, 1 = folder, 2 = table.
open_folder = struct.pack("<BBBBQB", 0x02, 0, 0, 1, 0x0001000000000005, 0x00)
contents = struct.pack("<BBBBB", 0x05, 0, 1, 2, 0x40)
set_cols = struct.pack("<BBBB", 0x12, 0, 2, 0x00) + tags([0x0E080003, 0x0037001F, 0x0FFF0102,
                                                            0x67480014])
query = struct.pack("<BBBBBH", 0x15, 0, 2, 0x00, 0x01, 0x0032)
add("req_folder_table", "request",
    buf([open_folder, contents, set_cols, query], [0x00000012, 0xFFFFFFFF, 0xFFFFFFFF]),
    [0x02, 0x05, 0x12, 0x15], [0x12, 0xFFFFFFFF, 0xFFFFFFFF],
    {"folder_id": 0x0001000000000005, "row_count": 0x32})

# Message + attachment + stream read (2.2.6.1, 2.2.6.17, 2.2.6.12, 2.2.9.1, 2.2.9.2).
open_msg = struct.pack("<BBBBHQBQ", 0x03, 0, 1, 2, 0x0FFF, 0x0001000000000005, 0x00,
                       0x0001000000001234)
att_table = struct.pack("<BBBBB", 0x21, 0, 2, 3, 0x00)
open_att = struct.pack("<BBBBBI", 0x22, 0, 2, 4, 0x00, 0)
open_stream = struct.pack("<BBBBIB", 0x2B, 0, 4, 5, 0x37010102, 0x00)
read_babe = struct.pack("<BBBHI", 0x2C, 0, 5, 0xBABE, 31744)
add("req_attachment_read", "request",
    buf([open_msg, att_table, open_att, open_stream, read_babe],
        [0x12, 0x34, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF]),
    [0x03, 0x21, 0x22, 0x2B, 0x2C], [0x12, 0x34] + [0xFFFFFFFF] * 4,
    {"maximum_byte_count": 31744, "attachment_id": 0, "property_tag": 0x37010102})

# Stream ROPs (2.2.9.2 - 2.2.9.8): plain ReadStream, WriteStream, Seek, SetSize, GetSize, Commit.
read_plain = struct.pack("<BBBH", 0x2C, 0, 1, 4096)
write = struct.pack("<BBBH", 0x2D, 0, 1, 5) + b"hello"
seek = struct.pack("<BBBBQ", 0x2E, 0, 1, 0x00, 0x10)
set_size = struct.pack("<BBBQ", 0x2F, 0, 1, 0x12345)
get_size = struct.pack("<BBB", 0x5E, 0, 1)
commit = struct.pack("<BBB", 0x5D, 0, 1)
release = struct.pack("<BBB", 0x01, 0, 1)
add("req_stream_ops", "request",
    buf([read_plain, write, seek, set_size, get_size, commit, release], [0x1, 0x2]),
    [0x2C, 0x2D, 0x2E, 0x2F, 0x5E, 0x5D, 0x01], [1, 2], {"byte_count": 4096})

# GetPropertiesSpecific + GetReceiveFolder + GetHierarchyTable (2.2.8.3, 2.2.3.2, 2.2.4.13).
gps = struct.pack("<BBBHH", 0x07, 0, 1, 0x0000, 0x0001) + tags(
    [0x0E080003, 0x0037001F, 0x001A001E, 0x0FFF0102, 0x00390040, 0x0E1B000B, 0x6748001F])
recv = struct.pack("<BBB", 0x27, 0, 0) + b"IPM.Note\x00"
hier = struct.pack("<BBBBB", 0x04, 0, 1, 2, 0x04)
add("req_props_receive_hierarchy", "request", buf([gps, recv, hier], [0x10, 0x11, 0xFFFFFFFF]),
    [0x07, 0x27, 0x04], [0x10, 0x11, 0xFFFFFFFF], {"message_class": "IPM.Note"})

# FastTransfer / ICS (2.2.13.6, 2.2.13.5, 2.2.13.1).
copy_to = struct.pack("<BBBBBIB", 0x4D, 0, 1, 2, 0x00, 0x00000002, 0x03) + tags([0x0E070003])
get_buf_babe = struct.pack("<BBBHH", 0x4E, 0, 2, 0xBABE, 31680)
get_buf = struct.pack("<BBBH", 0x4E, 0, 2, 0x7BC0)
restriction = bytes([0x03, 0x04, 0x04, 0x00, 0x1F, 0x00, 0x1A, 0x00])  # opaque to the codec
sync = struct.pack("<BBBBBBHH", 0x70, 0, 1, 3, 0x01, 0x01, 0x0042, len(restriction)) + \
    restriction + struct.pack("<I", 0x0000000F) + tags([0x0E080003, 0x65E20102])
add("req_fast_transfer", "request",
    buf([copy_to, get_buf_babe, get_buf, sync], [0x21, 0x22, 0xFFFFFFFF, 0xFFFFFFFF]),
    [0x4D, 0x4E, 0x4E, 0x70], [0x21, 0x22, 0xFFFFFFFF, 0xFFFFFFFF],
    {"maximum_buffer_size": 31680, "buffer_size": 0x7BC0})

# ICS initial state upload chained behind RopSynchronizationConfigure in one RopsList
# (MS-OXCFXICS 3.3.4.3.1; MS-OXCROPS 2.2.13.9 - 2.2.13.11): Configure puts the synchronization
# context at handle index 1, each state property is Begin (StateProperty, TransferBufferSize)
# [Continue (StreamDataSize u32, StreamData)...] End on index 1. Tags: MS-OXCFXICS 2.2.1.1.1-4
# (MetaTagIdsetGiven carries a PtypInteger32 tag, its value is binary: 3.3.5.13).
IDSET_GIVEN, CNSET_SEEN = 0x40170003, 0x67960102
CNSET_SEEN_FAI, CNSET_READ = 0x67DA0102, 0x67D20102
cnset = GUID_C + bytes([0x04, 0x00, 0x00, 0x00, 0x01, 0x52, 0x01, 0x00, 0x20, 0x00, 0x50, 0x00])
configure = struct.pack("<BBBBBBHH", 0x70, 0, 0, 1, 0x01, 0x00, 0x0000, 0) + \
    struct.pack("<I", 0) + tags([])


def begin(tag, size):
    return struct.pack("<BBBII", 0x75, 0, 1, tag, size)


def cont(data):
    return struct.pack("<BBBI", 0x76, 0, 1, len(data)) + data


end = struct.pack("<BBB", 0x77, 0, 1)
add("req_ics_state_upload", "request",
    buf([configure, begin(IDSET_GIVEN, 0), end, begin(CNSET_SEEN, len(cnset)), cont(cnset[:10]),
         cont(cnset[10:]), end, begin(CNSET_SEEN_FAI, 0), end, begin(CNSET_READ, 0), end],
        [0x00000031, 0xFFFFFFFF]),
    [0x70, 0x75, 0x77, 0x75, 0x76, 0x76, 0x77, 0x75, 0x77, 0x75, 0x77], [0x31, 0xFFFFFFFF],
    {"state_properties": [IDSET_GIVEN, CNSET_SEEN, CNSET_SEEN_FAI, CNSET_READ],
     "stream_data_size": len(cnset), "sync_handle_index": 1})

# MS-OXCPRPT 4.4.1.1: the spec's own RopOpenStream request bytes.
spec_open_stream = bytes.fromhex("2B0100010201 9A0E01".replace(" ", ""))
add("req_spec_open_stream", "request", buf([spec_open_stream], [0x00000001, 0xFFFFFFFF]),
    [0x2B], [1, 0xFFFFFFFF], {"property_tag": 0x0E9A0102, "open_mode": 1})

# An unknown ROP (RopGetPropertiesAll 0x08 is not typed here) after a known one.
add("req_unsupported", "request",
    buf([release, struct.pack("<BBBHH", 0x08, 0, 1, 0, 0)], [1]), [0x01], [1],
    {"unsupported": 0x08})

# --- responses --------------------------------------------------------------------------
folder_ids = [0x0001000000000001 + i for i in range(13)]
logon_priv_resp = struct.pack("<BBIB", 0xFE, 0, 0, 0x01) + \
    b"".join(struct.pack("<Q", f) for f in folder_ids) + struct.pack("<B", 0x01) + GUID_A + \
    struct.pack("<H", 0x0001) + GUID_B + struct.pack("<BBBBBBH", 30, 15, 9, 2, 14, 5, 2024) + \
    struct.pack("<QI", 0x01D9A1B2C3D4E5F6, 0)
add("resp_logon_private", "response", buf([logon_priv_resp], [0x00000012]), [0xFE], [0x12],
    {"year": 2024, "repl_id": 1, "private": True})
logon_pub_resp = struct.pack("<BBIB", 0xFE, 0, 0, 0x00) + \
    b"".join(struct.pack("<Q", f) for f in folder_ids) + struct.pack("<H", 0x0002) + GUID_B + \
    GUID_C
add("resp_logon_public", "response", buf([logon_pub_resp], [0x00000013]), [0xFE], [0x13],
    {"repl_id": 2, "private": False})
server = b"mbx02.example.test\x00"
logon_redirect = struct.pack("<BBIBB", 0xFE, 0, 0x478, 0x01, len(server)) + server
add("resp_logon_redirect", "response", buf([logon_redirect], [0xFFFFFFFF]), [0xFE],
    [0xFFFFFFFF], {"server": "mbx02.example.test"})

# Folder (ghosted, two servers) + contents table + set columns + query rows with columns.
open_folder_resp = struct.pack("<BBIBBHH", 0x02, 1, 0, 0, 1, 2, 1) + \
    b"pf1.example.test\x00pf2.example.test\x00"
contents_resp = struct.pack("<BBII", 0x05, 2, 0, 17)
set_cols_resp = struct.pack("<BBIB", 0x12, 2, 0, 0x00)


def utf16z(s):
    return s.encode("utf-16-le") + b"\x00\x00"


row1 = struct.pack("<B", 0x00) + struct.pack("<I", 4242) + utf16z("Hello") + \
    struct.pack("<H", 4) + b"\xde\xad\xbe\xef" + struct.pack("<Q", 0x0001000000001234)
row2 = struct.pack("<B", 0x01) + struct.pack("<BI", 0x00, 99) + struct.pack("<B", 0x01) + \
    struct.pack("<BI", 0x0A, 0x8004010F) + struct.pack("<BQ", 0x00, 7)
query_resp = struct.pack("<BBIBH", 0x15, 2, 0, 0x02, 2) + row1 + row2
add("resp_folder_table", "response",
    buf([open_folder_resp, contents_resp, set_cols_resp, query_resp], [0x20, 0x21, 0x22]),
    [0x02, 0x05, 0x12, 0x15], [0x20, 0x21, 0x22],
    {"row_count": 17, "servers": 2, "columns": [0x0E080003, 0x0037001F, 0x0FFF0102, 0x67480014],
     "table_handle": 2})

# Message with a recipient, attachment table, attachment, stream, ReadStream of 31744 bytes.
recipient_row = bytes([0x51, 0x00]) + b"alice\x00"  # opaque RecipientRow bytes
open_msg_resp = struct.pack("<BBIB", 0x03, 2, 0, 0) + struct.pack("<B", 0x02) + b"RE: \x00" + \
    struct.pack("<B", 0x04) + utf16z("Quarterly numbers") + struct.pack("<H", 1) + \
    tags([0x3001001F, 0x0C150003]) + struct.pack("<B", 1) + \
    struct.pack("<BHHH", 0x01, 0x04E4, 0, len(recipient_row)) + recipient_row
att_table_resp = struct.pack("<BBI", 0x21, 3, 0)
open_att_resp = struct.pack("<BBI", 0x22, 4, 0)
open_stream_resp = struct.pack("<BBII", 0x2B, 5, 0, 1 << 20)
data = bytes((i * 7 + 3) & 0xFF for i in range(31744 - 60))
read_resp = struct.pack("<BBIH", 0x2C, 5, 0, len(data)) + data
add("resp_attachment_read", "response",
    buf([open_msg_resp, att_table_resp, open_att_resp, open_stream_resp, read_resp],
        [0x30, 0x31, 0x32, 0x33, 0x34, 0x35]),
    [0x03, 0x21, 0x22, 0x2B, 0x2C], [0x30, 0x31, 0x32, 0x33, 0x34, 0x35],
    {"stream_size": 1 << 20, "data_size": len(data)})

# Stream ROP responses incl. error forms: ReadStream error still carries DataSize (0).
resp_stream = [
    struct.pack("<BBIH", 0x2C, 1, 0x80040102, 0),          # ReadStream error, DataSize 0
    struct.pack("<BBIH", 0x2D, 1, 0, 5),                   # WriteStream WrittenSize
    struct.pack("<BBIQ", 0x2E, 1, 0, 0x10),                # SeekStream NewPosition
    struct.pack("<BBI", 0x2F, 1, 0),                       # SetStreamSize
    struct.pack("<BBII", 0x5E, 1, 0, 0x12345),             # GetStreamSize
    struct.pack("<BBI", 0x5D, 1, 0x80040102),              # CommitStream error
    struct.pack("<BBIH", 0x2D, 1, 0x80030309, 0),          # WriteStream error + WrittenSize
    struct.pack("<BBI", 0x5E, 1, 0x8004010F),              # GetStreamSize error: header only
]
add("resp_stream_ops", "response", buf(resp_stream, [1, 2]),
    [0x2C, 0x2D, 0x2E, 0x2F, 0x5E, 0x5D, 0x2D, 0x5E], [1, 2], {})

# GetPropertiesSpecific row for the request's 7 tags + GetReceiveFolder + hierarchy table.
gps_row = struct.pack("<B", 0x00) + struct.pack("<I", 1234) + utf16z("Subject") + \
    b"IPM.Note\x00" + struct.pack("<H", 3) + b"\x01\x02\x03" + struct.pack("<Q", 0x01D9000000000000) + \
    struct.pack("<B", 1) + utf16z("")
gps_resp = struct.pack("<BBI", 0x07, 1, 0) + gps_row
recv_resp = struct.pack("<BBIQ", 0x27, 0, 0, 0x0001000000000007) + b"IPM\x00"
hier_resp = struct.pack("<BBII", 0x04, 2, 0, 9)
add("resp_props_receive_hierarchy", "response", buf([recv_resp, hier_resp, gps_resp],
                                                     [0x40, 0x41, 0x42]),
    [0x27, 0x04, 0x07], [0x40, 0x41, 0x42],
    {"folder_id": 0x0001000000000007, "explicit_class": "IPM",
     "tags": [0x0E080003, 0x0037001F, 0x001A001E, 0x0FFF0102, 0x00390040, 0x0E1B000B, 0x6748001F],
     "props_handle": 1})

# FastTransfer: CopyTo, GetBuffer partial with 31680 bytes, GetBuffer ServerBusy backoff,
# SynchronizationConfigure, then BufferTooSmall carrying an unexecuted request.
ft = bytes((i * 13 + 1) & 0xFF for i in range(31680 - 400))
resp_ft = [
    struct.pack("<BBI", 0x4D, 2, 0),
    struct.pack("<BBIHHHBH", 0x4E, 2, 0, 0x0001, 3, 10, 0, len(ft)) + ft,
    struct.pack("<BBII", 0x4E, 2, 0x480, 250),
    struct.pack("<BBI", 0x70, 3, 0),
    struct.pack("<BH", 0xFF, 0x2000) + get_buf_babe,
]
add("resp_fast_transfer", "response", buf(resp_ft, [0x50, 0x51, 0x52, 0x53]),
    [0x4D, 0x4E, 0x4E, 0x70, 0xFF], [0x50, 0x51, 0x52, 0x53],
    {"transfer_buffer_size": len(ft), "backoff": 250, "size_needed": 0x2000})

# ICS state upload answers: every form is the header alone (MS-OXCROPS 2.2.13.9.2 - 2.2.13.11.2),
# success or error (an End refusing the state with ecNotSupported, a Begin refusing a tag with
# ecInvalidParameter: MS-OXCDATA 2.4.1).
resp_ics = [
    struct.pack("<BBI", 0x70, 1, 0),
    struct.pack("<BBI", 0x75, 1, 0),
    struct.pack("<BBI", 0x77, 1, 0),
    struct.pack("<BBI", 0x75, 1, 0),
    struct.pack("<BBI", 0x76, 1, 0),
    struct.pack("<BBI", 0x76, 1, 0),
    struct.pack("<BBI", 0x77, 1, 0x80040102),
    struct.pack("<BBI", 0x75, 1, 0x80070057),
]
add("resp_ics_state_upload", "response", buf(resp_ics, [0x31, 0x00000062]),
    [0x70, 0x75, 0x77, 0x75, 0x76, 0x76, 0x77, 0x75], [0x31, 0x62],
    {"end_error": 0x80040102, "begin_error": 0x80070057})

# A response whose RopsList is cut by RopSize inside a ROP: malformed.
bad = bytearray(buf([struct.pack("<BBII", 0x5E, 1, 0, 5)], [1]))
bad[0] -= 2
add("resp_malformed_cut", "response", bytes(bad), [], [], {"malformed": True})

for name, data in vectors.items():
    with open(os.path.join(HERE, name + ".bin"), "wb") as f:
        f.write(data)
with open(os.path.join(HERE, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
    f.write("\n")
print("wrote", len(vectors), "vectors")
