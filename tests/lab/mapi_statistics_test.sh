#!/bin/bash
# Issue 7, the MAPI AO's show commands against running daemons: outlook-sim talks to
# exchange-sim across edge + core, then `show statistics accelerator mapi` prints the seed's
# global block label for label (text) and the same facts with --json, its gauges settle back
# to 0 once the connections are gone, `clear statistics accelerator mapi` resets it, and
# `show accelerator mapi` follows accelerators.mapi.read_optimization / write_optimization
# across a reload, and `debug accelerator mapi` writes its lines for the flows asked for.
. "$(dirname "$0")/lib.sh"
for b in exchange-sim outlook-sim bridgehead bhctl; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b"
done
CTL() { "$BHLAB" ctl "$LAB" "$@"; }
tmp=$(mktemp -d)
# cleanup_labs prints the daemons' logs when the test failed, so it must see the exit status.
trap 'rc=$?; rm -rf "$tmp"; (exit $rc); cleanup_labs' EXIT

# The edge runs a copy of the lab's config (bhlab keeps it as $D/edge-config.json) that the
# test may edit and reload.
cp "$BH_BIN/../config/lab-edge.json" "$tmp/edge.json"
lab_up ms --rtt 20 --edge-config "$tmp/edge.json"
D=/run/bhlab/$LAB
in_lab "$LAB" server sh -c "'$BH_BIN/exchange-sim' --attachment-sizes 1MiB >'$D/sim.log' 2>&1 &"
wait_for 20 "exchange-sim to listen on :135" listening "$LAB" server 135
in_lab "$LAB" client "$BH_BIN/outlook-sim" --server 10.91.4.2 --client-version 2007 \
  open-attachment 1MiB >"$D/outlook.out" 2>&1 || fail "outlook-sim failed: $(tail -5 "$D/outlook.out")"
grep -q '^op=open-attachment .* ok=1' "$D/outlook.out" ||
  fail "outlook-sim content mismatch: $(grep '^op=' "$D/outlook.out")"
pass "outlook-sim open-attachment 1MiB through edge+core"

# Text: the seed's 30 lines, in its order, each "Label:  value".
for node in edge core; do
  CTL $node show statistics accelerator mapi >"$D/mapi-$node.txt" ||
    fail "$node: show statistics accelerator mapi failed"
  /usr/bin/python3 - "$D/mapi-$node.txt" <<'PY' || fail "$node: not the seed's block: $(cat "$D/mapi-$node.txt")"
import re, sys
seed = """Time Accelerator was started
Time Statistics were Last Reset/Cleared
Total Handled Connections
Total Optimized Connections
Total Connections Handed-off with Compression Policies Unchanged
Total Dropped Connections
Current Active Connections
Current Pending Connections
Maximum Active Connections
Number of Synch Get Buffer Requests
Minimum Synch Get Buffer Size (bytes)
Maximum Synch Get Buffer Size (bytes)
Average Synch Get Buffer Size (bytes)
Number of Read Stream Requests
Minimum Read Stream Buffer Size (bytes)
Maximum Read Stream Buffer Size (bytes)
Average Read Stream Buffer Size (bytes)
Minimum Accumulated Read Ahead Data Size (bytes)
Maximum Accumulated Read Ahead Data Size (bytes)
Average Accumulated Read Ahead Data Size (bytes)
Local Response Count
Average Local Response Time (usec)
Remote Response Count
Average Remote Response Time (usec)
Current 2000 Accelerated Sessions
Current 2003 Accelerated Sessions
Current 2007 Accelerated Sessions
Secured Connections
Lower than 2000 Sessions
Higher than 2007 Sessions""".split("\n")
lines = open(sys.argv[1]).read().split("\n")
assert lines[0] == "MAPI:", lines[0]
assert lines[1].strip() == "Global Statistics", lines[1]
body = lines[3:3 + len(seed)]
for want, line in zip(seed, body):
    label, _, value = line.strip().partition(": ")
    assert label == want + ":" or label == want, (want, line)
    value = value.strip()
    if want.startswith("Time "):
        assert re.fullmatch(r"\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}", value), line
    else:
        assert value.isdigit(), line
PY
done
pass "show statistics accelerator mapi: the seed's 30 lines on edge and core"

mapi_json() { CTL "$1" --json show statistics accelerator mapi; }
check_json() { # check_json NODE: keys, types and invariants; prints handled/optimized/active
  mapi_json "$1" | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["accelerator"] == "mapi", j
for k in ["total_handled_connections", "total_optimized_connections",
          "total_handed_off_connections", "total_dropped_connections",
          "current_active_connections", "current_pending_connections",
          "maximum_active_connections", "current_2000_accelerated_sessions",
          "current_2003_accelerated_sessions", "current_2007_accelerated_sessions",
          "secured_connections", "lower_than_2000_sessions", "higher_than_2007_sessions",
          "time_accelerator_started", "time_statistics_last_reset"]:
    assert isinstance(j[k], int) and j[k] >= 0, k
for k in ["synch_get_buffer", "read_stream", "read_ahead_accumulated", "local_response_usec",
          "remote_response_usec"]:
    s = j[k]
    assert s["count"] == 0 or s["min"] <= s["average"] <= s["max"], (k, s)
assert j["current_active_connections"] <= j["maximum_active_connections"], j
assert j["total_handed_off_connections"] == sum(j["handed_off_by_reason"].values()), j
assert j["time_statistics_last_reset"] >= j["time_accelerator_started"], j
print(j["total_handled_connections"], j["total_optimized_connections"],
      j["current_active_connections"] + j["current_pending_connections"])'
}
for node in edge core; do
  out=$(check_json $node) || fail "$node: --json: $(mapi_json $node)"
done
# The connections are gone once outlook-sim is done: the gauges come back to 0.
gauges_settled() { read -r handled optimized current <<<"$(check_json edge)"; [ "$current" = 0 ]; }
poll 20 gauges_settled ||
  fail "edge MAPI gauges stay at $current after the clients left: $(mapi_json edge)"
pass "--json on edge and core: keys, min<=avg<=max, gauges settled (edge handled=$handled optimized=$optimized)"

CTL edge show statistics connection optimized mapi >"$D/conn.txt" ||
  fail "show statistics connection optimized mapi failed"
grep -q "M:MAPI" "$D/conn.txt" || fail "no M:MAPI legend: $(cat "$D/conn.txt")"
CTL edge --json show statistics connection optimized mapi detail >/dev/null ||
  fail "show statistics connection optimized mapi detail --json failed"

out=$(CTL edge clear statistics accelerator mapi) || fail "clear statistics accelerator mapi: $out"
mapi_json edge | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["total_handled_connections"] == 0 and j["read_stream"]["count"] == 0, j
assert j["time_statistics_last_reset"] >= j["time_accelerator_started"], j' ||
  fail "after clear: $(mapi_json edge)"
pass "clear statistics accelerator mapi: $out"

# debug accelerator mapi: the seed's categories, narrowed by `debug connection host`; the lines
# land in the daemon's log, describe structure only, and stop with `no debug all`.
debug_lines() { grep -c 'mapi_ao debug (' "$D/$1.log" || true; }
run_open() {
  in_lab "$LAB" client "$BH_BIN/outlook-sim" --server 10.91.4.2 --client-version 2007 \
    open-attachment 1MiB >"$D/outlook-debug.out" 2>&1 &&
    grep -q '^op=open-attachment .* ok=1' "$D/outlook-debug.out" ||
    fail "outlook-sim with debugging on: $(tail -3 "$D/outlook-debug.out")"
}
out=$(CTL edge debug accelerator mapi ROP-layer Common-flow) || fail "debug accelerator mapi: $out"
out=$(CTL edge debug connection host 10.91.9.9) || fail "debug connection host: $out"
out=$(CTL edge show debugging)
echo "$out" | grep -q '^MAPI accelerator debugging: Common-flow ROP-layer$' || fail "show debugging: $out"
echo "$out" | grep -q '^Debug connections: host 10.91.9.9$' || fail "show debugging: $out"
out=$(CTL edge debug accelerator mapi IO 2>&1) && fail "debug category IO accepted: $out"
before=$(debug_lines edge)
run_open
[ "$(debug_lines edge)" = "$before" ] || fail "debug lines for a flow the host filter excludes"
CTL edge debug connection host 10.91.4.2 >/dev/null || fail "debug connection host server"
CTL core debug accelerator mapi Common-flow >/dev/null || fail "core: debug accelerator mapi"
run_open
grep 'mapi_ao debug (' "$D/edge.log" | tail -n +$((before + 1)) >"$D/debug-edge.txt"
grep -q 'edge ROP-layer: call [0-9]*: RopOpenMessage(in=#0 0x[0-9a-f]*) .*RopOpenStream' "$D/debug-edge.txt" ||
  fail "no ROP-layer line for the open call: $(head -5 "$D/debug-edge.txt")"
grep -q 'edge ROP-layer: call [0-9]*: RopReadStream(in=#0 0x' "$D/debug-edge.txt" ||
  fail "no ROP-layer line for a read"
grep -q 'edge Common-flow: call [0-9]* answered locally from read-ahead' "$D/debug-edge.txt" ||
  fail "no Common-flow line for a local answer: $(grep Common-flow "$D/debug-edge.txt" | head -3)"
grep -q 'edge DCERPC-layer' "$D/debug-edge.txt" && fail "DCERPC-layer lines while it is off"
grep -q 'mapi_ao debug ([0-9]*) core Common-flow: read-ahead [0-9]* (ReadStream, 31744 bytes a call)' "$D/core.log" ||
  fail "core: no read-ahead start line"
/usr/bin/python3 - "$D/debug-edge.txt" <<'PY' || fail "a debug line is not short printable text"
import sys
for line in open(sys.argv[1], "rb"):
    assert all(0x20 <= b < 0x7f for b in line.rstrip(b"\n")), line[:120]
    assert len(line) < 400, line[:120]
PY
n=$(wc -l <"$D/debug-edge.txt")
# The same lines read the seed's way: `type-tail errorlog/mapiao-errorlog.current [LINES|follow]`.
tail5=$(CTL edge type-tail errorlog/mapiao-errorlog.current 5) || fail "type-tail: $tail5"
[ "$(echo "$tail5" | wc -l)" = 5 ] || fail "type-tail 5 gave: $tail5"
echo "$tail5" | grep -vqE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} \([0-9]+\) edge (ROP-layer|Common-flow): ' &&
  fail "type-tail line shape: $tail5"
[ "$(echo "$tail5" | tail -1 | cut -d' ' -f3-)" = "$(tail -1 "$D/debug-edge.txt" | sed 's/.*mapi_ao debug //')" ] ||
  fail "type-tail's last line is not the log's: $(echo "$tail5" | tail -1)"
out=$(CTL edge type-tail tfo_log 2>&1) && fail "type-tail of an unknown log accepted: $out"
logged=$(debug_lines edge)
# follow prints the last 10 lines, then each new one as it is logged; it runs until stopped
# (timeout: a bound should the test die on the way).
timeout 120 "$BHLAB" ctl "$LAB" edge type-tail mapiao-errorlog follow >"$D/follow.txt" 2>&1 &
fpid=$!
wait_for 20 "type-tail follow to print the last 10 lines" eval '[ "$(wc -l <"$D/follow.txt")" -ge 10 ]'
run_open
# The open's flows are gone (no more lines for them), then every line the daemon logged since
# follow started reaches it: the log's count first, then the follower's.
poll 20 gauges_settled || fail "edge MAPI connections stay open after outlook-sim ended: $current"
follow_caught_up() {
  new=$(( $(debug_lines edge) - logged ))
  [ "$new" -gt 0 ] && [ "$(wc -l <"$D/follow.txt")" -ge $((10 + new)) ]
}
poll 20 follow_caught_up ||
  fail "type-tail follow: $(wc -l <"$D/follow.txt") lines, want 10 + $new: $(tail -3 "$D/follow.txt")"
kill "$fpid" 2>/dev/null; wait "$fpid" 2>/dev/null
new=$(( $(debug_lines edge) - logged ))
[ "$(wc -l <"$D/follow.txt")" = $((10 + new)) ] ||
  fail "type-tail follow: $(wc -l <"$D/follow.txt") lines, want 10 + $new: $(tail -3 "$D/follow.txt")"
grep -q 'edge Common-flow: call [0-9]* answered locally from read-ahead' "$D/follow.txt" ||
  fail "type-tail follow missed the open's lines"
out=$(CTL edge no debug all) || fail "no debug all: $out"
CTL core no debug all >/dev/null
after=$(debug_lines edge)
run_open
[ "$(debug_lines edge)" = "$after" ] || fail "debug lines after no debug all"
pass "debug accelerator mapi: $n edge lines for one open (ROP-layer, Common-flow), host filter, type-tail (last 5; follow: 10 + $new), no debug all"

# show accelerator mapi: Read/Write optimization items, and they follow the configuration.
show=$(CTL edge show accelerator mapi) || fail "show accelerator mapi failed"
echo "$show" | grep -qE '^mapi +Yes +Enabled +(Running|Shutdown)$' || fail "state row: $show"
echo "$show" | grep -qE '^Read optimization +User +enabled$' || fail "read optimization: $show"
echo "$show" | grep -qE '^Write optimization +User +enabled$' || fail "write optimization: $show"
/usr/bin/python3 - "$D/edge-config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["accelerators"]["mapi"]["write_optimization"] = False
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
out=$(CTL edge reload) || fail "reload refused: $out"
show=$(CTL edge show accelerator mapi)
echo "$show" | grep -qE '^Read optimization +User +enabled$' || fail "after reload, read: $show"
echo "$show" | grep -qE '^Write optimization +User +disabled$' || fail "after reload, write: $show"
CTL edge --json show accelerator mapi | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
assert j["read_optimization"] is True and j["write_optimization"] is False, j' ||
  fail "--json show accelerator mapi after reload"
pass "show accelerator mapi: Read/Write optimization items follow accelerators.mapi (reload)"
