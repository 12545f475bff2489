#!/usr/bin/python3
"""Directory replication of one account's keys (DCSync) with Debian's python3-impacket, as the
oracle of the lab's Samba AD DC. Never prints key material: it compares what the DC replicated
with a keytab and prints the verdict.

  dcsync_oracle.py --dc ADDR --domain NETBIOS --user NAME --password-file F --account 'EXCH1$'
                   [--keytab FILE]

Prints one of
  replicated: rc4-hmac aes256-cts-hmac-sha1-96 ...   (the key types the DC gave; exit 0)
  keytab: match rc4-hmac aes256-cts-hmac-sha1-96 ... (with --keytab, each compared; exit 0)
  keytab: MISMATCH TYPE ...                          (exit 1)
  denied: WERROR 0x00002105 ERROR_DS_DRA_ACCESS_DENIED (exit 3)
  failed: WHAT                                       (exit 2)

impacket 0.10's secretsdump (examples/secretsdump.py) needs two things against Samba 4.17: the
account as DOMAIN/NAME (its DsCrackNames form), and a DsGetNCChanges request with no partial
attribute set and an empty prefix table (Samba refuses impacket's prefix table without the
schemaInfo entry; without a partial attribute set Samba replicates the full object, a
secret-revealing request gated on Get-Changes-All). A refusal is a normal response whose last
four stub bytes are the WERROR (MS-DRSR 4.1.10): impacket misreads it, so the raw stub is kept.
The password comes from a file and goes into secretsdump's argument list inside this process,
not onto a command line other users can read.
"""
import argparse
import contextlib
import io
import re
import runpy
import subprocess
import sys

SECRETSDUMP = "/usr/share/doc/python3-impacket/examples/secretsdump.py"
ACCESS_DENIED = b"\x05\x21\x00\x00"  # WERROR 0x00002105, little-endian


class Capture(io.StringIO):
    encoding = "utf-8"  # secretsdump rewraps a stdout without an encoding


def patch_secretsdump(raw):
    from impacket.dcerpc.v5 import drsuapi
    from impacket.dcerpc.v5.dtypes import NULL
    from impacket.examples import secretsdump

    original = secretsdump.RemoteOperations.DRSGetNCChanges

    def get_nc_changes(self, user_entry):
        if self._RemoteOperations__drsr is None:
            self._RemoteOperations__connectDrds()
        drsr = self._RemoteOperations__drsr
        real_request, real_recv = drsr.request, drsr.recv

        def recv():
            raw["answer"] = real_recv()
            return raw["answer"]

        def request(req, *args, **kwargs):
            if isinstance(req, drsuapi.DRSGetNCChanges):
                v8 = req["pmsgIn"]["V8"]
                v8["pPartialAttrSet"] = NULL
                v8["PrefixTableDest"]["PrefixCount"] = 0
                v8["PrefixTableDest"]["pPrefixEntry"] = NULL
            return real_request(req, *args, **kwargs)

        drsr.recv, drsr.request = recv, request
        try:
            return original(self, user_entry)
        finally:
            drsr.recv, drsr.request = real_recv, real_request

    secretsdump.RemoteOperations.DRSGetNCChanges = get_nc_changes


def keytab_keys(path):
    """{enctype name: hex key} from `klist -k -e -K` (read here, never printed)."""
    out = subprocess.run(["klist", "-k", "-e", "-K", path], capture_output=True, text=True,
                         check=True).stdout
    keys = {}
    for m in re.finditer(r"\((?:DEPRECATED:)?([a-z0-9-]+)\)\s+\(0x([0-9a-f]+)\)", out):
        keys[m.group(1)] = m.group(2)
    return keys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dc", required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password-file", required=True)
    ap.add_argument("--account", required=True)
    ap.add_argument("--keytab")
    a = ap.parse_args()
    with open(a.password_file) as f:
        password = f.read().strip()

    raw = {}
    patch_secretsdump(raw)
    out = Capture()
    sys.argv = [SECRETSDUMP, "-just-dc-user", "%s/%s" % (a.domain, a.account),
                "%s/%s:%s@%s" % (a.domain, a.user, password, a.dc)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            runpy.run_path(SECRETSDUMP, run_name="__main__")
        except SystemExit:
            pass
    text = out.getvalue()

    if raw.get("answer", b"")[-4:] == ACCESS_DENIED:
        print("denied: WERROR 0x00002105 ERROR_DS_DRA_ACCESS_DENIED")
        return 3
    name = re.escape(a.account)
    got = {}
    m = re.search(r"^%s:\d+:[0-9a-f]{32}:([0-9a-f]{32}):::$" % name, text, re.M | re.I)
    if m:
        got["arcfour-hmac"] = m.group(1)
    for m in re.finditer(r"^%s:([a-z0-9-]+):([0-9a-f]+)$" % name, text, re.M | re.I):
        got[m.group(1)] = m.group(2)
    if not got:
        # Only secretsdump's error lines (they carry no key material).
        errors = [l for l in text.splitlines() if l.startswith("[-]")]
        print("failed: %s" % ("; ".join(errors) or "no keys for %s in the answer" % a.account))
        return 2
    print("replicated: %s" % " ".join(sorted(got)))
    if a.keytab:
        want = keytab_keys(a.keytab)
        bad = [t for t in got if t in want and want[t] != got[t]]
        same = [t for t in got if t in want and want[t] == got[t]]
        if bad or not same:
            print("keytab: MISMATCH %s" % " ".join(sorted(bad) or ["(no common key type)"]))
            return 1
        print("keytab: match %s" % " ".join(sorted(same)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
