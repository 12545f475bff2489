#!/bin/bash
# Issue 19, "GRE and L2 forwarding, hash and mask assignment: each combination a lab test".
# wccp_test.sh runs GRE/hash with three boxes; here a farm of two boxes for each of the other
# three: L2/mask (a Catalyst's way: only the destination MAC rewritten, the mask over the
# client's address choosing the box), GRE/mask and L2/hash, return as forwarding. Each: 400
# flows of 200 clients byte-exact, both boxes used, every client's connections on one box, the
# router redirected by the negotiated method only, and tshark dissects every WCCP message and
# GRE packet on the boxes' link with nothing malformed and nothing above "note". Then a router
# that offers a forwarding, an assignment or a return method the boxes do not use: the mismatch
# named in show wccp and the log, no redirection, nothing lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/wccp_lib.sh"

# combination_up FORWARDING ASSIGNMENT: one farm of two boxes with these methods (return as
# forwarding), its capture, its server and its clients; the lab's name in COMBO_LAB[FW/ASG].
# All three come up first: their farms settle (HERE_I_AM every 10 s, the assignment after
# 1.5 x T of stable membership) at the same time, each while the one before is checked.
declare -A COMBO_LAB
combination_up() {
  local fw=$1 asg=$2 mask=()
  [ "$asg" = mask ] && mask=(--wccp-mask 0x3)
  lab_up "wccpm${fw:0:1}${asg:0:1}" --wccp 2 --wccp-forwarding "$fw" --wccp-return "$fw" \
    --wccp-assignment "$asg" "${mask[@]}"
  COMBO_LAB[$fw/$asg]=$LAB
  wccp_capture
  wccp_server
  wccp_clients 10 209
}

# combination FORWARDING ASSIGNMENT: that farm's flows, its counters and its capture; the lab is
# taken down after.
combination() {
  local fw=$1 asg=$2 what="$1 forwarding and return, $2 assignment"
  LAB=${COMBO_LAB[$fw/$asg]}
  wait_for 90 "$what: two usable boxes and an executed assignment" farm_settled 2
  if [ "$asg" = mask ]; then
    "$BHLAB" ctl "$LAB" wae1 show wccp masks | grep -q "0x00000003" ||
      fail "$what: show wccp masks: $("$BHLAB" ctl "$LAB" wae1 show wccp masks)"
  fi
  wccp_flows 400 2 "$what"
  if [ "$fw" = l2 ]; then
    router_json "j['packets']['redirected_l2'] > 1000 and j['packets']['redirected_gre'] == 0"
  else
    router_json "j['packets']['redirected_gre'] > 1000 and j['packets']['redirected_l2'] == 0"
  fi || fail "$what: not redirected by $fw alone: $(cat "/run/bhlab/$LAB/router.status")"
  router_json "j['packets']['send_errors'] == 0" || fail "$what: router send errors"
  wccp_tshark_clean "$what" "$([ "$fw" = gre ] && echo 1000 || echo 0)"
  "$BHLAB" down "$LAB" >/dev/null
}

combination_up l2 mask
combination_up gre mask
combination_up l2 hash
combination l2 mask
combination gre mask
combination l2 hash

# mismatch BOX_FW BOX_RET BOX_ASG ROUTER_ARGS KIND: one box with these methods, a router
# offering ROUTER_ARGS: the box names the KIND method the router lacks (show wccp routers, its
# log), the router redirects nothing, flows are forwarded around it, byte-exact.
mismatch() {
  local what="box $1/$2/$3, router $4" kind=$5
  lab_up "wccpx${kind:0:1}" --wccp 1 --wccp-forwarding "$1" --wccp-return "$2" \
    --wccp-assignment "$3" --wccp-router-args "$4"
  wccp_server
  named() { "$BHLAB" ctl "$LAB" wae1 show wccp routers 2>/dev/null | grep -q "offers no $kind method"; }
  wait_for 30 "$what: wae1's show wccp routers to name the $kind mismatch" named
  grep -q "offers no $kind method" "/run/bhlab/$LAB/wae1.log" || fail "$what: the mismatch is not in wae1's log"
  out=$(in_lab "$LAB" client "$FC" client --host 10.91.4.2 --port 5001 --mode both --bytes 65536 --conns 20)
  echo "$out" | grep -q '"ok": 20,' || fail "$what: flows with the methods mismatched: $out"
  router_json "j['packets']['redirected_l2'] == 0 and j['packets']['redirected_gre'] == 0" ||
    fail "$what: redirected although no box is usable: $(cat "/run/bhlab/$LAB/router.status")"
  pass "$what: the $kind mismatch named (show wccp routers, the log); flows forwarded around, byte-exact: $out"
  "$BHLAB" down "$LAB" >/dev/null
}

mismatch l2 l2 mask "--forwarding gre --assignment hash --return gre" forwarding
mismatch gre gre mask "--assignment hash" assignment
mismatch gre l2 hash "--return gre" return
