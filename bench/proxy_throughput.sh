#!/bin/bash
# Throughput of one TCP stream client->server on the lab without WAN limits: direct (no
# bridgehead), pass-through (edge without a core) and optimized (edge + core), measured
# alternately ROUNDS times; reports medians and the ratios to direct.
# Issue 3 goal: pass-through >= 0.5 x direct.
out=${1:-build/bench}
. "$(dirname "$0")/../tests/lab/lib.sh"
ROUNDS=${ROUNDS:-3}
lab_up bd --no-bridgehead; direct_lab=$LAB
lab_up bp --no-core; pt_lab=$LAB
lab_up bo; opt_lab=$LAB
d=() p=() o=()
for r in $(seq "$ROUNDS"); do
  d+=("$(iperf_mbit "$direct_lab")")
  p+=("$(iperf_mbit "$pt_lab")")
  o+=("$(iperf_mbit "$opt_lab")")
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
md=$(median "${d[@]}"); mp=$(median "${p[@]}"); mo=$(median "${o[@]}")
/usr/bin/python3 - "$out/proxy.json" "$md" "$mp" "$mo" "${d[*]}" "${p[*]}" "${o[*]}" <<'PY'
import json, sys
path, md, mp, mo = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
res = {"unit": "Mbit/s, one TCP stream, median of rounds",
       "direct": md, "pass_through": mp, "optimized": mo,
       "rounds": {"direct": sys.argv[5].split(), "pass_through": sys.argv[6].split(),
                  "optimized": sys.argv[7].split()},
       "ratio_pass_through_to_direct": round(mp / md, 3),
       "ratio_optimized_to_direct": round(mo / md, 3),
       "goal_pass_through_ratio": 0.5}
json.dump(res, open(path, "w"), indent=2)
print("direct %.0f Mbit/s | pass-through %.0f (%.2fx) | optimized %.0f (%.2fx)   -> %s"
      % (md, mp, mp / md, mo, mo / md, path))
PY
