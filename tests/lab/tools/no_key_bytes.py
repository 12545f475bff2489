#!/usr/bin/python3
"""no_key_bytes.py FILE... -- HEXKEY...: fails when any 8-byte run of a key (hex, either case)
or any 12-byte run (base64) appears in any FILE. The lab
tests of the encryption service give it the daemon's log, the sr-errorlog and every show output,
and the keys they know by other means (a keytab's klist -K, the keys read from the store); the
keys are never printed."""
import base64
import sys

if "--" not in sys.argv:
    sys.exit("usage: no_key_bytes.py FILE... -- HEXKEY...")
sep = sys.argv.index("--")
files, keys = sys.argv[1:sep], sys.argv[sep + 1:]
if not files or not keys:
    sys.exit("no_key_bytes.py: no file or no key given")
text = b"".join(open(f, "rb").read() for f in files)
for k in keys:
    b = bytes.fromhex(k)
    if len(b) < 12:
        sys.exit("no_key_bytes.py: a key shorter than 12 bytes cannot be checked")
    for i in range(0, len(b) - 7):
        w = b[i:i + 8]
        for r in (w.hex().encode(), w.hex().upper().encode()):
            if r in text:
                sys.exit("key bytes found in hex")
    for i in range(0, len(b) - 11):
        # Every offset, not only multiples of 3: the key may sit at any alignment inside a
        # larger blob that was encoded.
        if base64.b64encode(b[i:i + 12]) in text:
            sys.exit("key bytes found in base64")
print("checked", len(text), "bytes against", len(keys), "keys")
