#!/usr/bin/python3
"""no_key_bytes.py FILE... -- HEXKEY...: fails when any 8-byte run of a key (hex, either case;
or the raw bytes, for captures) or any 12-byte run (base64, at every alignment) appears in any
FILE. The lab tests of the encryption service give it the daemon's log, the sr-errorlog and
every show output, and the keys they know by other means (a keytab's klist -K, the keys read
from the store); emapi_test gives it the WAN capture too. The keys are never printed.

Every run of every key is one fixed pattern, and GNU grep -F looks for all of them in one pass
over each file (tens of MB of capture against a hundred keys: seconds, where a Python loop of
`in` over the text took minutes). Raw runs holding a newline (grep's pattern separator) or a
NUL are left to the other runs of the same key."""
import base64
import subprocess
import sys
import tempfile

if "--" not in sys.argv:
    sys.exit("usage: no_key_bytes.py FILE... -- HEXKEY...")
sep = sys.argv.index("--")
files, keys = sys.argv[1:sep], sys.argv[sep + 1:]
if not files or not keys:
    sys.exit("no_key_bytes.py: no file or no key given")
kinds = {}  # pattern -> "hex" | "base64" | "raw"
for k in keys:
    b = bytes.fromhex(k)
    if len(b) < 12:
        sys.exit("no_key_bytes.py: a key shorter than 12 bytes cannot be checked")
    for i in range(0, len(b) - 7):
        w = b[i:i + 8]
        kinds[w.hex().encode()] = "hex"
        kinds[w.hex().upper().encode()] = "hex"
        if b"\n" not in w and b"\0" not in w:
            kinds.setdefault(w, "raw")
    for i in range(0, len(b) - 11):
        # Every offset, not only multiples of 3: the key may sit at any alignment inside a
        # larger blob that was encoded.
        kinds[base64.b64encode(b[i:i + 12])] = "base64"
size = 0
with tempfile.NamedTemporaryFile(prefix="no-key-bytes.") as patterns:
    patterns.write(b"\n".join(kinds) + b"\n")
    patterns.flush()
    for f in files:
        with open(f, "rb") as fh:
            fh.seek(0, 2)
            size += fh.tell()
        # -o: the matched run itself, to say which form was found (never printed).
        r = subprocess.run(["grep", "-a", "-o", "-F", "-m", "1", "-f", patterns.name, f],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env={"LC_ALL": "C", "PATH": "/usr/bin:/bin"})
        if r.returncode == 0:
            found = r.stdout.split(b"\n")[0]
            sys.exit("key bytes found in %s" % kinds.get(found, "a file"))
        if r.returncode != 1:
            sys.exit("no_key_bytes.py: grep failed on %s: %s" % (f, r.stderr.decode()[:200]))
print("checked", size, "bytes against", len(keys), "keys")
