#!/bin/bash
# Issue 19 acceptance in the lab: a farm of three boxes one-armed off the branch's WCCPv2 router
# (bhlab --wccp 3: bh-wccp-router in the edge node, services 61/62, MD5, GRE forwarding and
# return, hash assignment). 200 client flows from 200 client addresses are byte-exact, spread
# over all three boxes by the assignment, every connection of one client on one box, and the
# server sees each client's own address and port; every WCCP message and GRE packet on the
# boxes' link dissects cleanly in tshark; a box killed is removed within 30 s and its buckets go
# to the survivors, whose flows stand; a box with the wrong MD5 password is never a member and
# says why (before it rejoins with the right one).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wccp_lib.sh"

lab_up wccp --wccp 3
wccp_capture
wccp_server
wccp_clients 10 209 # 200 clients: 10.91.1.10 - 10.91.1.209 on the client node

# --- Membership and assignment (HERE_I_AM every 10 s, assignment after 1.5 x T of stability).
wait_for 90 "three usable boxes and an executed assignment for 61 and 62" farm_settled 3
pass "router: 3 usable boxes in services 61 and 62, assignment executed ($(cat /run/bhlab/$LAB/router.status | head -c 300)...)"
wae1=$("$BHLAB" ctl "$LAB" wae1 show wccp status --json 2>/dev/null || true)

# --- 200 clients, two connections each (both directions, 64 KiB each way): byte-exact, spread
# over all three boxes, every connection of one client on one box.
wccp_flows 400 3 "GRE forwarding and return, hash assignment"

# Transparency: the server saw every client address (with the port its client used: the
# flowcheck server logs the peer it accepted, which is the client's own with full transparency).
seen=$(awk '{print $1}' /run/bhlab/$LAB/seen | sort -u | wc -l)
[ "$seen" -eq 200 ] || fail "the server saw $seen client addresses, not 200"
port=$(in_lab "$LAB" client /usr/bin/python3 -c "
import socket
s=socket.socket(); s.bind(('10.91.1.77',0)); s.connect(('10.91.4.2',5001)); p=s.getsockname()[1]
s.sendall(b'up 0\n'); s.shutdown(socket.SHUT_WR); s.recv(100); print(p)")
last=$(tail -1 /run/bhlab/$LAB/seen)
[ "$last" = "10.91.1.77 $port" ] || fail "server saw '$last', the client was '10.91.1.77 $port'"
pass "the server sees each client's own address and port ($last)"

# The router never redirected a box's own traffic back: it came in on wccpbr, where the
# router's "redirect exclude in" rule accepted it before the redirect rule (its counter), and
# the server saw exactly one connection per client connection (a loop would add more).
excluded=$(in_lab "$LAB" edge iptables -w -t mangle -L PREROUTING -v -n -x |
  awk '$3 == "ACCEPT" && $6 == "wccpbr" {print $1}')
[ "${excluded:-0}" -gt 1000 ] || fail "router exclusion: $excluded packets of the boxes excluded"
router_json "j['packets']['send_errors'] == 0" || fail "router: $(cat /run/bhlab/$LAB/router.status)"
conns=$(wc -l </run/bhlab/$LAB/seen)
[ "$conns" -eq 401 ] || fail "the server saw $conns connections for 401 client connections"
pass "the boxes' own traffic ($excluded packets) excluded at the router, never redirected back"

# --- tshark dissects every WCCP message and GRE packet of the run cleanly.
wccp_tshark_clean "GRE/hash" 100

# --- A box killed: queried at 25 s, removed within 30 s, its buckets reassigned; flows held on
# the survivors stand and stay byte-exact.
survivor_sources=""
for a in $(box_clients 1 | head -20) $(box_clients 2 | head -20); do
  survivor_sources="$survivor_sources${survivor_sources:+,}$a"
done
HOLD=/run/bhlab/$LAB/hold
in_lab "$LAB" client "$FC" client --host 10.91.4.2 --port 5001 --mode both --bytes 100000 \
  --conns 40 --sources "$survivor_sources" --hold "$HOLD" >"$HOLD.out" 2>&1 &
holder=$!
wait_for 30 "40 held flows on the survivors" eval '[ "$(cat "$HOLD.held" 2>/dev/null | wc -l)" -ge 40 ]'
# ... and 10 flows on wae3 sending when it dies (1 GB each: they cannot finish first).
dead_sources=$(box_clients 3 | head -10 | paste -sd,)
DEAD=/run/bhlab/$LAB/dead
before=$(wc -l </run/bhlab/$LAB/seen)
in_lab "$LAB" client "$FC" client --host 10.91.4.2 --port 5001 --mode up --bytes 1000000000 \
  --timeout 120 --conns 10 --sources "$dead_sources" >"$DEAD.out" 2>&1 &
dying=$!
wait_for 30 "10 flows on wae3 to reach the server" eval '[ "$(wc -l </run/bhlab/$LAB/seen)" -ge $((before + 10)) ]'
"$BHLAB" kill "$LAB" wae3
t0=$(date +%s)
removed() { router_json "all(all(c['address'] != '10.91.5.13' for c in s['caches']) for s in j['services'])"; }
wait_for 40 "the router to remove wae3" removed
dt=$(($(date +%s) - t0))
# 3 x HERE_I_AM_T after its last HERE_I_AM (which came before the kill), plus the router's
# 250 ms tick, its status file's 500 ms and whole seconds here.
[ "$dt" -le 32 ] || fail "wae3 removed after $dt s (the protocol says 30)"
router_json "all(s['removal_queries_sent'] >= 1 for s in j['services'])" || fail "no REMOVAL_QUERY before the removal"
pass "wae3 killed: queried, then removed after $dt s"
# It comes back at once with the wrong MD5 password: the router drops its HERE_I_AMs, so the
# farm stays the two survivors below while its three unanswered HERE_I_AMs (20 s) go by.
cp "/run/bhlab/$LAB/wae3-config.json" "/run/bhlab/$LAB/wae3-good.json"
jq '.interception.wccp.password = "wrongpw"' "/run/bhlab/$LAB/wae3-good.json" >"/run/bhlab/$LAB/wae3-config.json"
"$BHLAB" start "$LAB" wae3 || fail "wae3 start with the wrong password"
# The flows on wae3 end with a reset, never hang: its kernel ends its sockets' client legs but
# nothing reaches it any more; once the router removes it their segments are forwarded to the
# far end (or returned by the box that takes its buckets), which knows no such connection and
# resets it: the removal (30 s), then the client's next retransmission, its timer doubled at each
# loss (up to as long again): 75 s at most (measured: 31-39 s).
wait_for $((t0 + 75 - $(date +%s))) "the flows on wae3 to end within 75 s of the kill" gone "$dying"
dt=$(($(date +%s) - t0))
wait "$dying" && fail "flows on the dead box succeeded: $(cat "$DEAD.out")"
# Each ended with ECONNRESET, or EPIPE (a write after the reset), never a timeout.
tail -1 "$DEAD.out" | jq -e '.ok == 0 and (.errors | length > 0) and
    all(.errors[]; test("Errno (104|32)\\]"))' >/dev/null ||
  fail "flows on the dead box did not all end with a reset: $(cat "$DEAD.out")"
pass "10 flows on wae3 ended with a reset $dt s after the kill: $(cat "$DEAD.out")"
wait_for 60 "an assignment over the two survivors" farm_settled 2
touch "$HOLD"
wait "$holder" || fail "flows held on the survivors across the removal: $(cat "$HOLD.out")"
pass "40 flows held on the survivors across the removal: byte-exact ($(cat "$HOLD.out"))"
wccp_exact 200 "over the two survivors"
# Flows forwarded around the farm would be byte-exact too: the survivors' logs must name every
# client, wae3's among them (its buckets were reassigned, not left unassigned).
missing=$(for a in $(echo "$sources" | tr ',' ' '); do echo "$a"; done | sort >/tmp/wccp-all-$$
  (box_clients 1; box_clients 2) | sort -u | comm -23 /tmp/wccp-all-$$ - | wc -l)
rm -f /tmp/wccp-all-$$
[ "$missing" -eq 0 ] || fail "$missing clients did not reach a survivor (buckets not reassigned)"
pass "200 new flows byte-exact, every client on a survivor (wae3's buckets reassigned): $out"

# --- wae3 with the wrong MD5 password (checked below): never a member; named in its log and
# show wccp.
wrong() { router_json "all(s['security_failures'] >= 1 for s in j['services'])"; }
wait_for 30 "the router to count wae3's bad digests" wrong
# The router writes its log line at its next timer tick (250 ms), its status file every 500 ms:
# either may come first.
wait_for 5 "the router's log to name wae3's bad digest" \
  grep -q "security mismatch: HERE_I_AM from 10.91.5.13" "/run/bhlab/$LAB/router.log"
# The router drops a bad digest without a word (as IOS): the box names the silence, and what
# causes it.
named() { "$BHLAB" ctl "$LAB" wae3 show wccp status 2>/dev/null | grep -q "does not answer (3 HERE_I_AMs): check the password"; }
wait_for 40 "wae3's show wccp to name why it is not a member" named
grep -q "does not answer (3 HERE_I_AMs): check the password" "/run/bhlab/$LAB/wae3.log" ||
  fail "wae3's log does not name the router's silence"
farm_settled 2 || fail "the farm is not the two survivors with wae3 sending a wrong digest: $(cat /run/bhlab/$LAB/router.status)"
pass "wrong MD5 password: wae3 never a member, named by the router (status, log) and wae3 (show wccp status, log): $("$BHLAB" ctl "$LAB" wae3 show wccp status | grep -i 'problem' | head -2 | tr '\n' ' ')"

# --- It returns (the right password) and rejoins.
"$BHLAB" stop "$LAB" wae3
cp "/run/bhlab/$LAB/wae3-good.json" "/run/bhlab/$LAB/wae3-config.json"
"$BHLAB" start "$LAB" wae3 || fail "wae3 restart"
wait_for 90 "wae3 to rejoin" farm_settled 3
pass "wae3 back: three usable boxes again"
