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
  # Debian's faketime wrapper keeps its clock in /dev/shm (faketime_shm_PID and
  # sem.faketime_sem_PID) and leaves both behind when it is killed, as cleanups kill it: remove
  # those of wrappers that are gone (a running test's own stay).
  local f p
  for f in /dev/shm/faketime_shm_*; do
    [ -e "$f" ] || continue
    p=${f##*_}
    kill -0 "$p" 2>/dev/null || rm -f "$f" "/dev/shm/sem.faketime_sem_$p"
  done
}
trap cleanup_labs EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL [$TEST_NAME]: $*" >&2; exit 1; }
pass() { echo "ok   [$TEST_NAME]: $*"; }

# Tests wait for conditions, not for time: a fixed sleep before an assert either wastes time or,
# on a loaded machine, asserts too early. A sleep that remains in a test says why in a comment.
#
# poll TIMEOUT_S CMD...: runs CMD every 0.1 s until it succeeds (returns 0) or TIMEOUT_S
# seconds (decimals allowed) have passed (returns 1). CMD may be a shell function, or
# `eval '[ ... ]'` for an inline condition.
poll() {
  local limit_us now_us
  limit_us=$(awk -v t="$1" 'BEGIN { printf "%d", t * 1000000 }'); shift
  now_us=${EPOCHREALTIME/./}
  local end_us=$((now_us + limit_us))
  while :; do
    "$@" && return 0
    now_us=${EPOCHREALTIME/./}
    [ "$now_us" -lt "$end_us" ] || return 1
    sleep 0.1
  done
}

# wait_for TIMEOUT_S DESCRIPTION CMD...: poll, and fail the test naming what it waited for.
wait_for() {
  local limit=$1 what=$2; shift 2
  poll "$limit" "$@" || fail "timed out after ${limit} s waiting for $what"
}

# listening LAB NODE PORT: something listens on TCP PORT in NODE.
listening() { [ -n "$(in_lab "$1" "$2" ss -Hltn "sport = :$3")" ]; }

# gone PID: the process has ended (a zombie not reaped yet counts as ended).
gone() {
  kill -0 "$1" 2>/dev/null || return 0
  case "$(ps -o stat= -p "$1" 2>/dev/null)" in Z*) return 0 ;; esac
  return 1
}

# capture_closed PCAP PORT: every TCP connection to PORT that the capture saw open (its SYN)
# has been seen closing both ways (a FIN from PORT and one to it). The capture tool flushes its
# file as it goes, so this reads a capture still running; stop it once this holds to know the
# whole conversation is in the file.
capture_closed() {
  tshark -r "$1" -Y "tcp.port == $2 && (tcp.flags.syn == 1 || tcp.flags.fin == 1)" -T fields \
    -e tcp.stream -e tcp.srcport -e tcp.dstport -e tcp.flags.syn -e tcp.flags.ack -e tcp.flags.fin \
    2>/dev/null | awk -v p="$2" '
      $4 == "1" && $5 == "0" && $3 == p { open[$1] = 1 }
      $6 == "1" && $2 == p { fin_from[$1] = 1 }
      $6 == "1" && $3 == p { fin_to[$1] = 1 }
      END { n = 0; for (s in open) { n++; if (!(s in fin_from) || !(s in fin_to)) exit 1 }
            exit n == 0 }'
}

# lab_up SUFFIX ARGS... -> echoes nothing; sets LAB to the lab's name: BH_LAB_PREFIX (empty
# unless set: several runners on one machine tell their labs apart by it), SUFFIX, the pid.
lab_up() {
  local suffix=$1; shift
  LAB="${BH_LAB_PREFIX:-}${suffix}$$"
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
  done
  return 1
}

# iperf_server LAB: a one-off iperf3 server on the server node, listening when this returns.
iperf_server() {
  local lab=$1
  # A one-off server of an earlier call may still be exiting: wait until its port is free.
  wait_for 10 "the iperf3 port 5201 to be free on $lab's server" eval "! listening $lab server 5201"
  in_lab "$lab" server iperf3 -s -1 -D >/dev/null 2>&1
  wait_for 20 "iperf3 -s to listen on $lab's server" listening "$lab" server 5201
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
