#!/bin/bash
# Issue 19 acceptance in the lab: a farm of three boxes one-armed off the branch's WCCPv2 router
# (bhlab --wccp 3: bh-wccp-router in the edge node, services 61/62, MD5, GRE forwarding and
# return, hash assignment). 200 client flows from 200 client addresses are byte-exact, spread
# over all three boxes by the assignment, every connection of one client on one box, and the
# server sees each client's own address and port; every WCCP message and GRE packet on the
# boxes' link dissects cleanly in tshark; a box killed is removed within 30 s and its buckets go
# to the survivors, whose flows stand; a box with the wrong MD5 password is never a member and
# says why.
. "$(dirname "$0")/lib.sh"
TOOLS="$(cd "$(dirname "$0")/tools" && pwd)"
FC="$TOOLS/flowcheck.py"

# router_json PY: evaluates the Python expression PY over the router's status `j` (exit 0 if
# true).
router_json() {
  /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "/run/bhlab/$LAB/router.status" "$1" 2>/dev/null
}
# farm_settled N: both services list N usable boxes, and the assignment in force gives each a
# share (not one made before the last box joined: it would move flows once the next comes).
farm_settled() {
  router_json "all(len([c for c in s['caches'] if c['usable'] and c['assigned']]) == $1 and
                   len(s['caches']) == $1 and s['assignment_complete'] for s in j['services'])"
}
# box_clients I: the client addresses box I's transaction log names, one a line, sorted.
box_clients() {
  awk -F ' :' '{print $3}' "/run/bhlab/$LAB/wae$1/tfo.log" 2>/dev/null | sort -u
}

lab_up wccp --wccp 3
in_lab "$LAB" edge sh -c "tshark -i wccpbr -f 'udp port 2048 or ip proto 47' -w /run/bhlab/$LAB/wccp.pcap >/dev/null 2>&1 &"
in_lab "$LAB" server sh -c "$FC server --port 5001 --log /run/bhlab/$LAB/seen >/dev/null 2>&1 &"
wait_for 20 "the test server to listen on :5001" listening "$LAB" server 5001

# 200 clients: 10.91.1.10 - 10.91.1.209 on the client node.
sources=""
for i in $(seq 10 209); do
  in_lab "$LAB" client ip addr add "10.91.1.$i/24" dev lan0
  sources="$sources${sources:+,}10.91.1.$i"
done

# --- Membership and assignment (HERE_I_AM every 10 s, assignment after 1.5 x T of stability).
wait_for 90 "three usable boxes and an executed assignment for 61 and 62" farm_settled 3
pass "router: 3 usable boxes in services 61 and 62, assignment executed ($(cat /run/bhlab/$LAB/router.status | head -c 300)...)"
wae1=$("$BHLAB" ctl "$LAB" wae1 show wccp status --json 2>/dev/null || true)

# --- 200 clients, two connections each (both directions, 64 KiB each way).
out=$(in_lab "$LAB" client sh -c "ulimit -n 8192; $FC client --host 10.91.4.2 --port 5001 --mode both --bytes 65536 --conns 400 --sources $sources")
echo "$out" | grep -q '"ok": 400,' || fail "400 flows of 200 clients through the farm: $out"
pass "400 flows of 200 clients byte-exact through the farm: $out"

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

# Spread and one box per client: every box took flows, and no client address appears on two.
wait_for 20 "the boxes' transaction logs to hold 200 clients" \
  eval '[ "$( (box_clients 1; box_clients 2; box_clients 3) | sort -u | wc -l)" -ge 200 ]'
for i in 1 2 3; do
  n=$(box_clients $i | wc -l)
  [ "$n" -ge 20 ] || fail "box wae$i took flows of $n clients (the assignment does not spread)"
  echo "  wae$i: $n clients"
done
dups=$( (box_clients 1; box_clients 2; box_clients 3) | sort | uniq -d | wc -l)
[ "$dups" -eq 0 ] || fail "$dups clients had connections on two boxes"
pass "spread over all three boxes, each client's connections on one box"

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

# --- tshark dissects every WCCP message and GRE packet of the run cleanly. The inner TCP's own
# expert items (resets, segments of the other direction not on this link) are the conversation's,
# not the encapsulation's: TCP is left undissected.
sleep 1 # tshark writes its capture file in blocks: let the last ones reach it
pkts=$(tshark -r /run/bhlab/$LAB/wccp.pcap 2>/dev/null | wc -l)
bad=$(tshark -r /run/bhlab/$LAB/wccp.pcap --disable-protocol tcp -T fields -e frame.number -e _ws.malformed \
  -e _ws.expert.severity -E occurrence=a -E aggregator=, 2>/dev/null |
  awk -F '\t' '$2 != "" { print; next }
    { n = split($3, s, ","); for (i = 1; i <= n; i++) if (s[i] + 0 > 4194304) { print; next } }' | head -5)
[ "$pkts" -gt 100 ] || fail "the capture on wccpbr holds only $pkts packets"
[ -z "$bad" ] || fail "tshark: malformed or expert above note: $bad"
wmsgs=$(tshark -r /run/bhlab/$LAB/wccp.pcap -Y "udp.port == 2048" -T fields -e wccp.message 2>/dev/null | sort | uniq -c | tr -s ' \n' ' ')
gre=$(tshark -r /run/bhlab/$LAB/wccp.pcap -Y "gre.proto == 0x883e" 2>/dev/null | wc -l)
[ "$gre" -gt 100 ] || fail "only $gre GRE-redirected packets in the capture"
pass "tshark: $pkts packets on the boxes' link ($gre GRE-redirected), none malformed, nothing above note (WCCP message types: $wmsgs)"

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
wait_for 30 "40 held flows on the survivors" eval '[ "$(wc -l <"$HOLD.held" 2>/dev/null || echo 0)" -ge 40 ]'
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
wait_for 60 "an assignment over the two survivors" farm_settled 2
touch "$HOLD"
wait "$holder" || fail "flows held on the survivors across the removal: $(cat "$HOLD.out")"
pass "40 flows held on the survivors across the removal: byte-exact ($(cat "$HOLD.out"))"
out=$(in_lab "$LAB" client sh -c "ulimit -n 8192; $FC client --host 10.91.4.2 --port 5001 --mode both --bytes 65536 --conns 200 --sources $sources")
echo "$out" | grep -q '"ok": 200,' || fail "200 flows over the two survivors: $out"
# Flows forwarded around the farm would be byte-exact too: the survivors' logs must name every
# client, wae3's among them (its buckets were reassigned, not left unassigned).
missing=$(for a in $(echo "$sources" | tr ',' ' '); do echo "$a"; done | sort >/tmp/wccp-all-$$
  (box_clients 1; box_clients 2) | sort -u | comm -23 /tmp/wccp-all-$$ - | wc -l)
rm -f /tmp/wccp-all-$$
[ "$missing" -eq 0 ] || fail "$missing clients did not reach a survivor (buckets not reassigned)"
pass "200 new flows byte-exact, every client on a survivor (wae3's buckets reassigned): $out"

# --- It returns and rejoins.
"$BHLAB" start "$LAB" wae3 || fail "wae3 restart"
wait_for 90 "wae3 to rejoin" farm_settled 3
pass "wae3 back: three usable boxes again"

# --- A box with the wrong MD5 password: never a member; named in its log and show wccp.
"$BHLAB" stop "$LAB" wae3
jq '.interception.wccp.password = "wrongpw"' "/run/bhlab/$LAB/wae3-config.json" >"/run/bhlab/$LAB/wae3.tmp"
mv "/run/bhlab/$LAB/wae3.tmp" "/run/bhlab/$LAB/wae3-config.json"
"$BHLAB" start "$LAB" wae3 || fail "wae3 start with the wrong password"
wrong() { router_json "all(s['security_failures'] >= 1 for s in j['services'])"; }
wait_for 30 "the router to count wae3's bad digests" wrong
grep -q "security mismatch: HERE_I_AM from 10.91.5.13" "/run/bhlab/$LAB/router.log" ||
  fail "the router's log does not name wae3's bad digest"
named() { "$BHLAB" ctl "$LAB" wae3 show wccp status 2>/dev/null | grep -qi "negotiating membership\|no router answers\|security"; }
wait_for 30 "wae3's show wccp to name why it is not a member" named
wait_for 90 "the farm to be two boxes again" farm_settled 2
pass "wrong MD5 password: wae3 never a member, named: $("$BHLAB" ctl "$LAB" wae3 show wccp status | grep -i 'negotiating\|problem' | head -2 | tr '\n' ' ')"
