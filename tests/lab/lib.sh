# Shared helpers for lab tests (sourced). Every lab a test creates is registered with
# lab_up and removed on exit, on failure too; --owner lets `bhlab reap` remove it even if the
# test is killed with SIGKILL.
set -u
BH_BIN=${BH_BIN:-$(cd "$(dirname "$0")/../../build/bin" && pwd)}
BHLAB="$BH_BIN/bhlab"
LABS=""
TEST_NAME=$(basename "$0" .sh)

cleanup_labs() {
  local rc=$?
  for l in $LABS; do
    # On failure, show what the daemons said before the lab (and its logs) goes away.
    if [ $rc -ne 0 ]; then
      for f in /run/bhlab/$l/*.log; do
        [ -f "$f" ] || continue
        echo "--- $f (last 15 lines)" >&2; tail -n 15 "$f" >&2
      done
    fi
    "$BHLAB" down "$l" >/dev/null 2>&1
  done
}
trap cleanup_labs EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
pass() { echo "ok   [$TEST_NAME]: $*"; }

# lab_up SUFFIX ARGS... -> echoes nothing; sets LAB to the lab's name.
lab_up() {
  local suffix=$1; shift
  LAB="${suffix}$$"
  LAB=${LAB:0:16}
  LABS="$LABS $LAB"
  "$BHLAB" up --name "$LAB" --owner $$ "$@" >/dev/null || fail "bhlab up $LAB $*"
}

in_lab() { local lab=$1 node=$2; shift 2; "$BHLAB" exec "$lab" "$node" -- "$@"; }

# median_rtt LAB COUNT DEST: median ping RTT in ms.
median_rtt() {
  in_lab "$1" client ping -n -c "$2" -i 0.05 "$3" 2>/dev/null |
    sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -n |
    awk '{a[NR]=$1} END {if (NR == 0) print "none"; else print a[int((NR+1)/2)]}'
}

# within VALUE TARGET PCT: true if VALUE is within PCT % of TARGET.
within() { awk -v v="$1" -v t="$2" -v p="$3" 'BEGIN { exit !(v >= t*(1-p/100) && v <= t*(1+p/100)) }'; }

# iperf_mbit LAB [iperf3 client args...]: receiver-side rate in Mbit/s (slow start omitted).
# One retry: on a loaded machine the one-off server may not be up the first time.
iperf_mbit() {
  local lab=$1; shift
  local try r
  for try in 1 2; do
    r=$(iperf_once "$lab" "$@")
    if [ -n "$r" ]; then echo "$r"; return 0; fi
    echo "iperf_mbit: attempt $try failed" >&2
    sleep 1
  done
  return 1
}

# iperf_server LAB: a one-off iperf3 server on the server node, listening when this returns.
iperf_server() {
  local lab=$1
  # A one-off server of an earlier call may still be exiting: wait until its port is free.
  for _ in $(seq 50); do
    [ -z "$(in_lab "$lab" server ss -Hltn 'sport = :5201')" ] && break
    sleep 0.1
  done
  in_lab "$lab" server iperf3 -s -1 -D >/dev/null 2>&1
  for _ in $(seq 100); do
    [ -n "$(in_lab "$lab" server ss -Hltn 'sport = :5201')" ] && break
    sleep 0.1
  done
}

iperf_once() {
  local lab=$1; shift
  iperf_server "$lab"
  in_lab "$lab" client iperf3 -c 10.91.4.2 -t 6 -O 2 -J "$@" 2>/dev/null |
    /usr/bin/python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
    print(round(d["end"]["sum_received"]["bits_per_second"] / 1e6, 3))
except Exception as e:
    sys.stderr.write("iperf3: %s\n" % (d.get("error") if "d" in dir() else e))
'
}
