#!/bin/bash
# Issue 15, item 3: the box's memory budget in the lab. Many MAPI read-aheads at once (mapi-swarm:
# 12 sessions each open a 10 MiB stream and read one chunk, so each bulk connection's 4 MiB
# read-ahead window fills at the edge and stays there) against an edge whose budget is 8 MiB:
#  - with the budget, what the edge buffers settles under the budget (the largest holders are
#    reset, new flows pass through above the high watermark), counted in
#    `show statistics memory`, and every transfer that completed was byte-exact;
#  - the same run with the budget as large as the machine's memory (a reload) settles far above
#    8 MiB: the first part would fail without the budget.
. "$(dirname "$0")/lib.sh"
TMP=$(mktemp -d /tmp/bh-membudget.XXXXXX)
swarm=""
cleanup() {
  local rc=$?
  [ -n "$swarm" ] && kill -TERM "$swarm" 2>/dev/null
  rm -rf "$TMP"
  (exit $rc)
  cleanup_labs
}
trap cleanup EXIT
for b in exchange-sim outlook-sim mapi-swarm; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b"
done
BUDGET_MB=8
SESSIONS=12

/usr/bin/python3 - "$BH_BIN/../config/lab-edge.json" "$TMP/edge.json" "$BUDGET_MB" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["limits"].update({"memory_budget_mb": int(sys.argv[3])})
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
lab_up mb --edge-config "$TMP/edge.json"
D=/run/bhlab/$LAB
CTL() { "$BHLAB" ctl "$LAB" "$@"; }
memory() { CTL edge show statistics memory --json; }
field() { /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

sizes="10MiB,256KiB"
in_lab "$LAB" server sh -c "'$BH_BIN/exchange-sim' --attachment-sizes $sizes >'$D/sim.log' 2>&1 &"
wait_for 20 "exchange-sim to listen on :6001" listening "$LAB" server 6001
# Warm-up: the EPM AO learns the EMSMDB port, so the swarm's connections are accelerated.
in_lab "$LAB" client "$BH_BIN/outlook-sim" --server 10.91.4.2 --client-version 2007 \
  --attachment-sizes "$sizes" open-attachment 256KiB >"$D/warmup.out" 2>&1 ||
  fail "warm-up: $(tail -3 "$D/warmup.out")"
grep -q ' ok=1' "$D/warmup.out" || fail "warm-up not byte-exact: $(cat "$D/warmup.out")"
b=$(memory | field "['budget_bytes']")
[ "$b" = $((BUDGET_MB << 20)) ] || fail "the edge's budget is $b bytes, want $((BUDGET_MB << 20))"

# run LABEL: one swarm through its phases (open, work, read-ahead); while the read-ahead windows
# are held, waits for what the edge buffers to settle and records it; then lets the swarm close.
run() {
  local label=$1 line held last=-1 stable=0
  rm -f "$TMP/swarm.out"
  mkfifo "$TMP/swarm.out"
  "$BHLAB" exec "$LAB" client "$BH_BIN/mapi-swarm" --server 10.91.4.2 \
    --connections $((SESSIONS * 3)) --client-version 2007 --attachment-sizes "$sizes" \
    --work-size 256KiB --read-ahead-size 10MiB --read-ahead-sessions "$SESSIONS" --threads 4 \
    >"$TMP/swarm.out" 2>"$D/$label.swarm.err" &
  swarm=$!
  exec 3<"$TMP/swarm.out"
  for p in open work read-ahead; do
    IFS= read -r -t 300 line <&3 || fail "$label: mapi-swarm said nothing for $p: $(tail -3 "$D/$label.swarm.err")"
    echo "$line" >>"$D/$label.swarm.out"
    # The budget may reset read-ahead connections while their first chunk is on its way.
    case "$line" in
      "phase=$p ready"*) ;;
      "phase=read-ahead failed"*) [ "$label" = budget ] || fail "$label: mapi-swarm: $line" ;;
      *) fail "$label: mapi-swarm: $line: $(tail -3 "$D/$label.swarm.err")" ;;
    esac
    [ $p = read-ahead ] || kill -USR1 "$swarm"
  done
  # The windows fill over the LAN in well under a second; settled = the same figure on five
  # samples 0.2 s apart (the budget samples every 0.1 s).
  settled() {
    held=$(memory | field "['buffered_bytes']")
    if [ "$held" = "$last" ]; then stable=$((stable + 1)); else stable=0; fi
    last=$held
    [ $stable -ge 5 ]
  }
  wait_for 60 "what the edge buffers to settle ($label)" eval 'sleep 0.2; settled'
  memory >"$D/$label.memory.json"
  kill -USR1 "$swarm"
  IFS= read -r -t 300 line <&3 && echo "$line" >>"$D/$label.swarm.out"
  wait "$swarm"
  swarm=""
  exec 3<&-
  echo "$held"
}

held=$(run budget) || exit 1
j=$(cat "$D/budget.memory.json")
reset=$(echo "$j" | field "['reset_flows']")
refused=$(echo "$j" | field "['refused_flows']")
peak=$(echo "$j" | field "['peak_buffered_bytes']")
[ "$held" -le $((BUDGET_MB << 20)) ] ||
  fail "with a budget of $BUDGET_MB MiB the edge still buffers $held bytes: $j"
[ $((reset + refused)) -gt 0 ] || fail "the budget neither reset nor refused a flow: $j"
grep -q "memory budget" "$D/edge.log" || fail "nothing in the edge's log about the budget"
# Every transfer that completed is byte-exact: the swarm checks every byte it reads (the work
# phase read a whole attachment on every session and said ready); a session the budget reset
# fails with the reset, never with other bytes.
grep -q '^phase=work ready' "$D/budget.swarm.out" || fail "work phase: $(cat "$D/budget.swarm.out")"
! grep -q 'differs' "$D/budget.swarm.err" ||
  fail "a transfer was not byte-exact: $(grep differs "$D/budget.swarm.err" | head -3)"
pass "budget $BUDGET_MB MiB, $SESSIONS read-aheads of 4 MiB: the edge settles at $held bytes (peak sample $peak), $reset flows reset, $refused refused"

# The same with the budget as large as the machine: it must settle far above the small budget,
# or the first part proved nothing.
/usr/bin/python3 - "$D/edge-config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["limits"]["memory_budget_mb"] = 0
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
CTL edge reload >/dev/null || fail "reload refused"
held_off=$(run nobudget) || exit 1
[ "$held_off" -gt $((BUDGET_MB << 20)) ] ||
  fail "without the small budget the edge buffers only $held_off bytes: the read-aheads did not fill, so the budgeted run proved nothing"
grep -q '^phase=closed .* failed=0' "$D/nobudget.swarm.out" ||
  fail "without the budget sessions failed: $(tail -2 "$D/nobudget.swarm.out")"
pass "without the small budget the same read-aheads hold $held_off bytes at the edge, every session byte-exact"
