# Shared helpers of the WCCP lab tests (sourced after lib.sh): the farm's state as the router
# simulator writes it, the clients, the flows through the farm and their spread, and tshark over
# the boxes' link. The tests differ in the methods and the faults, not in how they look.
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

# wccp_server: the byte-exactness server on the server node (:5001), its peers logged to
# /run/bhlab/$LAB/seen.
wccp_server() {
  in_lab "$LAB" server sh -c "$FC server --port 5001 --log /run/bhlab/$LAB/seen >/dev/null 2>&1 &"
  wait_for 20 "the test server to listen on :5001" listening "$LAB" server 5001
}

# wccp_clients FIRST LAST: client addresses 10.91.1.FIRST - 10.91.1.LAST on the client node,
# as a comma-separated list in $sources. One `ip -batch` for all of them: a `bhlab exec` each
# cost 20 s for 200 addresses on a loaded machine.
wccp_clients() {
  sources=""
  local i
  for i in $(seq "$1" "$2"); do
    sources="$sources${sources:+,}10.91.1.$i"
  done
  echo "$sources" | tr ',' '\n' | sed 's|.*|addr add &/24 dev lan0|' |
    in_lab "$LAB" client ip -batch - || fail "client addresses 10.91.1.$1 - 10.91.1.$2"
}

# wccp_capture: tshark on the boxes' link (WCCP and GRE) into /run/bhlab/$LAB/wccp.pcap.
wccp_capture() {
  in_lab "$LAB" edge sh -c "tshark -i wccpbr -f 'udp port 2048 or ip proto 47' -w /run/bhlab/$LAB/wccp.pcap >/dev/null 2>&1 &"
}

# wccp_exact CONNS WHAT: CONNS flows (both directions, 64 KiB each way) from $sources, every one
# byte-exact. Leaves the flowcheck summary in $out.
wccp_exact() {
  out=$(in_lab "$LAB" client sh -c "ulimit -n 8192; $FC client --host 10.91.4.2 --port 5001 --mode both --bytes 65536 --conns $1 --sources $sources")
  echo "$out" | grep -q "\"ok\": $1," || fail "$2: $1 flows: $out"
}

# wccp_flows CONNS BOXES WHAT: wccp_exact, and every box of 1..BOXES took at least a tenth of
# the clients and no client has connections on two boxes (the boxes' logs since the lab came up:
# for a farm whose membership has not changed).
wccp_flows() {
  local conns=$1 boxes=$2 what=$3 i n nclients spread="" dups
  wccp_exact "$conns" "$what"
  nclients=$(echo "$sources" | tr ',' '\n' | wc -l)
  all_clients() { for i in $(seq 1 "$boxes"); do box_clients "$i"; done; }
  wait_for 20 "the boxes' transaction logs to hold $nclients clients" \
    eval '[ "$(all_clients | sort -u | wc -l)" -ge "$nclients" ]'
  for i in $(seq 1 "$boxes"); do
    n=$(box_clients "$i" | wc -l)
    [ "$n" -ge $((nclients / 10)) ] || fail "$what: wae$i took flows of $n clients (the assignment does not spread)"
    spread="$spread wae$i $n"
  done
  dups=$(all_clients | sort | uniq -d | wc -l)
  [ "$dups" -eq 0 ] || fail "$what: $dups clients had connections on two boxes"
  pass "$what: $conns flows of $nclients clients byte-exact, spread (clients:$spread), each client's connections on one box"
}

# wccp_tshark_clean WHAT GRE_MIN: tshark dissects every WCCP message and GRE packet of the
# capture with nothing malformed and no expert item above "note", and the capture holds WCCP
# messages and at least GRE_MIN GRE-redirected packets. The inner TCP's own expert items
# (resets, segments of the other direction not on this link) are the conversation's, not the
# encapsulation's: TCP is left undissected. One tshark pass gives all of it (the capture holds
# tens of thousands of packets: each pass over it costs seconds).
wccp_tshark_clean() {
  local what=$1 gre_min=$2 pcap=/run/bhlab/$LAB/wccp.pcap fields=/run/bhlab/$LAB/wccp.fields
  local pkts bad wmsgs gre
  sleep 1 # tshark writes its capture file in blocks: let the last ones reach it
  tshark -r "$pcap" --disable-protocol tcp -T fields -e frame.number -e _ws.malformed \
    -e _ws.expert.severity -e wccp.message -e gre.proto -E occurrence=a -E aggregator=, \
    >"$fields" 2>/dev/null
  pkts=$(wc -l <"$fields")
  bad=$(awk -F '\t' '$2 != "" { print; next }
      { n = split($3, s, ","); for (i = 1; i <= n; i++) if (s[i] + 0 > 4194304) { print; next } }' "$fields" | head -5)
  [ -z "$bad" ] || fail "$what: tshark: malformed or expert above note: $bad"
  wmsgs=$(awk -F '\t' '$4 != "" { print $4 }' "$fields" | sort | uniq -c | tr -s ' \n' ' ')
  [ -n "$wmsgs" ] || fail "$what: no WCCP message in the capture on wccpbr ($pkts packets)"
  gre=$(awk -F '\t' '$5 ~ /(^|,)0x883e(,|$)/' "$fields" | wc -l)
  [ "$gre" -ge "$gre_min" ] || fail "$what: only $gre GRE-redirected packets in the capture"
  pass "$what: tshark: $pkts packets on the boxes' link ($gre GRE-redirected), none malformed, nothing above note (WCCP message types: $wmsgs)"
}
