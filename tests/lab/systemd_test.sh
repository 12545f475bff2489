#!/bin/bash
# Issue 4 item 7 and non-negotiable 6: the unit files pass `systemd-analyze verify`; the daemon
# speaks sd_notify (READY, RELOADING then READY on SIGHUP, STOPPING) to a NOTIFY_SOCKET this
# test provides; it runs as an unprivileged user with only CAP_NET_ADMIN and CAP_NET_RAW; its
# control socket is root/group only; --remove-rules leaves no interception rules behind.
. "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)

# systemd-analyze verify checks that ExecStart binaries exist: verify copies of the units whose
# paths point at this build.
tmp=$(mktemp -d)
trap 'rc=$?; jobs -p | xargs -r kill 2>/dev/null; rm -rf "$tmp"; (exit $rc); cleanup_labs' EXIT
for u in bridgehead.service bridgehead-redirect.service; do
  sed -e "s#/usr/sbin/bridgehead#$BH_BIN/bridgehead#g" "$SRC/systemd/$u" >"$tmp/$u"
done
out=$(cd "$tmp" && systemd-analyze verify --man=no ./bridgehead.service ./bridgehead-redirect.service 2>&1)
# The bridgehead user exists only after `make install`; everything else must be clean.
bad=$(echo "$out" | grep -v -E "^\s*$|[Uu]ser.*bridgehead|bridgehead.*user" || true)
[ -z "$bad" ] || fail "systemd-analyze verify: $bad"
pass "systemd-analyze verify: units clean"

lab_up sd --no-bridgehead
D=/run/bhlab/$LAB
mkdir -p "$D/edge"
/usr/bin/python3 - "$D/notify.sock" "$D/notify.log" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)  # as systemd's: the daemon writes after dropping root
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        msg = s.recv(4096).decode()
        log.write(msg.replace("\n", " ") + "\n")
        if "STOPPING=1" in msg:
            break
PY
listener=$!
wait_for 20 "the NOTIFY_SOCKET listener" test -S "$D/notify.sock"
# The store key as systemd hands it (a credential): the daemon never makes /etc/bridgehead here.
mkdir -p -m 0700 "$D/credentials"
(umask 077; head -c 32 /dev/urandom >"$D/credentials/bridgehead-store-key")
in_lab "$LAB" edge env NOTIFY_SOCKET="$D/notify.sock" CREDENTIALS_DIRECTORY="$D/credentials" "$BH_BIN/bridgehead" \
  --config "$BH_BIN/../config/lab-edge.json" --role edge --control "$D/edge.sock" \
  --state-dir "$D/edge" --pidfile "$D/edge.pid" >"$D/edge.log" 2>&1 &
poll 30 grep -q "READY=1" "$D/notify.log" || fail "no READY=1: $(cat "$D/edge.log")"
pass "READY=1 after setup ($(head -1 "$D/notify.log"))"

pid=$(cat "$D/edge.pid")
user=$(ps -o user= -p "$pid")
[ "$user" != root ] || fail "the daemon still runs as root"
capeff=$(awk '/^CapEff/ {print $2}' /proc/$pid/status)
capbnd=$(awk '/^CapBnd/ {print $2}' /proc/$pid/status)
[ "$capeff" = 0000000000003000 ] || fail "effective capabilities $capeff, want NET_ADMIN+NET_RAW only"
[ "$capbnd" = 0000000000003000 ] || fail "bounding set $capbnd, want NET_ADMIN+NET_RAW only"
mode=$(stat -c %a "$D/edge.sock")
[ "$mode" = 660 ] || fail "control socket mode $mode, want 660"
pass "runs as $user, CapEff=$capeff CapBnd=$capbnd, control socket mode $mode"

kill -HUP "$pid"
poll 30 eval '[ "$(grep -c READY=1 "$D/notify.log")" -ge 2 ]'
grep -q "RELOADING=1" "$D/notify.log" || fail "no RELOADING=1 on SIGHUP"
[ "$(grep -c READY=1 "$D/notify.log")" -ge 2 ] || fail "no READY=1 after the reload"
pass "SIGHUP: RELOADING=1 then READY=1"

in_lab "$LAB" edge nft list tables | grep -q bridgehead || fail "rules not installed while running"
kill -TERM "$pid"
wait $listener
wait_for 30 "the daemon to exit after SIGTERM" gone "$pid"
grep -q "STOPPING=1" "$D/notify.log" || fail "no STOPPING=1"
in_lab "$LAB" edge nft list tables | grep -q bridgehead && fail "rules left after stop"
pass "SIGTERM: STOPPING=1, rules removed"

# A crash leaves rules; --remove-rules (ExecStopPost) takes them away.
rm -f "$D/edge.sock" "$D/edge.pid"
in_lab "$LAB" edge env CREDENTIALS_DIRECTORY="$D/credentials" "$BH_BIN/bridgehead" \
  --config "$BH_BIN/../config/lab-edge.json" --role edge --control "$D/edge.sock" --state-dir "$D/edge" --pidfile "$D/edge.pid" >>"$D/edge.log" 2>&1 &
wait_for 30 "the second daemon's socket, pid file and rules" \
  eval '[ -S "$D/edge.sock" ] && [ -s "$D/edge.pid" ] && in_lab "$LAB" edge nft list tables | grep -q bridgehead'
pid=$(cat "$D/edge.pid")
kill -KILL "$pid"
wait_for 30 "the SIGKILLed daemon to be gone" gone "$pid"
in_lab "$LAB" edge nft list tables | grep -q bridgehead || fail "expected leftover rules after SIGKILL"
in_lab "$LAB" edge "$BH_BIN/bridgehead" --remove-rules --config "$BH_BIN/../config/lab-edge.json" --role edge >/dev/null 2>&1
in_lab "$LAB" edge nft list tables | grep -q bridgehead && fail "--remove-rules left the nft table"
in_lab "$LAB" edge iptables -t mangle -S | grep -q BRIDGEHEAD && fail "--remove-rules left iptables chains"
in_lab "$LAB" edge ip rule | grep -q 0x1b01 && fail "--remove-rules left the policy-routing rule"
pass "after SIGKILL, --remove-rules cleans nft, iptables and policy routing"
