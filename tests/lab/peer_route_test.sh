#!/bin/bash
# Peer routes (proxy/peer_routes.h) against the real kernel: on a 100 Mbit/s, 100 ms lab (the
# lab sizes the initial window to its bandwidth-delay product, 864 segments) an optimized flow
# leaves one host route per peer in table 28 on the edge (to the server) and on the core (to
# the client), each a copy of the main table's path plus initcwnd; the rules send only our
# peer-leg marks there; the peer legs start with that congestion window while the server's own
# connection keeps the kernel's; peer legs are paced just under the WAN's rate; and stopping a daemon removes rules and routes.
. "$(dirname "$0")/lib.sh"
FC="$(cd "$(dirname "$0")/tools" && pwd)/flowcheck.py"

lab_up pr --rtt 100 --rate 100
IW=864
for node in edge core; do
  "$BHLAB" ctl "$LAB" $node show statistics peer-routes | grep -q "initial_window_segments: $IW" ||
    fail "$node: not started with initial window $IW"
done

# A first optimized flow teaches the edge that a core answers for the server (a small control
# flow that then stays idle), the next one carries 16 MiB from the server to the client. Both
# stay open (flowcheck.py --hold) until the checks below are done, so the sockets they look at
# exist however long the checks take.
in_lab "$LAB" server sh -c "$FC server --port 5001 >/dev/null 2>&1 &"
wait_for 20 "the test server to listen on :5001" listening "$LAB" server 5001
D=/run/bhlab/$LAB
in_lab "$LAB" client "$FC" client --host 10.91.4.2 --port 5001 --mode down --bytes 1000 \
  --hold "$D/hold" >"$D/control.out" 2>&1 &
CONTROL=$!
wait_for 30 "the control flow to be answered" test -s "$D/hold.held"
wait_for 30 "the edge's host route to the server in table 28" \
  eval '[ -n "$(in_lab "$LAB" edge ip route show table 28)" ]'
in_lab "$LAB" client "$FC" client --host 10.91.4.2 --port 5001 --mode down --bytes $((16 << 20)) \
  --hold "$D/hold" >"$D/data.out" 2>&1 &
DATA=$!
wait_for 60 "the 16 MiB data flow to arrive" eval '[ "$(wc -l <"$D/hold.held")" -ge 2 ]'

edge_route=$(in_lab "$LAB" edge ip route show table 28)
core_route=$(in_lab "$LAB" core ip route show table 28)
echo "edge table 28: $edge_route"
echo "core table 28: $core_route"
[ "$(echo "$edge_route" | sed 's/ *$//')" = "10.91.4.2 via 10.91.2.2 dev wan0 proto static initcwnd $IW" ] ||
  fail "edge: expected a host route to the server with initcwnd $IW, got '$edge_route'"
[ "$(echo "$core_route" | sed 's/ *$//')" = "10.91.1.1 via 10.91.3.1 dev wan0 proto static initcwnd $IW" ] ||
  fail "core: expected a host route to the client with initcwnd $IW, got '$core_route'"
for node in edge core; do
  rules=$(in_lab "$LAB" $node ip rule show)
  echo "$rules" | grep -q "fwmark 0x1b02/0xffff lookup 28" || fail "$node: no rule for kOutDiscover"
  echo "$rules" | grep -q "fwmark 0x1b05/0xffff lookup 28" || fail "$node: no rule for kPeerReply"
  # The box's own routing is untouched.
  in_lab "$LAB" $node ip route show table main | grep -q initcwnd && fail "$node: main table changed"
done

# Congestion windows, which only grow from where they start for legs that send little: the
# core's peer legs (to the client's address, full transparency) all start large - the idle
# control flow's included, so the smallest shows it; the edge's peer leg of the data flow (the
# second flow) too, while it only sends ACKs; the core's legs to the server (LAN, unmarked)
# keep the kernel's 10.
cwnds() { in_lab "$LAB" "$1" ss -tin state established "$2" | grep -o ' cwnd:[0-9]*' | cut -d: -f2 | sort -n; }
core_peer=$(cwnds core 'dst 10.91.1.1' | head -1)
edge_peer=$(cwnds edge 'dst 10.91.4.2' | tail -1)
core_lan=$(cwnds core 'dst 10.91.4.2' | head -1)
echo "core peer-leg cwnd (smallest): $core_peer, edge peer-leg cwnd (largest): $edge_peer, core server-leg cwnd: $core_lan"
[ -n "$core_peer" ] && [ "$core_peer" -ge "$IW" ] || fail "core peer leg cwnd '$core_peer' < $IW"
[ -n "$edge_peer" ] && [ "$edge_peer" -ge "$IW" ] || fail "edge peer leg cwnd '$edge_peer' < $IW"
[ -n "$core_lan" ] && [ "$core_lan" -lt "$IW" ] || fail "core server leg got the WAN window ('$core_lan')"
# Pacing: the lab gives the edge peering.wan_bandwidth_kbit = its 100 Mbit/s and the core
# none. The edge's peer legs are paced to 95 % of it (TCP payload); the core's toward this edge
# too, by what the edge's Hello said; the core's LAN leg to the server is not paced.
maxpace() { in_lab "$LAB" "$1" ss -tin state established "$2" | grep -o 'pacing_rate [0-9]*bps/[0-9]*bps' | cut -d/ -f2 | sort -u; }
core_pace=$(maxpace core 'dst 10.91.1.1'); edge_pace=$(maxpace edge 'dst 10.91.4.2'); lan_pace=$(maxpace core 'dst 10.91.4.2')
echo "max pacing: core peer legs '$core_pace', edge peer legs '$edge_pace', core server leg '$lan_pace'"
[ "$core_pace" = 95000000bps ] || fail "core peer legs not paced to 95 Mbit/s: '$core_pace'"
[ "$edge_pace" = 95000000bps ] || fail "edge peer legs not paced to 95 Mbit/s: '$edge_pace'"
[ -z "$lan_pace" ] || fail "core server leg paced: '$lan_pace'"
touch "$D/hold"
wait $CONTROL || fail "the control flow through the optimized lab failed: $(cat "$D/control.out")"
wait $DATA || fail "the data flow through the optimized lab failed: $(cat "$D/data.out")"
# One client address, so one route on the core, installed once.
"$BHLAB" ctl "$LAB" core show statistics peer-routes | grep -q "^installed: 1$" ||
  fail "core: installed counter is not 1"

# Stopping the daemon takes its rules and routes away.
"$BHLAB" stop "$LAB" core >/dev/null 2>&1
[ -z "$(in_lab "$LAB" core ip route show table 28)" ] || fail "core: peer routes left after stop"
in_lab "$LAB" core ip rule show | grep -q "lookup 28" && fail "core: peer-route rules left after stop"
pass "peer routes with initcwnd $IW on edge and core, peer legs start with it, removed on stop"
