#!/bin/bash
# Issue 19, the other methods: a farm of two boxes with L2 forwarding and return and mask
# assignment (a Catalyst's way: only the destination MAC rewritten, the mask over the client's
# address choosing the box), and a router offering only GRE/hash to a box that wants L2/mask:
# the mismatch named in show wccp and the log, no redirection, nothing lost.
. "$(dirname "$0")/lib.sh"
TOOLS="$(cd "$(dirname "$0")/tools" && pwd)"
FC="$TOOLS/flowcheck.py"
router_json() {
  /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "/run/bhlab/$LAB/router.status" "$1" 2>/dev/null
}
farm_settled() {
  router_json "all(len([c for c in s['caches'] if c['usable'] and c['assigned']]) == $1 and
                   len(s['caches']) == $1 and s['assignment_complete'] for s in j['services'])"
}
box_clients() { awk -F ' :' '{print $3}' "/run/bhlab/$LAB/wae$1/tfo.log" 2>/dev/null | sort -u; }

lab_up wccpl2 --wccp 2 --wccp-forwarding l2 --wccp-return l2 --wccp-assignment mask --wccp-mask 0x3
in_lab "$LAB" server sh -c "$FC server --port 5001 --log /run/bhlab/$LAB/seen >/dev/null 2>&1 &"
wait_for 20 "the test server to listen on :5001" listening "$LAB" server 5001
sources=""
for i in $(seq 10 109); do
  in_lab "$LAB" client ip addr add "10.91.1.$i/24" dev lan0
  sources="$sources${sources:+,}10.91.1.$i"
done
wait_for 90 "two usable boxes and an executed mask assignment" farm_settled 2
"$BHLAB" ctl "$LAB" wae1 show wccp masks | grep -q "0x00000003" || fail "show wccp masks: $("$BHLAB" ctl "$LAB" wae1 show wccp masks)"
out=$(in_lab "$LAB" client sh -c "ulimit -n 8192; $FC client --host 10.91.4.2 --port 5001 --mode both --bytes 65536 --conns 200 --sources $sources")
echo "$out" | grep -q '"ok": 200,' || fail "200 flows of 100 clients, L2/mask: $out"
router_json "j['packets']['redirected_l2'] > 0 and j['packets']['redirected_gre'] == 0" ||
  fail "not redirected by L2: $(cat /run/bhlab/$LAB/router.status)"
n1=$(box_clients 1 | wc -l); n2=$(box_clients 2 | wc -l)
[ "$n1" -ge 20 ] && [ "$n2" -ge 20 ] || fail "mask spread: wae1 $n1 clients, wae2 $n2"
dups=$( (box_clients 1; box_clients 2) | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "$dups clients on both boxes"
pass "L2 forwarding, mask assignment: 200 flows byte-exact, wae1 $n1 / wae2 $n2 clients, none on both: $out"
"$BHLAB" down "$LAB" >/dev/null

# A router that offers only GRE and hash; the boxes want L2 and mask: named, never redirected.
lab_up wccpmis --wccp 1 --wccp-forwarding l2 --wccp-assignment mask \
  --wccp-router-args "--forwarding gre --assignment hash --return gre"
in_lab "$LAB" server sh -c "$FC server --port 5001 >/dev/null 2>&1 &"
wait_for 20 "the test server to listen on :5001" listening "$LAB" server 5001
named() { "$BHLAB" ctl "$LAB" wae1 show wccp routers 2>/dev/null | grep -q "offers no forwarding method"; }
wait_for 30 "wae1's show wccp routers to name the mismatch" named
grep -q "offers no forwarding method" "/run/bhlab/$LAB/wae1.log" || fail "the mismatch is not in wae1's log"
out=$(in_lab "$LAB" client "$FC" client --host 10.91.4.2 --port 5001 --mode both --bytes 65536 --conns 20)
echo "$out" | grep -q '"ok": 20,' || fail "flows with the methods mismatched: $out"
router_json "j['packets']['redirected_l2'] == 0 and j['packets']['redirected_gre'] == 0" ||
  fail "redirected although no box is usable: $(cat /run/bhlab/$LAB/router.status)"
pass "mismatched methods named (show wccp routers, the log); flows forwarded around, byte-exact: $out"
