#!/bin/bash
# Issue 20: the Debian package on this machine. Installs build/deb/bridgehead_<version>_<arch>.deb
# (built by the fixture test lab.package_build, i.e. scripts/make-deb, or by `make deb`), checks
# what it put where (binaries, units enabled, the conffile, the bridgehead user,
# /var/lib/bridgehead, manual pages, bash completion), runs `systemd-analyze verify` on the
# installed units (it must print nothing), starts the service as its unit would (see below) in a
# private network namespace (shipdeb*), reads `bhctl show statistics` through the installed
# control socket, stops it, upgrades over itself (a changed conffile is kept), removes, purges,
# and checks nothing is left but what Debian keeps (the system user). The machine is restored: a
# user this test created is deleted.
#
# This machine has no systemd as PID 1, so `systemctl start` cannot run: the test runs the
# installed unit's own ExecStartPre= and ExecStart= lines, with what the unit's User=,
# AmbientCapabilities= and CapabilityBoundingSet= give (setpriv), RuntimeDirectory= and
# StateDirectory= made as systemd makes them, and ExecStopPost= after the stop. Only the
# daemon this test started is signalled (by its pid).
. "$(dirname "$0")/lib.sh"
SRC=${BH_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
[ "$(id -u)" = 0 ] || fail "needs root"
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
version=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -SVersion)
deb=$(cd "$BH_BIN/.." && pwd)/deb/bridgehead_${version}_${arch}.deb
[ -f "$deb" ] || deb=$("$SRC/scripts/make-deb" | tail -1)
[ -f "$deb" ] || fail "no package: make deb"

# Never touch what is not ours: the package must not be installed, nor anything at its paths.
owned_paths="/usr/sbin/bridgehead /usr/bin/bhctl /etc/bridgehead /var/lib/bridgehead
/run/bridgehead /lib/systemd/system/bridgehead.service /lib/systemd/system/bridgehead-redirect.service"
st=$(dpkg-query -W -f='${Status}' bridgehead 2>/dev/null || true)
[ -z "$st" ] || [ "$st" = "unknown ok not-installed" ] || fail "bridgehead is already installed ($st): not touching it"
for p in $owned_paths; do
  [ ! -e "$p" ] || fail "$p exists and is not this test's: not touching it"
done
user_before=0
getent passwd bridgehead >/dev/null && user_before=1
snapshot() {
  find /etc /usr /lib /var/lib /run -xdev \( -path /run/bhlab -o -path /run/netns \) -prune -o \
    \( -iname '*bridgehead*' -o -iname 'bhctl*' \) -print 2>/dev/null | sort
}
snapshot >"$BH_BIN/../package_test.before"

NS="shipdeb$$"
pid=""
cleanup() {
  local rc=$?
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; sleep 1; kill -KILL "$pid" 2>/dev/null; fi
  ip netns del "$NS" 2>/dev/null
  if dpkg-query -W -f='${Status}' bridgehead 2>/dev/null | grep -q installed; then
    dpkg --purge bridgehead >/dev/null 2>&1
  fi
  rm -rf /run/bridgehead
  if [ $user_before = 0 ] && getent passwd bridgehead >/dev/null; then
    deluser --system --quiet bridgehead >/dev/null 2>&1
    getent group bridgehead >/dev/null && delgroup --system --quiet bridgehead >/dev/null 2>&1
  fi
  exit $rc
}
trap cleanup EXIT

out=$(dpkg -i "$deb" 2>&1) || fail "dpkg -i: $out"
pass "dpkg -i $(basename "$deb")"

for f in /usr/sbin/bridgehead /usr/bin/bhctl /lib/systemd/system/bridgehead.service \
  /lib/systemd/system/bridgehead-redirect.service /usr/share/man/man8/bridgehead.8.gz \
  /usr/share/man/man8/bhctl.8.gz /usr/share/man/man5/bridgehead.json.5.gz \
  /usr/share/bash-completion/completions/bhctl /usr/share/doc/bridgehead/copyright; do
  [ -e "$f" ] || fail "the package did not install $f"
done
dpkg-query -W -f='${Conffiles}\n' bridgehead | grep -q '^ /etc/bridgehead/bridgehead.json ' ||
  fail "/etc/bridgehead/bridgehead.json is not a conffile"
getent passwd bridgehead | grep -q ':/var/lib/bridgehead:/usr/sbin/nologin$' ||
  fail "no bridgehead system user: $(getent passwd bridgehead)"
[ "$(stat -c '%U:%G %a' /var/lib/bridgehead)" = "bridgehead:bridgehead 750" ] ||
  fail "/var/lib/bridgehead is $(stat -c '%U:%G %a' /var/lib/bridgehead)"
for u in bridgehead bridgehead-redirect; do
  [ -L /etc/systemd/system/multi-user.target.wants/$u.service ] || fail "$u.service is not enabled"
done
deps=$(dpkg-query -W -f='${Depends}' bridgehead)
for d in libuv1 nftables iptables iproute2 adduser; do
  echo "$deps" | grep -q "$d" || fail "Depends lacks $d: $deps"
done
echo "$deps" | grep -qE -- '-dev|cmake|scdoc|debhelper' && fail "Depends names build tools: $deps"
pass "installed: binaries, units enabled, conffile, user, /var/lib/bridgehead 0750, man pages, completion; Depends: $deps"

v=$(cd /tmp && systemd-analyze verify /lib/systemd/system/bridgehead.service \
  /lib/systemd/system/bridgehead-redirect.service 2>&1)
[ -z "$v" ] || fail "systemd-analyze verify on the installed units: $v"
pass "systemd-analyze verify on the installed units prints nothing"

# The service as its unit runs it.
unit=/lib/systemd/system/bridgehead.service
line() { sed -n "s/^$1=//p" "$unit" | head -1; }
pre=$(line ExecStartPre) start=$(line ExecStart) stoppost=$(line ExecStopPost)
caps=$(line AmbientCapabilities | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
ip netns add "$NS" || fail "ip netns add $NS"
ip netns exec "$NS" ip link set lo up
install -d -o bridgehead -g bridgehead -m 0750 /run/bridgehead  # RuntimeDirectory=
run_as_unit() {
  ip netns exec "$NS" setpriv --reuid bridgehead --regid bridgehead --init-groups \
    --inh-caps "$caps" --ambient-caps "$caps" --bounding-set "-all,$caps" "$@"
}
# shellcheck disable=SC2086
run_as_unit $pre >/dev/null || fail "ExecStartPre ($pre) failed"
# Not through the function: $! must be the daemon's pid (ip netns exec and setpriv exec it).
# shellcheck disable=SC2086
ip netns exec "$NS" setpriv --reuid bridgehead --regid bridgehead --init-groups \
  --inh-caps "$caps" --ambient-caps "$caps" --bounding-set "-all,$caps" \
  $start >"$BH_BIN/../package_test.log" 2>&1 &
pid=$!
wait_for 30 "the installed daemon's control socket" eval 'bhctl show device >/dev/null 2>&1'
stats=$(bhctl show statistics connection) || fail "bhctl show statistics connection"
echo "$stats" | grep -q "Current Active Optimized Flows" || fail "show statistics connection: $stats"
for s in memory dre auto-discovery "accelerator mapi" "accelerator epm"; do
  # shellcheck disable=SC2086
  bhctl show statistics $s >/dev/null || fail "bhctl show statistics $s"
done
role=$(bhctl --json show device | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["role"])')
[ "$role" = both ] || fail "show device: role $role"
[ "$(ps -o user= -p "$pid")" = bridgehead ] || fail "the daemon runs as $(ps -o user= -p "$pid")"
comp=$(bash -c 'source /usr/share/bash-completion/bash_completion; source /usr/share/bash-completion/completions/bhctl
COMP_WORDS=(bhctl show st); COMP_CWORD=2; COMP_LINE="bhctl show st"; COMP_POINT=13; _bhctl bhctl st show; echo "${COMPREPLY[*]}"')
[ "$comp" = statistics ] || fail "installed completion of 'bhctl show st': '$comp'"
pass "service up as bridgehead in $NS; bhctl show statistics connection/memory/dre/auto-discovery/accelerator answer; completion works"

kill -TERM "$pid"
wait_for 30 "the daemon to stop" gone "$pid"
pid=""
# shellcheck disable=SC2086
run_as_unit $stoppost >/dev/null 2>&1 || fail "ExecStopPost ($stoppost) failed"
ip netns exec "$NS" nft list tables | grep -q bridgehead && fail "rules left after the stop"
rm -rf /run/bridgehead  # RuntimeDirectory= goes with the service
pass "stopped (SIGTERM), ExecStopPost run, no rules left"

# Upgrade over itself: a changed conffile is kept, nothing asked.
sed -i 's/"hostname": "bridgehead"/"hostname": "shipdeb"/' /etc/bridgehead/bridgehead.json
out=$(dpkg -i "$deb" 2>&1 </dev/null) || fail "dpkg -i over itself: $out"
grep -q '"hostname": "shipdeb"' /etc/bridgehead/bridgehead.json || fail "the upgrade replaced the changed conffile"
pass "upgrade over itself keeps the changed conffile"

out=$(dpkg -r bridgehead 2>&1) || fail "dpkg -r: $out"
[ ! -e /usr/sbin/bridgehead ] || fail "dpkg -r left /usr/sbin/bridgehead"
[ -f /etc/bridgehead/bridgehead.json ] || fail "dpkg -r removed the conffile (policy keeps it until purge)"
out=$(dpkg -P bridgehead 2>&1) || fail "dpkg -P: $out"
snapshot >"$BH_BIN/../package_test.after"
left=$(comm -13 "$BH_BIN/../package_test.before" "$BH_BIN/../package_test.after")
[ -z "$left" ] || fail "left after purge: $left"
[ -z "$(dpkg-query -W -f='${Status}' bridgehead 2>/dev/null | grep -v not-installed)" ] ||
  fail "dpkg still knows bridgehead: $(dpkg-query -W -f='${Status}' bridgehead)"
getent passwd bridgehead >/dev/null || fail "the system user went with the purge (Debian keeps it)"
pass "remove keeps the conffile; purge leaves nothing but the bridgehead system user (Debian keeps system users)"
