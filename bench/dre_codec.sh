#!/bin/bash
# The generic accelerator's codec, per core: DRE+LZ encode+decode throughput on a cold and a
# warm cache, and its reduction against zstd --long alone on the same generated data (one run,
# bh-dre-bench). Plus the LZ choice measured: zstd vs lz4 speed and ratio on the same data.
# Issue 5 goal: >= 2 Gbit/s per core of original data on a warm cache.
out=${1:-build/bench}
bin="$(cd "$(dirname "$0")/../build/bin" && pwd)"
"$bin/bh-dre-bench" 64 "$out/dre.json" >/dev/null || exit 1
/usr/bin/python3 - "$out/dre.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
warm = r["warm"]["roundtrip_mbps"]
print("DRE+LZ per core (encode+decode): cold %.0f MB/s, warm %.0f MB/s = %.2f Gbit/s (goal 2);"
      " warm encode alone %.0f MB/s" % (r["cold"]["roundtrip_mbps"], warm, warm * 8 / 1000,
                                        r["warm"]["encode_mbps"]))
print("reduction: first pass DRE+LZ %.1f %% vs zstd --long %.1f %%; over two passes %.1f %% vs %.1f %%"
      % (100 * r["cold"]["reduction"], 100 * r["zstd_ldm"]["reduction"],
         100 * r["two_pass_reduction"], 100 * r["zstd_ldm"]["two_pass_reduction"]))
PY
tmp=$(mktemp); "$bin/bh-corpus" $((64 << 20)) 3 >"$tmp"
lzcmp() { # name cmd...: compressed bytes and seconds
  local t0 t1 n
  t0=$(date +%s.%N); n=$("${@:2}" <"$tmp" | wc -c); t1=$(date +%s.%N)
  awk -v name="$1" -v n="$n" -v a="$t0" -v b="$t1" -v o=$((64 << 20)) \
    'BEGIN { printf "%s: ratio %.2f, %.0f MB/s\n", name, o / n, o / (b - a) / 1e6 }'
}
{ lzcmp "zstd -1" zstd -1 -c -q; lzcmp "zstd -3" zstd -3 -c -q
  command -v lz4 >/dev/null && lzcmp "lz4 -1" lz4 -1 -c -q; } | tee "$out/lz_choice.txt"
rm -f "$tmp"
