#!/bin/bash
# Issue 17 acceptance: "while a retrieval runs against a DC that answers slowly, 1,000 other
# flows keep their latency". The core's encryption service has the replication identity (its
# KDC the lab's Samba DC, so Kerberos succeeds) and, as its one DC, an address that accepts TCP
# and never answers (a listener on a second address of the DC's namespace, 10.91.5.78:135): each
# retrieval waits there until timeout_ms, on libuv's thread pool. 1,000 flows client -> edge ->
# core -> server (flowcheck.py, 25 at a time) are measured while two such retrievals run
# (max_retrievals, 2), and with none running just before and just after: p99 with them <= 1.5 x
# the larger p99 without + 250 ms. The slack is the shared machine's: p99 alone measured 190 to
# 460 ms from run to run with nothing changed; a retrieval on the loop thread holds the flows
# for its whole timeout (p99 35 s when tried), and a stall of one second would already show.
# Each retrieval ends named: dc-unreachable at its timeout, the endpoint mapper's silence in the
# detail ("a DC that accepts and never answers"). Uses the machine's one lab DC (RESOURCE_LOCK
# lab_dc).
. "$(dirname "$0")/lib.sh"
TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
CONFIG_DIR="$(cd "$(dirname "$0")/../../config" && pwd)"
SILENT_DC=10.91.5.78
TIMEOUT_MS=15000

lab_up slowdc --ad
D=/run/bhlab/$LAB
A=$D/ad
DC_NS=bh-$LAB-dc
silent=""
trap 'rc=$?; [ -n "$silent" ] && kill "$silent" 2>/dev/null; (exit $rc); cleanup_labs' EXIT

# The silent DC: accepts every connection and holds it, reading nothing, answering nothing.
dev=$(ip -n "$DC_NS" -4 -o addr show | awk '$4 ~ /^10\.91\.5\.1\// { print $2; exit }')
[ -n "$dev" ] || fail "no 10.91.5.1 in $DC_NS"
ip -n "$DC_NS" addr add "$SILENT_DC/24" dev "$dev" || fail "cannot add $SILENT_DC to $DC_NS"
ip netns exec "$DC_NS" /usr/bin/python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 135))
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])
' "$SILENT_DC" >/dev/null 2>&1 &
silent=$!
silent_listening() { [ -n "$(ip netns exec "$DC_NS" ss -Hltn "sport = :135" | grep -F "$SILENT_DC:")" ]; }
wait_for 10 "the silent DC to listen on $SILENT_DC:135" silent_listening

/usr/bin/python3 - "$CONFIG_DIR/lab-core.json" "$D/core-config.json" "$D" "$A" "$SILENT_DC" \
  "$TIMEOUT_MS" <<'PY'
import json, sys
src, dst, d, a, dc, timeout = sys.argv[1:7]
c = json.load(open(src))
c["wan_secure"] = {"store": {"path": f"{d}/core-secure", "key_file": f"{d}/core-store.key"}}
c["encryption_service"] = {"enabled": True, "timeout_ms": int(timeout), "max_retrievals": 2,
  "identities": [{"name": "repl", "domain": "bhlab.test", "principal": "bhrepl",
                  "password_file": f"{a}/bhrepl.password", "domain_controllers": [dc]}]}
json.dump(c, open(dst, "w"), indent=2)
PY
"$BHLAB" restart "$LAB" core >/dev/null || fail "core did not start: $(tail -5 "$D/core.log")"
CTL() { "$BHLAB" ctl "$LAB" core "$@"; }
field() { /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
state() { CTL --json windows-domain diagnostics encryption-service get-key "$1" bhlab.test | field 'j["state"]'; }

in_lab "$LAB" server sh -c "$TOOLS/flowcheck.py server --port 5001 >/dev/null 2>&1 &"
wait_for 20 "the test server to listen on :5001" listening "$LAB" server 5001
# flows NAME [N]: N (1,000) flows of 16 KiB up, 25 at a time; their summary in $D/NAME.json.
flows() {
  in_lab "$LAB" client "$TOOLS/flowcheck.py" client --host 10.91.4.2 --port 5001 --mode up \
    --bytes 16384 --conns "${2:-1000}" --parallel 25 --timeout 60 >"$D/$1.json" ||
    fail "$1: not every flow byte-exact: $(cat "$D/$1.json")"
}
p99() { field 'j["p99_ms"]' <"$D/$1.json"; }

flows warmup 200
flows idle

# Two retrievals (max_retrievals) against the silent DC, both in progress for the whole run.
# get-key is asked in the background: were a retrieval to block the loop, the flows measured
# next would show it (the test's point) rather than this script waiting on the control socket.
t0=$EPOCHREALTIME
pids=()
for h in exch1 exch2; do
  CTL windows-domain diagnostics encryption-service get-key $h.bhlab.test bhlab.test >"$D/$h.getkey" 2>&1 &
  pids+=($!)
done
poll 5 eval '[ -s "$D/exch1.getkey" ] && [ -s "$D/exch2.getkey" ]' || true
flows busy
wait "${pids[@]}"
during=()
for h in exch1 exch2; do during+=("$(state $h.bhlab.test)"); done

# Each retrieval ends at its timeout; then the same flows again with none running.
for h in exch1 exch2; do
  poll $((TIMEOUT_MS / 1000 + 15)) eval '[ "$(state $h.bhlab.test)" != in-progress ]' ||
    fail "the $h retrieval still in progress $((TIMEOUT_MS / 1000 + 15)) s after its timeout"
done
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
flows idle2

# The verdicts, the flows' first (what a retrieval on the loop thread breaks).
busy=$(p99 busy)
idle=$(p99 idle)
idle2=$(p99 idle2)
ref=$(awk -v a="$idle" -v b="$idle2" 'BEGIN { print (a > b ? a : b) }')
awk -v b="$busy" -v i="$ref" 'BEGIN { exit !(b <= 1.5 * i + 250) }' ||
  fail "1,000 flows during the retrievals: p99 $busy ms > 1.5 x $ref ms + 250 ms (without: $idle, $idle2 ms)"
for h in exch1 exch2; do
  grep -qx "Key retrieval is in progress." "$D/$h.getkey" || fail "get-key $h: $(cat "$D/$h.getkey")"
done
[ "${during[*]}" = "in-progress in-progress" ] ||
  fail "the retrievals ended before the flows did (${during[*]}): the measurement is not under them"
pass "1,000 flows while 2 retrievals wait on a silent DC: p99 $busy ms (p50 $(field 'j["p50_ms"]' <"$D/busy.json")); without: p99 $idle ms before, $idle2 ms after"

# Each named: dc-unreachable at its timeout, the endpoint mapper's silence in the detail.
for h in exch1 exch2; do
  j=$(CTL --json windows-domain diagnostics encryption-service get-key $h.bhlab.test bhlab.test)
  [ "$(echo "$j" | field 'j["error"]["reason"]')" = dc-unreachable ] || fail "$h: $j"
  detail=$(echo "$j" | field 'j["error"]["detail"]')
  case "$detail" in *"$SILENT_DC"*"endpoint mapper"*"timed out"*) ;;
    *) fail "$h: the detail does not name the silent endpoint mapper's timeout: $detail" ;; esac
done
awk -v t="$took" -v l="$TIMEOUT_MS" 'BEGIN { exit !(t >= l / 1000 - 1 && t <= l / 1000 + 10) }' ||
  fail "the retrievals ended after $took s, not at their timeout ($TIMEOUT_MS ms)"
pass "a DC that accepts and never answers: dc-unreachable after $took s ($detail; test ${SECONDS} s)"
