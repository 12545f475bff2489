#!/bin/bash
# Issue 7, the MAPI AO's hand-off cases through edge + core (RTT 20 ms), exchange-sim on the
# server; each case checks the edge's `show statistics accelerator mapi --json` counters, its
# log and the connection's Accel letters / hand-off reason in `show statistics connection
# detail`:
#   a. NTLM bind at privacy and at integrity level (impacket) -> Encrypted, the seed's
#      %...-3-132104 "Encrypted connection. Client IP" line, Secured Connections; the bytes
#      pass unchanged (captures on the client and on the server compared), Accel G, not M.
#   b. NTLM bind at connect level (outlook-sim --auth ntlm) -> Ntlm, "NTLM" in the log; the
#      workload completes byte-exact.
#   c. Outlook 97 (8.x) and a client above the known range (17.x) -> UnsupportedClient; the
#      workload completes byte-exact.
#   e. overload (accelerators.mapi.max_connections lowered by a reload): the session's other
#      connections go to the generic AO and count as escaped; with the group reserve they don't.
#   d. bytes that are no DCE/RPC PDU mid-session -> every MAPI connection of that client to
#      that server reset, "unrecoverable parse error", ParseError counted, reconnects generic
#      at once (G, parse-error) and byte-exact. Last: the generic window lasts 30 minutes.
. "$(dirname "$0")/lib.sh"
for b in exchange-sim outlook-sim bridgehead bhctl; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b"
done
command -v tshark >/dev/null || fail "tshark is needed to compare the bytes on both sides"
/usr/bin/python3 -c 'import impacket' 2>/dev/null || fail "python3-impacket is needed"
PROBE="$(cd "$(dirname "$0")" && pwd)/tools/mapi_probe.py"
CTL() { "$BHLAB" ctl "$LAB" "$@"; }
tmp=$(mktemp -d)
trap 'rc=$?; rm -rf "$tmp"; (exit $rc); cleanup_labs' EXIT

cp "$BH_BIN/../config/lab-edge.json" "$tmp/edge.json"
lab_up mh --rtt 20 --edge-config "$tmp/edge.json"
D=/run/bhlab/$LAB
SERVER=10.91.4.2

start_sim() { # start_sim ARGS...: (re)start exchange-sim with ARGS
  stop_sim
  in_lab "$LAB" server sh -c "'$BH_BIN/exchange-sim' --attachment-sizes 1MiB,10MiB $* \
    >>'$D/sim.log' 2>&1 & echo \$! >'$D/sim.pid'"
  poll 20 eval 'listening "$LAB" server 135 && listening "$LAB" server 6001' ||
    fail "exchange-sim $* did not start: $(tail -3 "$D/sim.log")"
}
stop_sim() {
  [ -f "$D/sim.pid" ] || return 0
  kill "$(cat "$D/sim.pid")" 2>/dev/null
  rm -f "$D/sim.pid"
  wait_for 20 "the stopped exchange-sim to leave :135" eval '! listening "$LAB" server 135'
}
OUTLOOK() { in_lab "$LAB" client "$BH_BIN/outlook-sim" --server $SERVER --attachment-sizes 1MiB,10MiB "$@"; }

mapi_json() { CTL edge --json show statistics accelerator mapi; }
# counter SNAPSHOT PATH: a value of a saved --json snapshot ("handed_off_by_reason.ntlm").
counter() {
  /usr/bin/python3 -c '
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[k]
print(v)' "$1" "$2"
}
snap() { mapi_json >"$D/mapi-$1.json" || fail "show statistics accelerator mapi --json"; }
# delta FROM TO PATH
delta() { echo $(($(counter "$D/mapi-$2.json" "$3") - $(counter "$D/mapi-$1.json" "$3"))); }

# conn_by_port PORT: the edge's detail record of the client's connection from PORT (JSON).
conn_by_port() {
  CTL edge --json show statistics connection detail | /usr/bin/python3 -c '
import json, sys
for c in json.load(sys.stdin)["connections"]:
    if c["source"].endswith(":" + sys.argv[1]) and c["connection_type"] == "EXTERNAL CLIENT":
        print(json.dumps(c)); break' "$1"
}

# watch_flows OUT: until the file $D/stop-watch exists, samples the edge's connections to
# :6001 and appends "port accel state mapi-reason pass-through-reason" lines to OUT.
watch_flows() {
  local out=$1
  rm -f "$D/stop-watch"
  while [ ! -f "$D/stop-watch" ]; do
    CTL edge --json show statistics connection detail 2>/dev/null | /usr/bin/python3 -c '
import json, sys
for c in json.load(sys.stdin)["connections"]:
    if c["dest"].endswith(":6001") and c["connection_type"] == "EXTERNAL CLIENT":
        m = c.get("mapi") or {}
        print(c["source"].rsplit(":", 1)[1], c["accel"] or "-", c["state"].replace(" ", "_"),
              m.get("hand_off_reason") or "-", c["pass_through_reason"].replace(" ", "_"))' >>"$out"
    sleep 0.2 # the sampling period: this samples while outlook-sim runs, it asserts nothing
  done
}
# run_watched OUTFILE OUTLOOK-ARGS...: outlook-sim with the flows sampled meanwhile.
run_watched() {
  local name=$1; shift
  : >"$D/flows-$name.txt"
  watch_flows "$D/flows-$name.txt" &
  local w=$!
  OUTLOOK "$@" >"$D/outlook-$name.out" 2>&1
  local rc=$?
  touch "$D/stop-watch"; wait $w
  sort -u "$D/flows-$name.txt" -o "$D/flows-$name.txt"
  return $rc
}
ok_line() { # ok_line NAME OP: outlook-sim succeeded with ok=1 for OP
  grep -q "^op=$2 .* ok=1" "$D/outlook-$1.out" ||
    fail "$1: outlook-sim $2 not byte-exact: $(cat "$D/outlook-$1.out")"
}

cap_start() { # cap_start NODE NAME: capture TCP port 6001 on NODE
  in_lab "$LAB" "$1" sh -c "tshark -i any -f 'tcp port 6001' -w '$D/$2.pcap' >'$D/$2.tshark' 2>&1 \
    & echo \$! >'$D/$2.tpid'"
  poll 20 grep -q "Capturing on" "$D/$2.tshark" || fail "tshark on $1 did not start: $(cat "$D/$2.tshark")"
}
cap_stop() {
  local p; p=$(cat "$D/$1.tpid"); kill -INT "$p" 2>/dev/null
  wait_for 20 "tshark ($1) to stop" gone "$p"
}

# ---- a. privacy and integrity binds --------------------------------------------------------
for level in privacy integrity; do
  start_sim --auth ntlm --level $level
  snap a0-$level
  cap_start client cl-$level
  cap_start server sv-$level
  rm -f "$D/hold-$level"
  in_lab "$LAB" client /usr/bin/python3 "$PROBE" auth-bind $SERVER --level $level \
    --hold "$D/hold-$level" >"$D/probe-$level.out" 2>&1 &
  probe=$!
  wait_for 30 "the $level probe's bind" grep -q "^call=\|^bind=error" "$D/probe-$level.out"
  grep -q "^bind=" "$D/probe-$level.out" || fail "$level: probe: $(cat "$D/probe-$level.out")"
  port=$(sed -n 's/^port=//p' "$D/probe-$level.out")
  conn=$(conn_by_port "$port")
  [ -n "$conn" ] || fail "$level: no edge connection from port $port"
  echo "$conn" | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)
assert "G" in c["accel"] and "M" not in c["accel"], c["accel"]
assert c["accelerator"]["hand_off_reason"] == "encrypted", c["accelerator"]
assert c["mapi"]["hand_off_reason"] == "encrypted" and c["mapi"]["secured"] is True, c["mapi"]' ||
    fail "$level: the held connection is not a generic, encrypted hand-off: $conn"
  accel=$(echo "$conn" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["accel"])')
  touch "$D/hold-$level"; wait $probe
  # The connection's close has crossed to the server: both captures hold its end both ways.
  wait_for 30 "the $level connection's close in the client's capture" capture_closed "$D/cl-$level.pcap" 6001
  wait_for 30 "the $level connection's close in the server's capture" capture_closed "$D/sv-$level.pcap" 6001
  cap_stop cl-$level; cap_stop sv-$level
  /usr/bin/python3 "$PROBE" cmp-pcaps "$D/cl-$level.pcap" "$D/sv-$level.pcap" 6001 \
    >"$D/cmp-$level.txt" || fail "$level: bytes differ between client and server: $(cat "$D/cmp-$level.txt")"
  snap a1-$level
  [ "$(delta a0-$level a1-$level handed_off_by_reason.encrypted)" = 1 ] ||
    fail "$level: encrypted hand-offs: $(cat "$D/mapi-a1-$level.json")"
  [ "$(delta a0-$level a1-$level secured_connections)" = 1 ] ||
    fail "$level: secured connections: $(cat "$D/mapi-a1-$level.json")"
  line=$(grep "132104" "$D/edge.log" | grep "Encrypted connection. Client IP: 10.91.1.1" |
         grep "$(echo "$level" | tr a-z A-Z)" | tail -1)
  [ -n "$line" ] || fail "$level: no 132104 line: $(grep mapi_ao "$D/edge.log" | tail -3)"
  pass "$level bind: Accel $accel, encrypted=+1 secured=+1, bytes unchanged ($(grep -c same "$D/cmp-$level.txt") direction(s), $(sed -n 's/^\(call=\|bind=error\)/&/p' "$D/probe-$level.out" | head -1 | cut -c1-60)); log: ${line#*mapi_ao: }"
done

# ---- b. NTLM at the connect level ----------------------------------------------------------
start_sim --auth ntlm
snap b0
run_watched ntlm --auth ntlm --client-version 2007 open-attachment 10MiB ||
  fail "ntlm: outlook-sim failed: $(tail -3 "$D/outlook-ntlm.out")"
ok_line ntlm open-attachment
snap b1
[ "$(delta b0 b1 handed_off_by_reason.ntlm)" = 3 ] ||
  fail "ntlm: expected 3 NTLM hand-offs (main, bulk, async): $(cat "$D/mapi-b1.json")"
[ "$(delta b0 b1 handed_off_by_reason.encrypted)" = 0 ] || fail "ntlm: counted as encrypted"
grep -q "Bind Request from client 10.91.1.1 AuthType:NTLM .*Unsupported Auth Type" "$D/edge.log" ||
  fail "ntlm: no NTLM log line: $(grep mapi_ao "$D/edge.log" | tail -3)"
grep -q " ntlm " "$D/flows-ntlm.txt" || fail "ntlm: no live flow seen: $(cat "$D/flows-ntlm.txt")"
awk '$4 == "ntlm" && ($2 !~ /G/ || $2 ~ /M/) {bad=1} END {exit bad}' "$D/flows-ntlm.txt" ||
  fail "ntlm: a handed-off flow does not show G: $(cat "$D/flows-ntlm.txt")"
pass "NTLM bind (connect level): ntlm=+3, Accel $(awk '$4=="ntlm"{print $2}' "$D/flows-ntlm.txt" | sort -u | tr '\n' ' ')byte-exact; log: $(grep -m1 "Unsupported Auth Type" "$D/edge.log" | sed 's/.*mapi_ao: //')"

# ---- c. unsupported clients ----------------------------------------------------------------
for v in 97 future; do
  snap c0-$v
  run_watched v$v --client-version $v open-attachment 10MiB ||
    fail "$v: outlook-sim failed: $(tail -3 "$D/outlook-v$v.out")"
  ok_line v$v open-attachment
  snap c1-$v
  # The session goes, not just the connection that carried EcDoConnectEx: the bulk
  # connection of the same association group follows.
  [ "$(delta c0-$v c1-$v handed_off_by_reason.unsupported-client)" -ge 2 ] ||
    fail "$v: the session's connections were not all handed off: $(cat "$D/mapi-c1-$v.json")"
  want=17.0.1234.1000; [ $v = 97 ] && want=8.0.4212.0
  grep -q "Client IP: 10.91.1.1: unsupported-client (client version $want)" "$D/edge.log" ||
    fail "$v: no log line: $(grep mapi_ao "$D/edge.log" | tail -3)"
  awk '$4 == "unsupported-client" && ($2 !~ /G/ || $2 ~ /M/) {bad=1} END {exit bad}' \
    "$D/flows-v$v.txt" || fail "$v: a handed-off flow does not show G: $(cat "$D/flows-v$v.txt")"
  if [ $v = 97 ]; then
    [ "$(delta c0-$v c1-$v lower_than_2000_sessions)" = 1 ] ||
      fail "97: Lower than 2000 Sessions: $(cat "$D/mapi-c1-$v.json")"
  fi
  pass "client $v ($want): unsupported-client=+$(delta c0-$v c1-$v handed_off_by_reason.unsupported-client) optimized=+$(delta c0-$v c1-$v total_optimized_connections), byte-exact; flows: $(awk '{print $2"/"$4}' "$D/flows-v$v.txt" | sort | uniq -c | tr -s ' \n' ' ')"
done

# ---- e. overload ---------------------------------------------------------------------------
# The MAPI AO's own resource (accelerators.mapi.max_connections) lowered to 1 by a reload.
# Without a reserve for association groups, the session's other connections find it full:
# they go to the generic AO (reason overload) and count as escaped from their group. With the
# reserve (limits.reserved_mapi_connections / mapi_reserve_per_group) they use it instead.
mapi_limits() { # mapi_limits MAX RESERVED PER_GROUP
  /usr/bin/python3 - "$D/edge-config.json" "$@" <<'PY'
import json, sys
path, mx, reserved, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
c = json.load(open(path))
c.setdefault("accelerators", {}).setdefault("mapi", {})["max_connections"] = mx
c.setdefault("limits", {}).update({"reserved_mapi_connections": reserved,
                                   "mapi_reserve_per_group": per})
json.dump(c, open(path, "w"), indent=2)
PY
  out=$(CTL edge reload) || fail "overload: reload refused: $out"
}
mapi_limits 1 0 0
snap e0
run_watched overload --client-version 2007 open-attachment 10MiB ||
  fail "overload: outlook-sim failed: $(tail -3 "$D/outlook-overload.out")"
ok_line overload open-attachment
snap e1
over=$(delta e0 e1 handed_off_by_reason.overload)
escaped=$(delta e0 e1 escaped_connections)
[ "$over" -ge 2 ] || fail "overload: $over overload hand-offs (want 2: bulk and async): $(cat "$D/mapi-e1.json")"
[ "$escaped" -ge 2 ] || fail "overload: $escaped escaped connections counted: $(cat "$D/mapi-e1.json")"
grep -q "MAPI accelerator overloaded" "$D/edge.log" || fail "overload: no log line"
awk '$4 == "overload" && $2 ~ /M/ {bad=1} END {exit bad}' "$D/flows-overload.txt" ||
  fail "overload: a handed-off flow still shows M: $(cat "$D/flows-overload.txt")"
pass "overload (max_connections 1, no reserve): overload hand-offs +$over, escaped +$escaped, log line, byte-exact"
mapi_limits 1 300 4
snap e2
run_watched overload2 --client-version 2007 open-attachment 10MiB ||
  fail "overload with reserve: outlook-sim failed: $(tail -3 "$D/outlook-overload2.out")"
ok_line overload2 open-attachment
snap e3
[ "$(delta e2 e3 handed_off_by_reason.overload)" = 0 ] ||
  fail "overload with reserve: connections still handed off: $(cat "$D/mapi-e3.json")"
[ "$(delta e2 e3 total_optimized_connections)" -ge 2 ] ||
  fail "overload with reserve: the group's connections were not accelerated: $(cat "$D/mapi-e3.json")"
pass "overload with the group reserve (max_connections 1, 4 per group): the session's connections use the reserve, optimized +$(delta e2 e3 total_optimized_connections), overload +0; byte-exact"
cp "$BH_BIN/../config/lab-edge.json" "$D/edge-config.json"
out=$(CTL edge reload) || fail "reload back: $out"

# ---- d. parse error mid-session ------------------------------------------------------------
snap d0
in_lab "$LAB" client /usr/bin/python3 "$PROBE" group-garbage $SERVER >"$D/probe-garbage.out" 2>&1 ||
  fail "parse error: not every connection of the group was closed: $(cat "$D/probe-garbage.out")"
snap d1
[ "$(delta d0 d1 handed_off_by_reason.parse-error)" = 1 ] ||
  fail "parse error: ParseError hand-offs: $(cat "$D/mapi-d1.json")"
line=$(grep "mapi_ao: .*unrecoverable parse error" "$D/edge.log" | tail -1)
echo "$line" | grep -q "Client IP: 10.91.1.1: unrecoverable parse error (client stream: .*); disconnecting all 2 MAPI connections to 10.91.4.2" ||
  fail "parse error: log line: $line"
pass "garbage mid-session: $(cat "$D/probe-garbage.out"), parse-error=+1, dropped=+$(delta d0 d1 total_dropped_connections); log: ${line#*mapi_ao: }"

rm -f "$D/hold-re"
in_lab "$LAB" client /usr/bin/python3 "$PROBE" bind-hold $SERVER --hold "$D/hold-re" \
  >"$D/probe-re.out" 2>&1 &
probe=$!
wait_for 30 "the reconnect probe's port line" grep -q "^port=" "$D/probe-re.out"
port=$(sed -n 's/^port=\([0-9]*\).*/\1/p' "$D/probe-re.out")
[ -n "$port" ] || fail "reconnect: $(cat "$D/probe-re.out")"
conn=$(conn_by_port "$port")
touch "$D/hold-re"; wait $probe
echo "$conn" | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)
assert "G" in c["accel"] and "M" not in c["accel"], c["accel"]
assert c["accelerator"]["hand_off_reason"].startswith("parse-error"), c["accelerator"]
assert c["mapi"]["hand_off_reason"] == "parse-error", c["mapi"]' ||
  fail "reconnect: not handed off at once: $conn"
snap d2
run_watched reconnect --client-version 2007 open-attachment 1MiB ||
  fail "reconnect: outlook-sim failed: $(tail -3 "$D/outlook-reconnect.out")"
ok_line reconnect open-attachment
snap d3
[ "$(delta d2 d3 handed_off_by_reason.parse-error)" = 3 ] && [ "$(delta d2 d3 total_optimized_connections)" = 0 ] ||
  fail "reconnect: outlook-sim's connections not all generic: $(cat "$D/mapi-d3.json")"
pass "reconnects go generic at once: bind Accel $(echo "$conn" | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["accel"], c["accelerator"]["hand_off_reason"])'); outlook-sim parse-error=+3 optimized=+0, byte-exact"
stop_sim
