#!/bin/bash
# eMAPI's cost per core (issue 18): a half that passes a sealed MAPI response on unwraps it and
# seals it again as its own next PDU. bh-emapi-seal-bench opens a committed capture's session
# (tests/vectors/emapi aes_krb5 and rc4_krb5, with the DC's keytab) from its bind legs and loops
# seal + unwrap of a ReadStream-sized response (31808-byte stub: a 31744-byte RopReadStream in
# its EcDoRpcExt2 framing), in one PDU and in fragments of 5840 bytes (Windows' max_xmit_frag),
# on one thread; memcpy of the same PDU is the same-run baseline, interleaved. Figures: MB/s (10^6 bytes of plain stub) per second of the thread's CPU time, and
# the ratio to memcpy; no pass/fail. Knobs: EMAPI_SEAL_SECONDS (CPU seconds, default 6),
# EMAPI_SEAL_STUB (bytes). Results: build/bench/emapi_seal.json.
out=${1:-build/bench}
top="$(cd "$(dirname "$0")/.." && pwd)"
bin="$top/build/bin"
mkdir -p "$out"
"$bin/bh-emapi-seal-bench" "$top/tests/vectors/emapi" "${EMAPI_SEAL_SECONDS:-6}" \
  "${EMAPI_SEAL_STUB:-31808}" "$out/emapi_seal.json" >/dev/null || exit 1
/usr/bin/python3 - "$out/emapi_seal.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("eMAPI unwrap + re-seal per core, %d-byte stub (memcpy of the same PDU: %.0f MB/s):"
      % (r["stub_bytes"], r["memcpy_mbps"]))
for c in r["cases"]:
    frag = "in %d fragments of <= %d bytes" % (c["pdus_per_response"], c["max_frag"]) if c["max_frag"] else "in one PDU"
    print("  %-9s %-31s %7.1f MB/s = %6.1f Mbit/s (unwrap %.0f, seal %.0f MB/s), %6.0f us/response, %.5f x memcpy  [%s]"
          % (c["case"], frag, c["unwrap_reseal_mbps"], c["unwrap_reseal_mbps"] * 8,
             c["unwrap_mbps"], c["seal_mbps"], c["usec_per_response"], c["ratio_to_memcpy"], c["session"]))
PY
