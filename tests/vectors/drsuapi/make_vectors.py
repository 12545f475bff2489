#!/usr/bin/python3
"""Golden vectors for mapi/drsuapi (issue 17): the DRSUAPI stubs the encryption service sends and
reads (MS-DRSR 4.1.3 IDL_DRSBind, 4.1.25 IDL_DRSUnbind, 4.1.4 IDL_DRSCrackNames, 4.1.10
IDL_DRSGetNCChanges), marshalled by an independent NDR implementation: python3-impacket's
impacket.dcerpc.v5.drsuapi classes. Every stub is then read back by a second one, Samba's own
(pidl-generated) NDR through python3-samba's samba.ndr.ndr_unpack_in/ndr_unpack_out, which must
consume it whole: what the DC itself will accept. Samba then marshals the same values again;
where its bytes differ from impacket's (an embedded [ref] pointer, cNumBytes), they are kept as
NAME_samba.bin: what the DC itself sends.

Two things are pinned so that our encoder can write the same bytes again:
  - referent ids: impacket draws them at random; here every non-NULL pointer gets the next of
    0x00020000, 0x00020004, ... in the order impacket marshals it (as MIDL and Samba number them);
  - padding: impacket fills alignment gaps with 0xaa, 0xab, 0xbb ... 0xef (NDR leaves
    their value open, C706 14.2.2); here they are zero, as Windows and Samba write them. One vector
    ("getnc_request_impacket_fill") keeps impacket's own filler, run in a child process, to prove
    the decoder ignores what pads hold.

Everything is made up for the test (GUIDs, SIDs, names, secret bytes).
Run: /usr/bin/python3 make_vectors.py  (writes *.bin and manifest.json beside itself)
"""
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import types

FILL = os.environ.get("BH_IMPACKET_FILL") == "1"


def load_impacket_ndr():
    """impacket's NDR module, with its pad filler bytes zeroed unless FILL."""
    spec = importlib.util.find_spec("impacket.dcerpc.v5.ndr")
    if FILL:
        return
    src = open(spec.origin).read()
    src = re.sub(r"b'\\x[0-9a-fA-F]{2}'\*", lambda m: "b'\\x00'*", src)
    mod = types.ModuleType(spec.name)
    mod.__file__ = spec.origin
    mod.__package__ = "impacket.dcerpc.v5"
    sys.modules[spec.name] = mod
    exec(compile(src, spec.origin, "exec"), mod.__dict__)


load_impacket_ndr()
from impacket.dcerpc.v5 import drsuapi, ndr  # noqa: E402
from impacket.dcerpc.v5.dtypes import NULL, LPWSTR  # noqa: E402
from impacket.uuid import string_to_bin  # noqa: E402

random.seed(17)
_next_ref = [0x00020000]
_orig_pointer_get_data = ndr.NDRPOINTER.getData


def _pointer_get_data(self, soFar=0):
    if self.fields["ReferentID"] != 0:
        self.fields["ReferentID"] = _next_ref[0]
        _next_ref[0] += 4
    return _orig_pointer_get_data(self, soFar)


ndr.NDRPOINTER.getData = _pointer_get_data


def marshal(call):
    _next_ref[0] = 0x00020000
    return call.getData()


HERE = os.path.dirname(os.path.abspath(__file__))
HANDLE = bytes.fromhex("00000000") + bytes(range(0xA0, 0xB0))  # DRS_HANDLE: attributes + UUID
CLIENT_DSA = "e24d201a-4fd6-11d1-a3da-0000f875ae0d"             # NTDSAPI_CLIENT_GUID (5.137)
SERVER_DSA = "5c1e3f05-7a2d-4c3b-9d1e-8f0a1b2c3d4e"
INVOCATION = "0d9b8c7a-6f5e-4d3c-8b2a-190817263544"
ACCOUNT_GUID = "6b0f4a3e-2d1c-4b5a-9e8f-7a6b5c4d3e2f"
ACCOUNT_DN = "CN=EXCH1,CN=Computers,DC=bhlab,DC=test"
DOMAIN_SID = bytes.fromhex("010400000000000515000000a1b2c3d4e5f60718293a4b5c")
ACCOUNT_SID = bytes.fromhex("010500000000000515000000a1b2c3d4e5f60718293a4b5c52040000")

# Attributes by OID (MS-ADA1/MS-ADA3), so the test looks them up the way the service will.
OID = {
    "objectSid": "1.2.840.113556.1.4.146",
    "unicodePwd": "1.2.840.113556.1.4.90",
    "ntPwdHistory": "1.2.840.113556.1.4.94",
    "lmPwdHistory": "1.2.840.113556.1.4.160",
    "dBCSPwd": "1.2.840.113556.1.4.55",
    "supplementalCredentials": "1.2.840.113556.1.4.125",
    "sAMAccountName": "1.2.840.113556.1.4.221",
    "objectClass": "2.5.4.0",
    "msDS-ExtensionAttr": "1.2.840.113556.1.4.21000",  # made up: an arc >= 16384 (5.16.4)
}


def ext_int(flags, cb, ext_caps=0xFFFFFFFF, site=b"\x00" * 16, pid=0, epoch=0, flags_ext=0,
            config=b"\x00" * 16):
    e = drsuapi.DRS_EXTENSIONS_INT()
    e["dwFlags"] = flags
    e["SiteObjGuid"] = site
    e["Pid"] = pid
    e["dwReplEpoch"] = epoch
    e["dwFlagsExt"] = flags_ext
    e["ConfigObjGUID"] = config
    e["dwExtCaps"] = ext_caps
    return e.getData()[:cb]


CLIENT_FLAGS = (drsuapi.DRS_EXT_BASE | drsuapi.DRS_EXT_RESTORE_USN_OPTIMIZATION |
                drsuapi.DRS_EXT_STRONG_ENCRYPTION | drsuapi.DRS_EXT_GETCHGREQ_V6 |
                drsuapi.DRS_EXT_GETCHGREQ_V8 | drsuapi.DRS_EXT_GETCHGREPLY_V6)


def dsname(guid, name, sid=b""):
    d = drsuapi.DSNAME()
    d["SidLen"] = len(sid)
    d["Guid"] = string_to_bin(guid) if guid else b"\x00" * 16
    d["Sid"] = sid + b"\x00" * (28 - len(sid))
    d["NameLen"] = len(name)
    d["StringName"] = name + "\x00"
    # MS-DRSR 5.50: structLen = DSNameSizeFromLen(NameLen) = offsetof(StringName) + 2 * (NameLen + 1)
    d["structLen"] = 56 + 2 * (len(name) + 1)
    return d


def bind_request():
    r = drsuapi.DRSBind()
    r["puuidClientDsa"] = string_to_bin(CLIENT_DSA)
    rgb = ext_int(CLIENT_FLAGS, 48)
    r["pextClient"]["cb"] = len(rgb)
    r["pextClient"]["rgb"] = list(rgb)
    return r, {"client_dsa": CLIENT_DSA, "flags": CLIENT_FLAGS, "cb": len(rgb)}


def bind_reply():
    r = drsuapi.DRSBindResponse()
    flags = CLIENT_FLAGS | drsuapi.DRS_EXT_GETCHGREPLY_V5 | drsuapi.DRS_EXT_ADDENTRY
    rgb = ext_int(flags, 28, site=bytes(range(16)), pid=0x1234, epoch=1)
    r["ppextServer"]["cb"] = len(rgb)
    r["ppextServer"]["rgb"] = list(rgb)
    r["phDrs"] = HANDLE
    r["ErrorCode"] = 0
    return r, {"flags": flags, "cb": len(rgb), "pid": 0x1234, "repl_epoch": 1,
               "handle": HANDLE.hex(), "return": 0}


def unbind_request():
    r = drsuapi.DRSUnbind()
    r["phDrs"] = HANDLE
    return r, {"handle": HANDLE.hex()}


def unbind_reply():
    r = drsuapi.DRSUnbindResponse()
    r["phDrs"] = b"\x00" * 20
    r["ErrorCode"] = 0
    return r, {"return": 0}


def crack_request(names, offered, desired):
    r = drsuapi.DRSCrackNames()
    r["hDrs"] = HANDLE
    r["dwInVersion"] = 1
    r["pmsgIn"]["tag"] = 1
    v = r["pmsgIn"]["V1"]
    v["CodePage"] = 0
    v["LocaleId"] = 0
    v["dwFlags"] = 0
    v["formatOffered"] = offered
    v["formatDesired"] = desired
    v["cNames"] = len(names)
    for n in names:
        s = LPWSTR()
        s["Data"] = n + "\x00"
        v["rpNames"].append(s)
    return r, {"offered": offered, "desired": desired, "names": names}


def crack_reply(items, ret=0):
    r = drsuapi.DRSCrackNamesResponse()
    r["pdwOutVersion"] = 1
    r["pmsgOut"]["tag"] = 1
    res = r["pmsgOut"]["V1"]["pResult"]
    res["cItems"] = len(items)
    for status, domain, name in items:
        it = drsuapi.DS_NAME_RESULT_ITEMW()
        it["status"] = status
        it["pDomain"] = NULL if domain is None else domain + "\x00"
        it["pName"] = NULL if name is None else name + "\x00"
        res["rItems"].append(it)
    r["ErrorCode"] = ret
    return r, {"items": [{"status": s, "domain": d, "name": n} for s, d, n in items],
               "return": ret}


def getnc_request(exop, flags):
    r = drsuapi.DRSGetNCChanges()
    r["hDrs"] = HANDLE
    r["dwInVersion"] = 8
    r["pmsgIn"]["tag"] = 8
    v = r["pmsgIn"]["V8"]
    v["uuidDsaObjDest"] = string_to_bin(CLIENT_DSA)
    v["uuidInvocIdSrc"] = string_to_bin(CLIENT_DSA)
    v["pNC"] = dsname(ACCOUNT_GUID, "")
    v["usnvecFrom"]["usnHighObjUpdate"] = 0
    v["usnvecFrom"]["usnReserved"] = 0
    v["usnvecFrom"]["usnHighPropUpdate"] = 0
    v["pUpToDateVecDest"] = NULL
    v["ulFlags"] = flags
    v["cMaxObjects"] = 1
    v["cMaxBytes"] = 0
    v["ulExtendedOp"] = exop
    # Samba 4.17 refuses a partial attribute set with a prefix table lacking the schemaInfo
    # entry (emapi-lab.md 2.2): none of either.
    v["pPartialAttrSet"] = NULL
    v["pPartialAttrSetEx1"] = NULL
    v["PrefixTableDest"]["PrefixCount"] = 0
    v["PrefixTableDest"]["pPrefixEntry"] = NULL
    return r, {"exop": exop, "flags": flags, "nc_guid": ACCOUNT_GUID, "max_objects": 1}


def ber_oid(oid):
    arcs = [int(x) for x in oid.split(".")]
    out = bytes([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        enc = [a & 0x7F]
        a >>= 7
        while a:
            enc.insert(0, 0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(enc)
    return out


def prefix_table(entries):
    """entries: [(ndx, binary prefix)]; MakeAttid (5.16.4) for the attributes below."""
    t = []
    for ndx, prefix in entries:
        e = drsuapi.PrefixTableEntry()
        e["ndx"] = ndx
        e["prefix"]["length"] = len(prefix)
        e["prefix"]["elements"] = list(prefix)
        t.append(e)
    return t


def attid(table, oid):
    """MS-DRSR 5.16.4 MakeAttid against a fixed table (the prefix must be in it)."""
    last = int(oid.split(".")[-1])
    binary = ber_oid(oid)
    prefix = binary[:-1] if last < 128 else binary[:-2]
    for ndx, p in table:
        if p == prefix:
            low = last % 16384 + (32768 if last >= 16384 else 0)
            return (ndx << 16) | low
    raise KeyError(oid)


def attrval_block(values):
    blk = drsuapi.ATTRVALBLOCK()
    blk["valCount"] = len(values)
    for v in values:
        av = drsuapi.ATTRVAL()
        av["valLen"] = len(v)
        av["pVal"] = list(v)
        blk["pAVal"].append(av)
    if not values:
        blk["pAVal"] = NULL
    return blk


def getnc_reply(table, attrs, ret=0, extended_ret=1, with_object=True, meta=True,
                utd=False, parent=True):
    r = drsuapi.DRSGetNCChangesResponse()
    r["pdwOutVersion"] = 6
    r["pmsgOut"]["tag"] = 6
    v = r["pmsgOut"]["V6"]
    v["uuidDsaObjSrc"] = string_to_bin(SERVER_DSA)
    v["uuidInvocIdSrc"] = string_to_bin(INVOCATION)
    v["pNC"] = dsname(ACCOUNT_GUID, ACCOUNT_DN, ACCOUNT_SID) if with_object else NULL
    for vec in ("usnvecFrom", "usnvecTo"):
        v[vec]["usnHighObjUpdate"] = 0 if vec == "usnvecFrom" else 4242
        v[vec]["usnReserved"] = 0
        v[vec]["usnHighPropUpdate"] = 0 if vec == "usnvecFrom" else 4242
    if utd:
        u = drsuapi.UPTODATE_VECTOR_V2_EXT()
        u["dwVersion"] = 2
        u["dwReserved1"] = 0
        u["cNumCursors"] = 1
        u["dwReserved2"] = 0
        c = drsuapi.UPTODATE_CURSOR_V2()
        c["uuidDsa"] = string_to_bin(INVOCATION)
        c["usnHighPropUpdate"] = 4242
        c["timeLastSyncSuccess"] = 13400000000
        u["rgCursors"].append(c)
        v["pUpToDateVecSrc"] = u
    else:
        v["pUpToDateVecSrc"] = NULL
    if table:
        v["PrefixTableSrc"]["PrefixCount"] = len(table)
        for e in prefix_table(table):
            v["PrefixTableSrc"]["pPrefixEntry"].append(e)
    else:
        v["PrefixTableSrc"]["PrefixCount"] = 0
        v["PrefixTableSrc"]["pPrefixEntry"] = NULL
    v["ulExtendedRet"] = extended_ret
    v["cNumObjects"] = 1 if with_object else 0
    v["cNumBytes"] = 0
    if with_object:
        o = drsuapi.REPLENTINFLIST()
        o["pNextEntInf"] = NULL
        o["Entinf"]["pName"] = dsname(ACCOUNT_GUID, ACCOUNT_DN, ACCOUNT_SID)
        o["Entinf"]["ulFlags"] = 1  # ENTINF_FROM_MASTER
        o["Entinf"]["AttrBlock"]["attrCount"] = len(attrs)
        for name, values in attrs:
            a = drsuapi.ATTR()
            a["attrTyp"] = attid(table, OID[name])
            a["AttrVal"] = attrval_block(values)
            o["Entinf"]["AttrBlock"]["pAttr"].append(a)
        o["fIsNCPrefix"] = 0
        o["pParentGuidm"] = string_to_bin(SERVER_DSA) if parent else NULL
        if meta:
            mv = drsuapi.PROPERTY_META_DATA_EXT_VECTOR()
            mv["cNumProps"] = len(attrs)
            for i, _ in enumerate(attrs):
                m = drsuapi.PROPERTY_META_DATA_EXT()
                m["dwVersion"] = 2 + i
                m["timeChanged"] = 13400000000 + i
                m["uuidDsaOriginating"] = string_to_bin(INVOCATION)
                m["usnOriginating"] = 4000 + i
                mv["rgMetaData"].append(m)
            o["pMetaDataExt"] = mv
        else:
            o["pMetaDataExt"] = NULL
        v["pObjects"] = o
    else:
        v["pObjects"] = NULL
    v["fMoreData"] = 0
    v["cNumNcSizeObjectsc"] = 0
    v["cNumNcSizeValues"] = 0
    v["cNumValues"] = 0
    v["rgValues"] = 0  # impacket 0.10 types rgValues as a DWORD: no linked values here
    v["dwDRSError"] = 0
    r["ErrorCode"] = ret
    fields = {
        "return": ret, "extended_ret": extended_ret,
        "server_dsa": SERVER_DSA, "invocation_id": INVOCATION,
        "prefix_table": [{"ndx": n, "prefix": p.hex()} for n, p in table],
        "objects": [],
    }
    if with_object:
        fields["objects"].append({
            "guid": ACCOUNT_GUID, "dn": ACCOUNT_DN, "sid": ACCOUNT_SID.hex(),
            "parent_guid": SERVER_DSA if parent else None,
            "attributes": [{"name": n, "oid": OID[n], "attrtyp": attid(table, OID[n]),
                            "values": [x.hex() for x in vals]} for n, vals in attrs],
            "meta_versions": [2 + i for i in range(len(attrs))] if meta else [],
        })
    return r, fields


# The prefix table as Windows and Samba start it (MS-DRSR 5.16.4 the default table, in part)
# with the schemaInfo entry last (ndx 0, 0xFF then version and invocation id: MS-DRSR 5.180).
SCHEMA_INFO = bytes([0xFF]) + (5).to_bytes(4, "big") + bytes(range(16))
STANDARD = [(0, ber_oid("2.5.4")), (9, ber_oid("1.2.840.113556.1.4")),
            (0x4E, ber_oid("1.2.840.113556.1.4.21000")[:-2])]
# The same prefixes under other indexes: an ATTRTYP means nothing without its table.
SHUFFLED = [(0x1A, ber_oid("1.2.840.113556.1.4")), (0x07, ber_oid("2.5.4")),
            (0x4E, ber_oid("1.2.840.113556.1.4.21000")[:-2])]

SECRET_ATTRS = [
    ("objectClass", [bytes.fromhex("03000000"), bytes.fromhex("0d000000")]),
    ("sAMAccountName", ["EXCH1$".encode("utf-16-le")]),
    ("objectSid", [ACCOUNT_SID]),
    ("unicodePwd", [bytes(range(16)) + bytes(range(0x30, 0x44))]),
    ("ntPwdHistory", [bytes(range(0x50, 0x50 + 36))]),
    ("lmPwdHistory", [bytes(range(0x80, 0x80 + 36))]),
    ("dBCSPwd", [bytes(range(0xB0, 0xB0 + 36))]),
    ("supplementalCredentials", [bytes(range(256)) * 3]),
    ("msDS-ExtensionAttr", []),
]


def samba_check(name, data, direction, opnum):
    """Samba's NDR must read impacket's stub whole (ndr_unpack_in/out raise otherwise); returns
    the stub as Samba marshals the same values again."""
    from samba import ndr as sndr
    from samba.dcerpc import drsuapi as sd
    cls = {0: sd.DsBind, 1: sd.DsUnbind, 3: sd.DsGetNCChanges, 12: sd.DsCrackNames}[opnum]
    obj = cls()
    if direction == "request":
        sndr.ndr_unpack_in(obj, data)
        return sndr.ndr_pack_in(obj)
    sndr.ndr_unpack_out(obj, data)
    return sndr.ndr_pack_out(obj)


def build():
    DS_NT4_ACCOUNT_NAME, DS_UNIQUE_ID_NAME, DS_FQDN_1779_NAME = 2, 6, 1
    DS_SERVICE_PRINCIPAL_NAME = 10
    v = []
    v.append(("bind_request", 0, "request") + bind_request())
    v.append(("bind_reply", 0, "reply") + bind_reply())
    v.append(("unbind_request", 1, "request") + unbind_request())
    v.append(("unbind_reply", 1, "reply") + unbind_reply())
    v.append(("crack_request", 12, "request") +
             crack_request(["BHLAB\\EXCH1$"], DS_NT4_ACCOUNT_NAME, DS_UNIQUE_ID_NAME))
    v.append(("crack_request_spn", 12, "request") +
             crack_request(["exchangeMDB/exch1.bhlab.test", "exchangeAB/exch1.bhlab.test"],
                           DS_SERVICE_PRINCIPAL_NAME, DS_FQDN_1779_NAME))
    v.append(("crack_reply", 12, "reply") +
             crack_reply([(0, "bhlab.test", "{%s}" % ACCOUNT_GUID)]))
    v.append(("crack_reply_not_found", 12, "reply") +
             crack_reply([(2, None, None), (0, "bhlab.test", ACCOUNT_DN)]))
    v.append(("getnc_request_secrets", 3, "request") +
             getnc_request(drsuapi.EXOP_REPL_SECRETS, drsuapi.DRS_INIT_SYNC | drsuapi.DRS_WRIT_REP))
    v.append(("getnc_request_obj", 3, "request") +
             getnc_request(drsuapi.EXOP_REPL_OBJ, drsuapi.DRS_INIT_SYNC | drsuapi.DRS_WRIT_REP))
    v.append(("getnc_reply", 3, "reply") +
             getnc_reply(STANDARD + [(0, SCHEMA_INFO)], SECRET_ATTRS, utd=True))
    v.append(("getnc_reply_shuffled", 3, "reply") +
             getnc_reply(SHUFFLED, SECRET_ATTRS, meta=False, parent=False))
    v.append(("getnc_reply_denied", 3, "reply") +
             getnc_reply([], [], ret=0x2105, extended_ret=0, with_object=False))
    return v


def main():
    if FILL:
        r, _ = getnc_request(drsuapi.EXOP_REPL_SECRETS, drsuapi.DRS_INIT_SYNC | drsuapi.DRS_WRIT_REP)
        sys.stdout.write(marshal(r).hex())
        return
    manifest = []
    for name, opnum, direction, call, fields in build():
        data = marshal(call)
        again = samba_check(name, data, direction, opnum)
        with open(os.path.join(HERE, name + ".bin"), "wb") as f:
            f.write(data)
        manifest.append({"name": name, "opnum": opnum, "direction": direction,
                         "fields": fields})
        if again != data:
            # Samba marshals the same values its own way in two places: an embedded [ref]
            # pointer as 0xAEF1AEF1 rather than a referent id, and DRS_MSG_GETCHGREPLY_V6's
            # cNumBytes computed from the reply's size. What the DC sends: kept as a vector too.
            with open(os.path.join(HERE, name + "_samba.bin"), "wb") as f:
                f.write(again)
            manifest.append({"name": name + "_samba", "opnum": opnum, "direction": direction,
                             "fields": {"same_as": name, "marshalled_by": "samba"}})
    env = dict(os.environ, BH_IMPACKET_FILL="1")
    filled = bytes.fromhex(subprocess.check_output([sys.executable, __file__], env=env).decode())
    samba_check("getnc_request_impacket_fill", filled, "request", 3)
    with open(os.path.join(HERE, "getnc_request_impacket_fill.bin"), "wb") as f:
        f.write(filled)
    manifest.append({"name": "getnc_request_impacket_fill", "opnum": 3, "direction": "request",
                     "fields": {"same_as": "getnc_request_secrets"}})
    with open(os.path.join(HERE, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
