#!/usr/bin/python3
"""Golden vectors for secure/replication (issue 17): what a domain controller replicates of an
account's secrets, built with an independent implementation (python3-impacket's MS-SAMR
structures, pycryptodome's RC4 and DES, zlib's CRC-32) so that our decoder is checked against
the specs' layouts rather than against itself.

  MS-DRSR 4.1.10.6.17 DecryptValuesIfNecessary: ENCRYPTED_PAYLOAD = Salt[16] || RC4(MD5(session
      key || Salt), CheckSum[4] || EncryptedData), CheckSum = CRC-32 of the plain data.
  MS-SAMR 2.2.11.1.3: the NT hash inside unicodePwd is DES-ECB encrypted with two keys derived
      from the account's RID.
  MS-SAMR 2.2.10.1-2.2.10.6: supplementalCredentials = USER_PROPERTIES; the value of
      "Primary:Kerberos-Newer-Keys" is KERB_STORED_CREDENTIAL_NEW, hex-encoded as ASCII.

Every key here is made up for the test. Run: /usr/bin/python3 make_vectors.py > vectors.json
"""
import binascii
import hashlib
import json
import struct
import sys
import zlib

from Cryptodome.Cipher import ARC4, DES
from impacket.dcerpc.v5 import samr
from impacket.examples.secretsdump import CryptoCommon

SESSION_KEY = bytes(range(0x40, 0x50))          # a GSS session key (16 bytes, as AES128/RC4)
SESSION_KEY_AES256 = bytes(range(0x60, 0x80))   # an AES256 session key (32 bytes)
RID = 1104
NT_HASH = binascii.unhexlify("31d6cfe0d16ae931b73c59d7e0c089c0")  # MD4("") - a known hash
SALT_TEXT = "EMAPI.LABhostexch1.emapi.lab"
AES256 = bytes((i * 7 + 3) & 0xFF for i in range(32))
AES128 = bytes((i * 11 + 5) & 0xFF for i in range(16))
OLD_AES256 = bytes((i * 13 + 1) & 0xFF for i in range(32))


def seal(session_key, salt, plain):
    key = hashlib.md5(session_key + salt).digest()
    crc = struct.pack("<L", zlib.crc32(plain) & 0xFFFFFFFF)
    return salt + ARC4.new(key).encrypt(crc + plain)


def rid_des(rid, hash16):
    k1, k2 = CryptoCommon().deriveKey(rid)
    return DES.new(k1, DES.MODE_ECB).encrypt(hash16[:8]) + DES.new(k2, DES.MODE_ECB).encrypt(hash16[8:])


def newer_keys():
    # KERB_STORED_CREDENTIAL_NEW (MS-SAMR 2.2.10.5): header, then KERB_KEY_DATA_NEW entries
    # (2.2.10.6) for Credentials, ServiceCredentials (none), OldCredentials, OlderCredentials
    # (none), then the salt and the key values, each found by its offset from the start.
    creds = [(18, AES256, 4096), (17, AES128, 4096)]
    old = [(18, OLD_AES256, 4096)]
    salt = SALT_TEXT.encode("utf-16-le")
    header_len = 24
    entry_len = 24
    data_start = header_len + entry_len * (len(creds) + len(old))
    salt_off = data_start
    off = salt_off + len(salt)
    entries = b""
    values = b""
    for ktype, key, it in creds + old:
        e = samr.KERB_KEY_DATA_NEW()
        e["IterationCount"] = it
        e["KeyType"] = ktype
        e["KeyLength"] = len(key)
        e["KeyOffset"] = off + len(values)
        entries += e.getData()
        values += key
    h = samr.KERB_STORED_CREDENTIAL_NEW()
    h["Revision"] = 4
    h["CredentialCount"] = len(creds)
    h["OldCredentialCount"] = len(old)
    h["DefaultSaltLength"] = len(salt)
    h["DefaultSaltMaximumLength"] = len(salt)
    h["DefaultSaltOffset"] = salt_off
    h["DefaultIterationCount"] = 4096
    h["Buffer"] = entries + salt + values
    return h.getData()


def user_properties(props):
    body = b""
    for name, value in props:
        p = samr.USER_PROPERTY()
        n = name.encode("utf-16-le")
        v = binascii.hexlify(value).upper()
        p["NameLength"] = len(n)
        p["ValueLength"] = len(v)
        p["PropertyName"] = n
        p["PropertyValue"] = v
        body += p.getData()
    u = samr.USER_PROPERTIES()
    u["PropertyCount"] = len(props)
    u["UserProperties"] = body
    # Length counts the bytes after Reserved3 (MS-SAMR 2.2.10.1): Reserved4 .. the end.
    u["Length"] = 96 + 2 + 2 + len(body)
    return u.getData() + b"\x00"  # Reserved5, one byte, as Samba writes it


def main():
    nk = newer_keys()
    props = [("Primary:Kerberos-Newer-Keys", nk),
             ("Packages", "Kerberos-Newer-Keys".encode("utf-16-le"))]
    sc = user_properties(props)
    out = {
        "session_key": SESSION_KEY.hex(),
        "session_key_aes256": SESSION_KEY_AES256.hex(),
        "rid": RID,
        "nt_hash": NT_HASH.hex(),
        "unicode_pwd_des": rid_des(RID, NT_HASH).hex(),
        "unicode_pwd_payload": seal(SESSION_KEY, bytes(range(16)), rid_des(RID, NT_HASH)).hex(),
        "unicode_pwd_payload_aes256_session": seal(SESSION_KEY_AES256, bytes(range(100, 116)),
                                                   rid_des(RID, NT_HASH)).hex(),
        "supplemental_credentials": sc.hex(),
        "supplemental_credentials_payload": seal(SESSION_KEY, bytes(range(32, 48)), sc).hex(),
        "kerberos_newer_keys": nk.hex(),
        "default_salt": SALT_TEXT,
        "default_iterations": 4096,
        "credentials": [{"etype": 18, "key": AES256.hex(), "iterations": 4096},
                        {"etype": 17, "key": AES128.hex(), "iterations": 4096}],
        "old_credentials": [{"etype": 18, "key": OLD_AES256.hex(), "iterations": 4096}],
    }
    json.dump(out, sys.stdout, indent=1, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
