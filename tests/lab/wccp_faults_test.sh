#!/bin/bash
# Issue 19, the failures an operator meets with WCCP, each named in `show wccp` and the log with
# nothing lost, on one farm of two boxes (GRE, hash, MD5) and the lab's router:
# - a packet larger than the path MTU after encapsulation: a flow older than the box (its
#   segments full size, never clamped) redirected once the farm assigns: the router fragments
#   its GRE datagrams, the box names them and the flow stays byte-exact;
# - a router that changes its ID (IOS: an address added to a loopback): the boxes name it, drop
#   the old ID from their view and take GRE from the new one; held and new flows byte-exact;
# - a password longer than 8 characters: a reload with it is refused and named, the box stays;
# - a service definition that conflicts with the one the router has (a third box, wae3, started
#   with it): the router ignores the box (as IOS: silently) and names it, the box names the
#   silence; the farm stays the other two and its flows stand;
# - a redirect loop (the router redirects a box's own traffic back to it): named, its flows reset
#   at once, never left hanging;
# - a router that disappears: removed from the boxes' view after 30 s and named; flows are
#   forwarded normally (WCCP fails open).
# The wrong password is wccp_test.sh's, mismatched methods wccp_methods_test.sh's. tshark
# dissects every WCCP message and GRE packet of the run cleanly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wccp_lib.sh"

NEW_ID=10.91.6.1
# wae3 is built but not started (--wccp-standby 1): the conflicting box, started with its config.
lab_up wccpf --wccp 3 --wccp-standby 1 --wccp-router-args "--new-router-id $NEW_ID"
D=/run/bhlab/$LAB
wccp_capture
wccp_server
in_lab "$LAB" client ip addr add 10.91.1.10/24 dev lan0

# json NODE SHOW PY: evaluates PY over `show wccp SHOW --json` of box NODE as `j`.
json() {
  "$BHLAB" ctl "$LAB" "$1" show wccp "$2" --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
sys.exit(0 if eval(sys.argv[1]) else 1)' "$3" 2>/dev/null
}

# --- A flow older than the box: established while the router still forwarded normally (MSS
# 1460, no clamp), at 150 kB/s (two minutes' worth) until the router ID change below is done
# ($OLD.go), the rest at full speed, so its full-size segments are redirected once the farm has
# assigned: 1500 + 28 bytes of GRE over a 1500-byte link.
OLD=$D/old
in_lab "$LAB" client "$FC" client --host 10.91.4.2 --port 5001 --mode up --bytes 18000000 \
  --pace 150 --pace-until "$OLD.go" --sources 10.91.1.10 >"$OLD.out" 2>&1 &
old=$!
wait_for 10 "the old flow to reach the server" eval '[ -s "$D/seen" ]'
router_json "j['packets']['redirected_gre'] == 0" || fail "the farm assigned before the old flow began"
wccp_clients 11 209
sources="10.91.1.10,$sources"
wait_for 90 "two usable boxes and an executed assignment" farm_settled 2
oversized() { json wae1 gre "j['gre']['fragmented_over_mtu'] > 0" || json wae2 gre "j['gre']['fragmented_over_mtu'] > 0"; }
poll 60 oversized || fail "no box counts GRE datagrams over its MTU: the old flow: $(cat "$OLD.out"; in_lab "$LAB" client ss -tin dst 10.91.4.2); router: $(cat "$D/router.status"); wae1: $("$BHLAB" ctl "$LAB" wae1 show wccp gre); wae2: $("$BHLAB" ctl "$LAB" wae2 show wccp gre)"
grep -q "larger than the MTU of eth0 (1500): fragmented after encapsulation" "$D/wae1.log" "$D/wae2.log" ||
  fail "no box's log names the fragmented GRE datagrams"
named=$( ("$BHLAB" ctl "$LAB" wae1 show wccp gre; "$BHLAB" ctl "$LAB" wae2 show wccp gre) | grep "fragmented" | tr -s ' \n' ' ')
pass "GRE over the path MTU (a flow older than the box): named in show wccp gre ($named) and the log"

# --- The router changes its ID: flows held across it, new flows after it.
HOLD=$D/hold
in_lab "$LAB" client "$FC" client --host 10.91.4.2 --port 5001 --mode both --bytes 100000 \
  --conns 40 --sources "$sources" --hold "$HOLD" >"$HOLD.out" 2>&1 &
holder=$!
wait_for 30 "40 held flows" eval '[ "$(cat "$HOLD.held" 2>/dev/null | wc -l)" -ge 40 ]'
in_lab "$LAB" edge ip addr add "$NEW_ID/32" dev lo
kill -USR1 "$(cat "$D/router.pid")"
wait_for 5 "the router to take its new ID" router_json "j['router_id'] == '$NEW_ID'"
new_id_named() {
  local b
  for b in wae1 wae2; do
    json "$b" status "all([r['router_id'] for r in s['routers']] == ['$NEW_ID'] and
                          s['counters']['router_id_changes'] >= 1 for s in j['services'])" || return 1
    "$BHLAB" ctl "$LAB" "$b" show wccp status | grep -q "changed its ID from 10.91.5.1 to $NEW_ID" || return 1
  done
}
# The boxes learn it from the next I_SEE_YOU, the answer to their next HERE_I_AM (10 s).
wait_for 15 "both boxes to name the new router ID and drop the old one" new_id_named
grep -q "changed its ID from 10.91.5.1 to $NEW_ID" "$D/wae1.log" || fail "wae1's log does not name the ID change"
wccp_flows 200 2 "after the router ID change"
touch "$HOLD"
wait "$holder" || fail "flows held across the router ID change: $(cat "$HOLD.out")"
new_gre=$(tshark -r "$D/wccp.pcap" -Y "gre.proto == 0x883e && ip.src == $NEW_ID" 2>/dev/null | wc -l)
[ "$new_gre" -gt 100 ] || fail "only $new_gre GRE packets from the new router ID"
pass "router ID changed to $NEW_ID: named in show wccp status and the log, old ID dropped, 40 held flows byte-exact ($(cat "$HOLD.out")), $new_gre GRE packets from the new ID"
touch "$OLD.go"
wait "$old" || fail "the flow older than the box: $(cat "$OLD.out")"
pass "the flow older than the box, fragmented in GRE and across the ID change: byte-exact ($(cat "$OLD.out"))"

# --- A password longer than 8 characters: refused (draft 5.6.1 keys MD5 with 8 octets; a longer
# one would be truncated silently by some peers), named; the box keeps its membership.
cp "$D/wae1-config.json" "$D/wae1-good.json"
jq '.interception.wccp.password = "bh61pw-too-long"' "$D/wae1-good.json" >"$D/wae1-config.json"
"$BH_BIN/bridgehead" --check-config "$D/wae1-config.json" >"$D/check.out" 2>&1 &&
  fail "--check-config accepted a 15-character WCCP password"
grep -q "at most 8 characters" "$D/check.out" || fail "--check-config: $(cat "$D/check.out")"
reply=$("$BHLAB" ctl "$LAB" wae1 reload 2>&1) && fail "reload accepted a 15-character password: $reply"
echo "$reply" | grep -q "at most 8 characters" || fail "the reload's refusal does not name the password: $reply"
grep -q "at most 8 characters" "$D/wae1.log" || fail "wae1's log does not name the long password"
cp "$D/wae1-good.json" "$D/wae1-config.json"
wccp_exact 100 "after the refused reload"
farm_settled 2 || fail "the farm changed after a refused reload"
pass "a password longer than 8 characters: refused and named (--check-config, the reload, the log); wae1 stays a member"

# --- A box whose services conflict with the router's definitions (another priority): ignored
# by the router, which names it; the box names the silence; the farm goes on without it. The
# box is wae3, never started until now (a member's removal is wccp_test.sh's).
jq '.interception.wccp.services = [{"id": 61, "priority": 40}, {"id": 62, "priority": 40}]' \
  "$D/wae3-config.json" >"$D/wae3.tmp" && mv "$D/wae3.tmp" "$D/wae3-config.json"
"$BHLAB" start "$LAB" wae3 || fail "wae3 start with a conflicting service definition"
wait_for 30 "the router to count wae3's conflicting definitions" \
  router_json "all(s['service_conflicts'] >= 1 for s in j['services'])"
# The router logs a new problem at its next timer tick (250 ms), its status every 500 ms.
wait_for 5 "the router's log to name the conflict" \
  grep -q "service 61: service definition conflict" "$D/router.log"
silent() { "$BHLAB" ctl "$LAB" wae3 show wccp status | grep -q "does not answer (3 HERE_I_AMs): check the password and its definition of service 61"; }
wait_for 40 "wae3's show wccp to name the router's silence" silent
grep -q "does not answer (3 HERE_I_AMs)" "$D/wae3.log" || fail "wae3's log does not name the silence"
farm_settled 2 || fail "the farm is not wae1 and wae2 with wae3 conflicting: $(cat "$D/router.status")"
wccp_exact 100 "with a conflicting box ignored"
pass "a conflicting service definition: named by the router (status, log) and by wae3 (show wccp status, log); the farm stays wae1 and wae2, its flows byte-exact: $out"

# --- A redirect loop: the router redirects the boxes' own traffic too (service 61's "redirect
# in" on their interface, no "redirect exclude in"; the simulator on SIGUSR2, the lab's kernel
# exclusion deleted), so wae1's own SYN comes back to it. wae1 names it (show wccp status and
# statistics, --json, its log once) and resets each such flow: the clients see a reset at once,
# never a hang, and no flow ends short as if complete. Mended, flows go on. The flows come from
# a client whose buckets are wae1's (its transaction log names it).
loop_src=$(box_clients 1 | head -1)
[ -n "$loop_src" ] || fail "wae1's transaction log names no client"
in_lab "$LAB" edge iptables -w -t mangle -D PREROUTING -i wccpbr -p tcp -j ACCEPT
kill -USR2 "$(cat "$D/router.pid")"
wait_for 5 "the router to redirect the boxes' own traffic" router_json "j['packets']['redirect_box_link']"
t0=$(date +%s)
looped=$(in_lab "$LAB" client "$FC" client --host 10.91.4.2 --port 5001 --mode both \
  --bytes 65536 --conns 10 --sources "$loop_src" --timeout 30)
dt=$(($(date +%s) - t0))
echo "$looped" | grep -q '"ok": 0, "mismatch": 0,' || fail "flows in a redirect loop: $looped"
echo "$looped" | grep -q "timed out" && fail "a flow in a redirect loop was left hanging: $looped"
[ "$dt" -lt 20 ] || fail "flows in a redirect loop took $dt s to end: $looped"
wait_for 10 "wae1 to count its looped SYNs" json wae1 statistics "j['redirect_loops']['count'] >= 10"
"$BHLAB" ctl "$LAB" wae1 show wccp status | grep -q "redirect loop: this box's own SYN" ||
  fail "show wccp status does not name the loop: $("$BHLAB" ctl "$LAB" wae1 show wccp status)"
"$BHLAB" ctl "$LAB" wae1 show wccp statistics | grep -Eq "Redirect loops \(own SYN came back\) *: [1-9]" ||
  fail "show wccp statistics does not count the loop"
n=$(grep -c "WCCP: redirect loop: .*exclude in" "$D/wae1.log")
[ "$n" -eq 1 ] || fail "wae1's log names the redirect loop $n times (once expected)"
kill -USR2 "$(cat "$D/router.pid")"
in_lab "$LAB" edge iptables -w -t mangle -I PREROUTING 1 -i wccpbr -p tcp -j ACCEPT
wait_for 5 "the router to exclude the boxes' traffic again" router_json "not j['packets']['redirect_box_link']"
wccp_exact 50 "after the redirect loop is mended"
pass "a redirect loop: named (show wccp status and statistics, the log once); its 10 flows reset within $dt s ($looped); mended, flows byte-exact ($out)"

# --- The router disappears: the boxes remove it after 3 x HERE_I_AM_T and name it; TCP is
# forwarded normally (the redirect rule's queue bypass: WCCP fails open).
kill -KILL "$(cat "$D/router.pid")"
t0=$(date +%s)
lost() { json wae1 status "all(s['routers'] == [] and s['counters']['routers_lost'] >= 1 for s in j['services'])"; }
wait_for 40 "wae1 to remove the vanished router" lost
dt=$(($(date +%s) - t0))
"$BHLAB" ctl "$LAB" wae1 show wccp status | grep -q "router $NEW_ID silent for 30 s: removed from the view" ||
  fail "show wccp status does not name the lost router: $("$BHLAB" ctl "$LAB" wae1 show wccp status)"
grep -q "router $NEW_ID silent for 30 s" "$D/wae1.log" || fail "wae1's log does not name the lost router"
wccp_exact 50 "without the router"
pass "the router disappeared: removed from wae1's view after $dt s and named (show wccp status, the log); flows forwarded normally, byte-exact: $out"

wccp_tshark_clean "the faults' run" 1000
