#!/bin/bash
# Issue 20, the Prometheus listener against running daemons (lab shipm*): the edge's
# metrics.listen answers scrapes that `promtool check metrics` accepts while a MAPI workload
# runs; once the workload is over and the counters are quiet, the scrape's MAPI samples equal
# `show statistics accelerator mapi --json` taken between two identical scrapes (the map is
# tests/vectors/metrics/mapi_json_to_metrics.json); and a scraper that opens 1,000 connections
# and never reads does not stop the flows: a MAPI workload through the edge completes
# byte-exact while they are held, and the control socket answers.
. "$(dirname "$0")/lib.sh"
SRC=${BH_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
for b in exchange-sim outlook-sim bridgehead bhctl; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b"
done
command -v promtool >/dev/null || fail "promtool missing (apt-get install prometheus)"
CTL() { "$BHLAB" ctl "$LAB" "$@"; }
tmp=$(mktemp -d)
trap 'rc=$?; jobs -p | xargs -r kill 2>/dev/null; rm -rf "$tmp"; (exit $rc); cleanup_labs' EXIT

PORT=9464
/usr/bin/python3 - "$BH_BIN/../config/lab-edge.json" "$tmp/edge.json" "$PORT" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["metrics"] = {"listen": "127.0.0.1:" + sys.argv[3]}
json.dump(c, open(sys.argv[2], "w"), indent=1)
PY
lab_up shipm --rtt 20 --rate 20 --edge-config "$tmp/edge.json"
D=/run/bhlab/$LAB
scrape() { in_lab "$LAB" edge curl -sS --max-time 5 "http://127.0.0.1:$PORT/metrics"; }
wait_for 20 "the edge's metrics listener" eval 'scrape >/dev/null 2>&1'
pass "edge answers on 127.0.0.1:$PORT/metrics"

in_lab "$LAB" server sh -c "'$BH_BIN/exchange-sim' --attachment-sizes 8MiB >'$D/sim.log' 2>&1 &"
wait_for 20 "exchange-sim to listen on :135" listening "$LAB" server 135

# Scrapes during the workload: 8 MiB at 20 Mbit/s takes about 3 s.
in_lab "$LAB" client "$BH_BIN/outlook-sim" --server 10.91.4.2 --client-version 2007 \
  --hold "$D/release" open-attachment 8MiB >"$D/outlook.out" 2>&1 &
n=0 during=0
while ! grep -q '^op=' "$D/outlook.out" 2>/dev/null; do
  n=$((n + 1))
  scrape >"$tmp/scrape.$n" 2>&1 || fail "scrape $n failed: $(cat "$tmp/scrape.$n")"
  if grep -q '^bridgehead_mapi_active_connections [1-9]' "$tmp/scrape.$n"; then
    during=$((during + 1))
    out=$(promtool check metrics <"$tmp/scrape.$n" 2>&1) ||
      fail "promtool check metrics refused scrape $n: $out"
    [ -z "$out" ] || fail "promtool check metrics on scrape $n: $out"
  fi
  [ $n -lt 300 ] || fail "outlook-sim did not finish: $(tail -3 "$D/outlook.out")"
  sleep 0.2  # a scraper's interval, not a wait for a condition
done
grep -q '^op=open-attachment .* ok=1' "$D/outlook.out" || fail "outlook-sim: $(cat "$D/outlook.out")"
[ $during -ge 1 ] || fail "no scrape saw an active MAPI connection ($n scrapes)"
pass "promtool check metrics accepts $during scrapes taken while MAPI connections were active ($(grep -c '^# TYPE' "$tmp/scrape.1") families)"
touch "$D/release"
wait

# Quiet: the session is gone, the MAPI gauges settle. Then json between two identical scrapes.
mapi_quiet() {
  CTL edge --json show statistics accelerator mapi >"$tmp/j" 2>/dev/null &&
    /usr/bin/python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(j["current_active_connections"] + j["current_pending_connections"] != 0)' "$tmp/j"
}
wait_for 30 "the edge's MAPI gauges to settle" mapi_quiet
same=0
for try in 1 2 3 4 5; do
  scrape >"$tmp/s1"
  CTL edge --json show statistics accelerator mapi >"$tmp/json"
  scrape >"$tmp/s2"
  if diff <(grep '^bridgehead_mapi_' "$tmp/s1") <(grep '^bridgehead_mapi_' "$tmp/s2") >/dev/null; then
    same=1; break
  fi
done
[ $same = 1 ] || fail "the MAPI samples kept changing between scrapes"
/usr/bin/python3 - "$tmp/s2" "$tmp/json" "$SRC/tests/vectors/metrics/mapi_json_to_metrics.json" <<'PY' || fail "scrape and show statistics accelerator mapi --json differ"
import json, sys
samples = {}
for line in open(sys.argv[1]):
    if line.startswith("#") or not line.strip():
        continue
    name, _, value = line.strip().rpartition(" ")
    samples[name] = float(value)
j = json.load(open(sys.argv[2]))
m = json.load(open(sys.argv[3]))["map"]
def flat(d, p=""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from flat(v, p + k + ".")
        else:
            yield p + k, v
bad, n = [], 0
for key, value in flat(j):
    if key == "accelerator":
        continue
    if key not in m:
        bad.append("json figure %s has no sample" % key); continue
    e = m[key]
    if "derived" in e:
        continue
    want = value * e.get("scale", 1)
    got = samples.get(e["sample"])
    n += 1
    if got is None or abs(got - want) > 1e-9 * max(1, abs(want)):
        bad.append("%s = %s but %s = %s" % (key, value, e["sample"], got))
if j["total_optimized_connections"] < 1:
    bad.append("no optimized MAPI connection: the workload was not accelerated")
for b in bad:
    print(b, file=sys.stderr)
print(n)
sys.exit(1 if bad else 0)
PY
pass "quiet edge: every MAPI figure of show statistics accelerator mapi --json equals its sample"

# A hostile scraper: 1,000 connections to the listener, a request on each, nothing ever read.
cat >"$tmp/hostile.py" <<'PY'
import os, resource, socket, sys, time
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
port, flag = int(sys.argv[1]), sys.argv[2]
socks = []
for i in range(1000):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    try:
        s.connect(("127.0.0.1", port))
        s.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    except OSError:
        pass
    socks.append(s)
print("opened", len(socks), flush=True)
while not os.path.exists(flag):
    time.sleep(0.1)
PY
in_lab "$LAB" edge /usr/bin/python3 "$tmp/hostile.py" "$PORT" "$tmp/hostile.done" >"$tmp/hostile.out" 2>&1 &
wait_for 120 "the hostile scraper's 1,000 connections" grep -q '^opened 1000' "$tmp/hostile.out"
start=$EPOCHREALTIME
in_lab "$LAB" client "$BH_BIN/outlook-sim" --server 10.91.4.2 --client-version 2007 \
  open-attachment 8MiB >"$D/outlook2.out" 2>&1 || fail "outlook-sim under the hostile scraper: $(tail -3 "$D/outlook2.out")"
grep -q '^op=open-attachment .* ok=1' "$D/outlook2.out" ||
  fail "open-attachment under the hostile scraper: $(cat "$D/outlook2.out")"
secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
CTL edge show statistics connection >/dev/null || fail "the control socket did not answer"
# The listener holds at most its cap (16) of them at once; the rest were reset or answered.
held=$(in_lab "$LAB" edge ss -Htn state established "( sport = :$PORT )" | wc -l)
[ "$held" -le 16 ] || fail "the daemon holds $held scraper connections (cap 16)"
touch "$tmp/hostile.done"
wait
wait_for 20 "a scrape after the hostile scraper left" eval 'scrape >/dev/null 2>&1'
pass "1,000 never-reading scraper connections: open-attachment 8MiB byte-exact in ${secs} s, control socket answered, $held held by the listener"
