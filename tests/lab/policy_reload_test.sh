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
for p in 5001 5002; do in_lab "$LAB" server sh -c "$FC server --port $p >/dev/null 2>&1 &"; done
sleep 0.5
state_of() { # state_of PORT: state of the newest edge flow to that port
  CTL edge --json show statistics connection detail | /usr/bin/python3 -c "
import json, sys
c = [x for x in json.load(sys.stdin)['connections'] if x['dest'].endswith(':$1')]
print(c[-1]['state'] + '/' + c[-1]['pass_through_reason'] if c else 'none')"
}
hold() { # hold PORT SECONDS: a flow that stays open that long, then checks its bytes
  in_lab "$LAB" client "$TOOLS/slowflow.py" 10.91.4.2 "$1" "$2"
}

# Running flows on both ports, optimized, while the policy changes under them.
hold 5001 8 >"$tmp/run1" 2>&1 & r1=$!
hold 5002 8 >"$tmp/run2" 2>&1 & r2=$!
sleep 1
[ "$(state_of 5002)" = "optimized/none" ] || fail "before reload: 5002 is $(state_of 5002)"

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
hold 5002 2 >"$tmp/new" 2>&1 &
newc=$!
sleep 1
st=$(state_of 5002)
[ "$st" = "pass-through/policy" ] || fail "new flow to 5002 after reload is $st, want pass-through/policy"
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
hold 5002 2 >/dev/null 2>&1 &
probe=$!
sleep 1
st=$(state_of 5002)
[ "$st" = "pass-through/policy" ] || fail "old policy did not stay after a refused reload ($st)"
wait $probe || fail "the probe flow failed"
pass "bad file refused ($(echo "$out" | grep -m1 actoin)); the old policy stays"
cp "$tmp/good.json" "$D/edge-config.json"

wait $r1 || fail "running flow on 5001 broke during the reloads: $(cat "$tmp/run1")"
wait $r2 || fail "running flow on 5002 broke during the reloads: $(cat "$tmp/run2")"
pass "flows running across the reloads finished byte-exact: $(cat "$tmp/run1") $(cat "$tmp/run2")"

# Overload: effective limit 10; 16 long flows -> at most 10 optimized, the rest pass-through.
pids=()
for i in $(seq 16); do hold 5001 4 >"$tmp/many$i" 2>&1 & pids+=($!); done
sleep 2
counts=$(CTL edge --json show statistics connection detail | /usr/bin/python3 -c '
import json, sys
c = json.load(sys.stdin)["connections"]
print(sum(x["state"] == "optimized" for x in c), sum(x["pass_through_reason"] == "overload" for x in c))')
read opt over <<<"$counts"
for p in "${pids[@]}"; do wait "$p" || fail "a flow over the limit failed"; done
[ "$opt" -le 10 ] && [ "$over" -ge 6 ] || fail "over the limit: $opt optimized, $over pass-through (overload)"
pass "over the effective limit (10): $opt optimized, $over passed through as overload, all byte-exact"
