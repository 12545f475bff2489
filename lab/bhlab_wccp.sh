# bhlab_wccp.sh: `bhlab up --wccp [N]` (sourced by bhlab). The edge node becomes the branch's
# WCCPv2 router, running bh-wccp-router instead of a bridgehead; N boxes (wae1..waeN, namespaces
# bh-NAME-waeI) hang one-armed off it on their own segment, each a bridgehead in interception
# mode wccp; the core stays inline:
#
#   client --lan0-- edge (router) --wan0-- wan -- core -- server
#                     | wccpbr 10.91.5.1/24 (the router id)
#         wae1 10.91.5.11   wae2 10.91.5.12   ...   (eth0, default route via 10.91.5.1)
#
# The router redirects TCP arriving on lan0 (service 61: client to server, by the client's
# address) and on wan0 (62: server to client, by the client's address too), never what comes in
# on wccpbr (the boxes' own traffic: redirect exclude in). State: $STATE_ROOT/NAME/router.*,
# waeI.* beside the other nodes'.
#
# Options (bhlab up): --wccp [N] (default 1, at most 8), --wccp-forwarding gre|l2,
# --wccp-return gre|l2, --wccp-assignment hash|mask, --wccp-password P (the boxes'),
# --wccp-router-password P (default: the boxes'), --wccp-mask M (the boxes' mask over the
# client's address, e.g. 0x3), --wccp-router-args "ARGS" (more for bh-wccp-router, e.g.
# "--forwarding l2 --assignment mask", or "--new-router-id ADDR": the ID it takes on SIGUSR1 to
# $STATE_ROOT/NAME/router.pid; ADDR must be an address of the edge node), --wccp-standby K (the
# last K of the N boxes are built, namespace and config, but their daemons are not started:
# `bhlab start NAME waeI` starts one, e.g. after a test has edited its config, without the farm
# first counting it as a member).

WCCP_BOXES=0
WCCP_FORWARDING=gre
WCCP_RETURN=gre
WCCP_ASSIGNMENT=hash
WCCP_PASSWORD=bh61pw
WCCP_ROUTER_PASSWORD=
WCCP_ROUTER_ARGS=
WCCP_MASK=
WCCP_STANDBY=0
WCCP_QUEUE=9
WCCP_SHIFT=1

# wccp_option ARGS...: parses one --wccp* option; sets WCCP_SHIFT to the words it used.
wccp_option() {
  WCCP_SHIFT=2
  [ "$1" = --wccp ] || [ $# -ge 2 ] || die "$1 needs a value"
  case "$1" in
    --wccp)
      if [[ "${2:-}" =~ ^[0-9]+$ ]]; then WCCP_BOXES=$2; else WCCP_BOXES=1; WCCP_SHIFT=1; fi
      [ "$WCCP_BOXES" -ge 1 ] && [ "$WCCP_BOXES" -le 8 ] || die "--wccp N: 1-8 boxes" ;;
    --wccp-forwarding) WCCP_FORWARDING=$2 ;;
    --wccp-return) WCCP_RETURN=$2 ;;
    --wccp-assignment) WCCP_ASSIGNMENT=$2 ;;
    --wccp-password) WCCP_PASSWORD=$2 ;;
    --wccp-router-password) WCCP_ROUTER_PASSWORD=$2 ;;
    --wccp-router-args) WCCP_ROUTER_ARGS=$2 ;;
    --wccp-mask) WCCP_MASK=$2 ;;
    --wccp-standby)
      [[ "$2" =~ ^[0-9]+$ ]] || die "--wccp-standby K: a number of boxes"
      WCCP_STANDBY=$2 ;;
    *) usage >&2; exit 2 ;;
  esac
}

wccp_addr4() { # wccp_addr4 NODE
  case "$1" in
    wae[1-8]) echo "10.91.5.$((10 + ${1#wae}))" ;;
    router) echo 10.91.5.1 ;;
    *) return 1 ;;
  esac
}

# wccp_nodes NAME: the lab's box namespaces' node names (wae1...), as they exist.
wccp_nodes() {
  ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^bh-$1-\(wae[0-9]*\)$/\1/p"
}

# wccp_box_config NAME I: the box's config, the lab edge's with interception mode wccp.
wccp_box_config() {
  local name=$1 i=$2 d="$STATE_ROOT/$1"
  jq --arg fw "$WCCP_FORWARDING" --arg ret "$WCCP_RETURN" --arg asg "$WCCP_ASSIGNMENT" \
    --arg pw "$WCCP_PASSWORD" --arg id "0:1a:64:d3:2f:c$i" --arg host "lab-wae$i" \
    --arg mask "$WCCP_MASK" '
    .device.id = $id | .device.hostname = $host |
    .interception = {mode: "wccp", nfqueue: 7,
      wccp: ({routers: ["10.91.5.1"], services: [61, 62], password: $pw,
              forwarding: $fw, return: $ret, assignment: $asg}
             + (if $mask == "" then {} else {mask: $mask} end))}' \
    "$BIN_DIR/../config/lab-edge.json" >"$d/wae$i-config.json"
}

# wccp_start_box NAME I: starts box I's bridgehead; returns once its control socket is there.
wccp_start_box() {
  local name=$1 i=$2 d="$STATE_ROOT/$1" node="wae$2"
  mkdir -p "$d/$node"
  rm -f "$d/$node.sock"
  local creds=()
  store_credentials "$d" "$node" "$d/$node-config.json"
  in_ns "$(ns "$name" "$node")" "${creds[@]}" "$BIN_DIR/bridgehead" --config "$d/$node-config.json" \
    --role edge --control "$d/$node.sock" --state-dir "$d/$node" \
    --pidfile "$d/$node.pid" >>"$d/$node.log" 2>&1 </dev/null &
  local launcher=$! n=0
  while [ ! -S "$d/$node.sock" ]; do
    n=$((n + 1))
    if [ $n -gt 200 ] || ! kill -0 "$launcher" 2>/dev/null; then
      echo "bhlab: bridgehead on $node did not start:" >&2; tail -20 "$d/$node.log" >&2
      return 1
    fi
    sleep 0.05
  done
}

# wccp_start_router NAME: bh-wccp-router in the edge node; returns once it is ready.
wccp_start_router() {
  local name=$1 d="$STATE_ROOT/$1" pw=${WCCP_ROUTER_PASSWORD:-$WCCP_PASSWORD}
  local args=(--router-id 10.91.5.1 --service 61:lan0 --service 62:wan0 --box-link wccpbr
    --queue "$WCCP_QUEUE" --status "$d/router.status" --ready "$d/router.ready")
  [ -n "$pw" ] && args+=(--password "$pw")
  rm -f "$d/router.ready"
  # shellcheck disable=SC2086 # WCCP_ROUTER_ARGS is a list of words on purpose
  in_ns "$(ns "$name" edge)" setsid "$BIN_DIR/bh-wccp-router" "${args[@]}" $WCCP_ROUTER_ARGS \
    >>"$d/router.log" 2>&1 </dev/null &
  wait_file "$d/router.ready" 5 || { cat "$d/router.log" >&2; return 1; }
  cp "$d/router.ready" "$d/router.pid"
}

# wccp_build NAME: the router and the boxes (the five base nodes are up, edge without a daemon).
wccp_build() {
  local name=$1 d="$STATE_ROOT/$1" E W
  E=$(ns "$name" edge) W=$(ns "$name" wan)
  echo "wccp=$WCCP_BOXES forwarding=$WCCP_FORWARDING return=$WCCP_RETURN assignment=$WCCP_ASSIGNMENT" \
    >"$d/wccp"
  ip -n "$E" link add wccpbr type bridge
  ip -n "$E" link set wccpbr up
  ip -n "$E" addr add 10.91.5.1/24 dev wccpbr
  # Boxes send with the client's address from wccpbr: no reverse-path filter on the router.
  in_ns "$E" sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
    net.ipv4.conf.wccpbr.rp_filter=0 net.ipv4.conf.lan0.rp_filter=0 net.ipv4.conf.wan0.rp_filter=0
  ip -n "$W" route add 10.91.5.0/24 via 10.91.2.1
  local i B
  for i in $(seq 1 "$WCCP_BOXES"); do
    B=$(ns "$name" "wae$i")
    ip netns add "$B"
    ip -n "$B" link set lo up
    link "w$i" "$E" "wccp$i" "$B" eth0
    ip -n "$E" link set "wccp$i" master wccpbr
    ip -n "$B" addr add "$(wccp_addr4 "wae$i")/24" dev eth0
    ip -n "$B" route add default via 10.91.5.1
    # Returns (what the proxy does not take) are forwarded back out of the agent's TUN.
    in_ns "$B" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
      net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0 \
      net.ipv4.conf.all.send_redirects=0
  done
  # redirect exclude in on wccpbr, in the kernel (the boxes' own traffic never reaches the
  # simulator, which would only give it back; the rule's counter shows it); redirect in on every
  # other interface but the router's own traffic: the simulator takes each packet's service from
  # the interface it came in on (and excludes wccpbr too, should a packet of it be queued).
  # --queue-bypass: without the simulator the router forwards normally (WCCP fails open).
  in_ns "$E" iptables -w -t mangle -A PREROUTING -i wccpbr -p tcp -j ACCEPT
  in_ns "$E" iptables -w -t mangle -A PREROUTING -p tcp -m addrtype ! --dst-type LOCAL \
    -j NFQUEUE --queue-num "$WCCP_QUEUE" --queue-bypass
  wccp_start_router "$name" || return 1
  [ "$WCCP_STANDBY" -lt "$WCCP_BOXES" ] || die "--wccp-standby $WCCP_STANDBY: at least one box must start"
  for i in $(seq 1 "$WCCP_BOXES"); do
    wccp_box_config "$name" "$i"
    # Standby boxes (the last WCCP_STANDBY): built, not started.
    [ "$i" -le $((WCCP_BOXES - WCCP_STANDBY)) ] || continue
    wccp_start_box "$name" "$i" || return 1
  done
}

# wccp_down NAME: the boxes' namespaces (their daemons and the router were killed by pid file).
wccp_down() {
  local n nsn
  for n in $(wccp_nodes "$1"); do
    nsn=$(ns "$1" "$n")
    ip netns pids "$nsn" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
    ip netns del "$nsn" 2>/dev/null
  done
}
