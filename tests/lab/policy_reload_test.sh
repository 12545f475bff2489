#!/bin/bash
# Issue 4 in the lab: a reload under load (flows running) changes what new flows get, never
# what running flows were given, and breaks none of them; a bad file is refused with its error
# and the old policy stays; over the connection limit new flows pass through and are counted.
. "$(dirname "$0")/lib.sh"
TOOLS="$(cd "$(dirname "$0")/tools" && pwd)"
FC="$TOOLS/flowcheck.py"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"; cleanup_labs' EXIT

# Edge config: the lab's, with a small connection limit for the overload part.
/usr/bin/python3 - "$BH_BIN/../config/lab-edge.json" "$tmp/edge.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["limits"].update({"connection_limit": 12, "effective_limit": 10, "reserved_mapi_connections": 0,
                    "mapi_reserve_per_group": 0})
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
lab_up pr --edge-config "$tmp/edge.json"
D=/run/bhlab/$LAB
CTL() { "$BHLAB" ctl "$LAB" "$@"; }
for p in 5001 5002; do
  in_lab "$LAB" server sh -c "$FC server --port $p >/dev/null 2>&1 &"
  wait_for 20 "the test server to listen on :$p" listening "$LAB" server $p
done
# hold NAME PORT SECONDS: a flow to PORT that sends bytes over SECONDS, then stays open until
# the test touches $tmp/NAME.go, then checks its bytes (slowflow.py). Output in $tmp/NAME.
hold() {
  in_lab "$LAB" client "$TOOLS/slowflow.py" 10.91.4.2 "$2" "$3" "$tmp/$1.go" >"$tmp/$1" 2>&1
}
release() { touch "$tmp/$1.go"; }
# src_port NAME: the client port of a hold flow, once it has connected.
src_port() { sed -n 's/^port=//p' "$tmp/$1" 2>/dev/null; }
# state_of NAME: "state/pass-through reason" of the edge's flow from that hold flow's port;
# empty while the flow is not listed or is still in auto-discovery.
state_of() {
  local p; p=$(src_port "$1"); [ -n "$p" ] || return 0
  CTL edge --json show statistics connection detail | /usr/bin/python3 -c "
import json, sys
c = [x for x in json.load(sys.stdin)['connections'] if x['source'].endswith(':$p')]
if c and c[-1]['state'] != 'auto-discovery':
    print(c[-1]['state'] + '/' + c[-1]['pass_through_reason'])"
}
# settled_state NAME: waits until the hold flow is listed past auto-discovery; prints its state.
settled_state() {
  wait_for 30 "the edge to list flow $1 past auto-discovery" eval '[ -n "$(state_of '"$1"')" ]'
  state_of "$1"
}

# Running flows on both ports, optimized, while the policy changes under them.
hold run1 5001 4 & r1=$!
hold run2 5002 4 & r2=$!
st=$(settled_state run2)
[ "$st" = "optimized/none" ] || fail "before reload: 5002 is $st"

# New policy: port 5002 is pass-through.
/usr/bin/python3 - "$D/edge-config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["classifiers"].append({"name": "Test-Bypass", "match": [{"dst_port": "eq 5002"}]})
c["policy"]["classes"].insert(0, {"name": "Test-Bypass", "classifier": "Test-Bypass",
                                  "application": "Other", "action": "pass-through"})
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
out=$(CTL edge reload) || fail "reload refused: $out"
pass "reload under load: $out"
hold new 5002 1 &
newc=$!
st=$(settled_state new)
[ "$st" = "pass-through/policy" ] || fail "new flow to 5002 after reload is $st, want pass-through/policy"
release new
wait $newc || fail "new pass-through flow failed: $(cat "$tmp/new")"
pass "new flow to 5002 follows the new policy (pass-through/policy)"

# A bad file is refused with the JSON path; the running policy stays.
cp "$D/edge-config.json" "$tmp/good.json"
/usr/bin/python3 - "$D/edge-config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["policy"]["classes"][0]["actoin"] = "optimize full"
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
if out=$(CTL edge reload 2>&1); then fail "a bad config was accepted: $out"; fi
echo "$out" | grep -q "/policy/classes/0/actoin" || fail "reload error does not name the path: $out"
echo "$out" | grep -q "did you mean" || fail "no did-you-mean in: $out"
hold probe 5002 1 &
probe=$!
st=$(settled_state probe)
[ "$st" = "pass-through/policy" ] || fail "old policy did not stay after a refused reload ($st)"
release probe
wait $probe || fail "the probe flow failed: $(cat "$tmp/probe")"
pass "bad file refused ($(echo "$out" | grep -m1 actoin)); the old policy stays"
cp "$tmp/good.json" "$D/edge-config.json"

release run1; release run2
wait $r1 || fail "running flow on 5001 broke during the reloads: $(cat "$tmp/run1")"
wait $r2 || fail "running flow on 5002 broke during the reloads: $(cat "$tmp/run2")"
pass "flows running across the reloads finished byte-exact: $(tail -1 "$tmp/run1") $(tail -1 "$tmp/run2")"

# Overload: effective limit 10; 16 long flows -> at most 10 optimized, the rest pass-through.
pids=()
for i in $(seq 16); do hold many$i 5001 1 & pids+=($!); done
# All 16 connected and listed past auto-discovery (each holds until released).
all_settled() {
  local i
  for i in $(seq 16); do [ -n "$(src_port many$i)" ] || return 1; done
  ports=$(for i in $(seq 16); do src_port many$i; done | tr '\n' ' ')
  counts=$(CTL edge --json show statistics connection detail | /usr/bin/python3 -c '
import json, sys
ports = set(sys.argv[1].split())
c = [x for x in json.load(sys.stdin)["connections"] if x["source"].rsplit(":", 1)[1] in ports]
if len(c) == len(ports) and all(x["state"] != "auto-discovery" for x in c):
    print(sum(x["state"] == "optimized" for x in c), sum(x["pass_through_reason"] == "overload" for x in c))' "$ports")
  [ -n "$counts" ]
}
wait_for 60 "the edge to list all 16 flows past auto-discovery" all_settled
read opt over <<<"$counts"
for i in $(seq 16); do release many$i; done
for p in "${pids[@]}"; do wait "$p" || fail "a flow over the limit failed"; done
[ "$opt" -le 10 ] && [ "$over" -ge 6 ] || fail "over the limit: $opt optimized, $over pass-through (overload)"
pass "over the effective limit (10): $opt optimized, $over passed through as overload, all byte-exact"
