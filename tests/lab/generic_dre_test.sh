#!/bin/bash
# Issue 5 acceptance in the lab: DRE+LZ between edge and core. The same 100 MiB sent twice
# (second send <= 2 % on the WAN); 1 % edits (<= 0.5 x zstd --long -3 of the same stream,
# measured here); restarting either peer keeps the reduction; a corrupted cache never yields a
# wrong byte. Every send is checked byte-exact by SHA-256 at the server.
. "$(dirname "$0")/lib.sh"
TOOLS="$(cd "$(dirname "$0")/tools" && pwd)"
SIZE=$((100 << 20))

lab_up gd
D=/run/bhlab/$LAB
in_lab "$LAB" server sh -c "$TOOLS/flowcheck.py server --port 5001 >/dev/null 2>&1 &"
wait_for 20 "the test server to listen on :5001" listening "$LAB" server 5001
"$BH_BIN/bh-corpus" $SIZE 1 >"$D/a.bin"
"$BH_BIN/bh-corpus" $SIZE 1 10 2 >"$D/b.bin"
zstd_b=$(zstd --long -3 -c -q "$D/b.bin" | wc -c)

dre_json() { "$BHLAB" ctl "$LAB" edge --json show statistics dre; }
wan_written() { dre_json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["wan_bytes_written"])'; }
ended() { dre_json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ended_optimized_flows"])'; }

# send FILE -> prints the WAN bytes the edge wrote for it
send() {
  local before n0
  before=$(wan_written); n0=$(ended)
  in_lab "$LAB" client "$TOOLS/sendfile.py" "$1" 10.91.4.2 5001 >/dev/null || return 1
  # The flow's counters are final once it has ended.
  poll 30 eval '[ "$(ended)" -gt "$n0" ]' || { echo "send: the flow did not end at the edge" >&2; return 1; }
  echo $(( $(wan_written) - before ))
}

w0=$(send "$D/a.bin") || fail "first send not byte-exact"
pass "first send of 100 MiB: $w0 WAN bytes (cold cache, LZ only helps)"
w1=$(send "$D/a.bin") || fail "second send not byte-exact"
[ "$w1" -le $((SIZE * 2 / 100)) ] || fail "second send $w1 WAN bytes > 2 % of $SIZE"
pass "second send: $w1 WAN bytes = $(awk -v a=$w1 -v b=$SIZE 'BEGIN{printf "%.3f", 100*a/b}') % of original"
w2=$(send "$D/b.bin") || fail "edited send not byte-exact"
[ "$w2" -le $((zstd_b / 2)) ] || fail "1 % edits: $w2 WAN bytes > 0.5 x zstd --long -3 ($zstd_b)"
pass "1 % edits: $w2 WAN bytes vs zstd --long -3 $zstd_b ($(awk -v a=$w2 -v b=$zstd_b 'BEGIN{printf "%.3f", a/b}') x)"

for node in edge core; do
  "$BHLAB" restart "$LAB" $node || fail "restart $node"
  w=$(send "$D/a.bin") || fail "send after restarting the $node not byte-exact"
  [ "$w" -le $((SIZE * 2 / 100)) ] || fail "after restarting the $node: $w WAN bytes > 2 %"
  pass "after restarting the $node: $w WAN bytes (still reduced, byte-exact)"
done

# Corrupt the core's (receiver's) cache on disk while it is down: flip bytes all over its
# segments. The next send must be byte-exact (chunks re-sent) or fail loudly, never wrong.
"$BHLAB" stop "$LAB" core
segs=$(ls "$D"/core/dre/*.seg 2>/dev/null | wc -l)
[ "$segs" -ge 1 ] || fail "the core has no cache segments to corrupt"
/usr/bin/python3 - "$D"/core/dre/*.seg <<'PY'
import os, random, sys
random.seed(5)
for path in sys.argv[1:]:
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        for _ in range(max(1, size // 65536)):
            f.seek(random.randrange(size)); b = f.read(1); f.seek(-1, 1)
            f.write(bytes([b[0] ^ 0x5A]))
PY
"$BHLAB" start "$LAB" core || fail "core did not start on a corrupted cache"
if w=$(send "$D/a.bin"); then
  pass "corrupted core cache: send byte-exact ($w WAN bytes: damaged chunks were re-sent)"
else
  pass "corrupted core cache: the flow was reset (no wrong byte delivered)"
fi
grep -qiE "corrupt|checksum|crc|damaged" "$D/core.log" || fail "the core did not log the corruption"
pass "corruption logged: $(grep -iE -m1 "corrupt|checksum|crc|damaged" "$D/core.log" | cut -c1-140)"
w=$(send "$D/a.bin") || fail "send after recovery not byte-exact"
pass "after recovery: byte-exact, $w WAN bytes"
rm -f "$D/a.bin" "$D/b.bin"
