#!/bin/bash
# Throughput of one TCP stream client->server through an edge box in the path (inline, with its
# core) and through the same box one-armed off a WCCPv2 router (bhlab --wccp 1: the router's
# NFQUEUE picks the service's TCP, GRE to the box, the box's raw socket and TUN into TPROXY; the
# core inline as before), measured alternately ROUNDS times in one run; medians and the ratio.
# Issue 19 goal: WCCP GRE >= 0.5 x inline.
out=${1:-build/bench}
. "$(dirname "$0")/../tests/lab/lib.sh"
ROUNDS=${ROUNDS:-3}
lab_up bwi; inline_lab=$LAB
lab_up bwccp --wccp 1; wccp_lab=$LAB
settled() {
  /usr/bin/python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(0 if all(c["usable"] and c["assigned"] for s in j["services"] for c in s["caches"])
         and all(s["caches"] and s["assignment_complete"] for s in j["services"]) else 1)' \
    "/run/bhlab/$wccp_lab/router.status" 2>/dev/null
}
wait_for 90 "the WCCP farm to assign" settled
i=() w=()
for r in $(seq "$ROUNDS"); do
  i+=("$(iperf_mbit "$inline_lab")")
  w+=("$(iperf_mbit "$wccp_lab")")
done
redirected=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["packets"]["redirected_gre"])' "/run/bhlab/$wccp_lab/router.status")
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mi=$(median "${i[@]}"); mw=$(median "${w[@]}")
/usr/bin/python3 - "$out/wccp.json" "$mi" "$mw" "${i[*]}" "${w[*]}" "$redirected" <<'PY'
import json, sys
path, mi, mw = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
res = {"unit": "Mbit/s, one TCP stream, median of rounds",
       "inline": mi, "wccp_gre": mw,
       "rounds": {"inline": sys.argv[4].split(), "wccp_gre": sys.argv[5].split()},
       "gre_packets_redirected_by_the_router": int(sys.argv[6]),
       "ratio_wccp_gre_to_inline": round(mw / mi, 3),
       "goal_ratio": 0.5}
json.dump(res, open(path, "w"), indent=2)
print("inline %.0f Mbit/s | WCCP GRE %.0f (%.2fx, goal 0.5x)   -> %s" % (mi, mw, mw / mi, path))
PY
