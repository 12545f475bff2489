#!/bin/bash
# Issue 7, fault tests: the core is killed (SIGKILL) while outlook-sim opens a 50 MiB
# attachment through the MAPI AO's read-ahead (RTT 100 ms, 10 Mbit/s), and again while it saves
# one. The client must get an error or a reset, never "ok=1" with wrong data, and never hang;
# exchange-sim must not report a partial attachment as stored.
. "$(dirname "$0")/lib.sh"
for b in exchange-sim outlook-sim bridgehead bhctl; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b"
done
CTL() { "$BHLAB" ctl "$LAB" "$@"; }
lab_up mf --rtt 100 --rate 10
D=/run/bhlab/$LAB
SERVER=10.91.4.2
in_lab "$LAB" server sh -c "'$BH_BIN/exchange-sim' --attachment-sizes 50MiB >'$D/sim.log' 2>&1 &"
wait_for 20 "exchange-sim to listen on :135" listening "$LAB" server 135
mapi_value() { # mapi_value PATH: from the edge's --json MAPI statistics
  CTL edge --json show statistics accelerator mapi | /usr/bin/python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}

# run_and_kill NAME OP WHEN-CHECK: starts outlook-sim OP 50MiB, waits until WHEN-CHECK holds,
# kills the core, and waits (bounded) for outlook-sim to end. Sets RC.
run_and_kill() {
  local name=$1 op=$2 check=$3
  in_lab "$LAB" client timeout 300 "$BH_BIN/outlook-sim" --server $SERVER --client-version 2007 \
    --attachment-sizes 50MiB $op 50MiB >"$D/outlook-$name.out" 2>&1 &
  local sim=$! hit=""
  hit_or_ended() { eval "$check" && hit=1 && return 0; gone $sim; }
  poll 120 hit_or_ended
  [ -n "$hit" ] || fail "$name: outlook-sim never got to the point to kill the core: $(cat "$D/outlook-$name.out")"
  kill -0 $sim 2>/dev/null || fail "$name: outlook-sim ended before the core was killed: $(cat "$D/outlook-$name.out")"
  "$BHLAB" kill "$LAB" core || fail "bhlab kill core"
  local t0=$SECONDS
  wait $sim
  RC=$?
  ELAPSED=$((SECONDS - t0))
}

# ---- read-ahead ----------------------------------------------------------------------------
# Mid read-ahead: more than 2 MiB already served from prefetched data.
run_and_kill read open-attachment '[ "$(mapi_value read_ahead_bytes_served_locally 2>/dev/null || echo 0)" -gt 2097152 ]'
out=$(cat "$D/outlook-read.out")
[ $RC -ne 124 ] || fail "read: outlook-sim hung after the core died (killed by timeout after 300 s): $out"
# A dead core whose interception rules drop our packets is noticed by the peer leg's user
# timeout (15 s), not minutes of retransmissions.
[ "$ELAPSED" -le 45 ] || fail "read: outlook-sim learnt of the dead core only after ${ELAPSED}s"
[ $RC -ne 0 ] || fail "read: outlook-sim reported success although the core died mid-transfer: $out"
if grep -q '^op=open-attachment .* ok=1' "$D/outlook-read.out"; then
  fail "read: ok=1 for an attachment whose transfer was cut: $out"
fi
pass "core killed mid read-ahead: outlook-sim exit $RC after ${ELAPSED}s ($(grep -m1 'outlook-sim:' "$D/outlook-read.out" | cut -c1-100))"

# ---- write ---------------------------------------------------------------------------------
"$BHLAB" start "$LAB" core || fail "bhlab start core"
wait_for 30 "the restarted core to answer show statistics accelerator mapi" \
  eval 'CTL core show statistics accelerator mapi >/dev/null 2>&1'
# Mid write: the edge has relayed several MiB of the client's calls to the core.
run_and_kill write save-attachment '[ "$(CTL edge --json show statistics connection detail 2>/dev/null | /usr/bin/python3 -c "
import json, sys
print(max([c[\"bytes\"][\"read_original\"] for c in json.load(sys.stdin)[\"connections\"] if c[\"dest\"].endswith(\":6001\")] or [0]))")" -gt 4194304 ]'
out=$(cat "$D/outlook-write.out")
[ $RC -ne 124 ] || fail "write: outlook-sim hung after the core died (killed by timeout after 300 s): $out"
[ "$ELAPSED" -le 45 ] || fail "write: outlook-sim learnt of the dead core only after ${ELAPSED}s"
[ $RC -ne 0 ] || fail "write: outlook-sim reported success although the core died mid-upload: $out"
if grep -q '^op=save-attachment .* ok=1' "$D/outlook-write.out"; then
  fail "write: ok=1 for an upload whose transfer was cut: $out"
fi
# exchange-sim stores an attachment's bytes only on RopCommitStream (the whole stream at once)
# and answers the 0x7FF00102 hash only for what it stored: with the connection cut before the
# commit, nothing partial can be reported as stored. Its log must not show a crash either.
in_lab "$LAB" server ss -Hltn 'sport = :135' | grep -q . || fail "exchange-sim died: $(tail -3 "$D/sim.log")"
pass "core killed mid upload: outlook-sim exit $RC after ${ELAPSED}s ($(grep -m1 'outlook-sim:' "$D/outlook-write.out" | cut -c1-100))"
