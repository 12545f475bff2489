#!/bin/bash
# Issue 17, the seed's Problem 2 (clock skew named with the measured offset): the encryption
# service's clock probe (secure/kerberos/kdc_clock.h, driven here by the test tool bh-kdc-clock)
# against a real MIT KDC (Debian's krb5-kdc) in a network namespace this test makes, first with
# the KDC on our clock, then 10 minutes ahead (Debian's faketime on the KDC). Everything the test
# starts is stopped and removed on exit, on failure too.
. "$(dirname "$0")/lib.sh"
for t in krb5kdc kdb5_util kadmin.local faketime; do
  command -v $t >/dev/null || fail "missing $t (scripts/deps installs it)"
done
PROBE="$BH_BIN/bh-kdc-clock"
[ -x "$PROBE" ] || fail "missing $PROBE (build first)"

NS="bhkdc$$"
DIR=$(mktemp -d /run/bh-kdc-clock.XXXXXX)
KDC_PID=""
# faketime runs krb5kdc as its child: stop every process in the namespace, by pid.
stop_kdc() {
  local p
  for p in $(ip netns pids "$NS" 2>/dev/null) $KDC_PID; do
    kill "$p" 2>/dev/null
    poll 10 gone "$p"
  done
  KDC_PID=""
}
cleanup() {
  stop_kdc
  ip netns del "$NS" 2>/dev/null
  rm -rf "$DIR"
}
trap 'cleanup; cleanup_labs' EXIT

REALM=CLOCK.LAB
PORT=8888
cat >"$DIR/krb5.conf" <<CONF
[libdefaults]
  default_realm = $REALM
[realms]
  $REALM = { kdc = 127.0.0.1:$PORT }
CONF
cat >"$DIR/kdc.conf" <<CONF
[kdcdefaults]
  kdc_listen = 127.0.0.1:$PORT
  kdc_tcp_listen = 127.0.0.1:$PORT
[realms]
  $REALM = {
    database_name = $DIR/principal
    key_stash_file = $DIR/stash
    acl_file = $DIR/kadm5.acl
  }
[logging]
  kdc = FILE:$DIR/kdc.log
CONF
: >"$DIR/kadm5.acl"
export KRB5_CONFIG="$DIR/krb5.conf" KRB5_KDC_PROFILE="$DIR/kdc.conf"
# A random master password: nothing here is a secret worth keeping, and nothing is printed.
kdb5_util -r $REALM create -s -P "$(head -c 12 /dev/urandom | base64)" >/dev/null 2>&1 ||
  fail "kdb5_util create"
kadmin.local -r $REALM -q "addprinc -randkey +requires_preauth probe@$REALM" >/dev/null 2>&1 ||
  fail "kadmin.local addprinc"

ip netns add "$NS" || fail "ip netns add $NS"
ip -n "$NS" link set lo up

# start_kdc [FAKETIME-SPEC]: krb5kdc in the foreground of a background job, listening when done.
start_kdc() {
  local pre=()
  [ -n "${1:-}" ] && pre=(faketime -f "$1")
  ip netns exec "$NS" "${pre[@]}" krb5kdc -n -r $REALM >>"$DIR/kdc.out" 2>&1 &
  KDC_PID=$!
  wait_for 20 "krb5kdc to listen on 127.0.0.1:$PORT" \
    eval "[ -n \"\$(ip netns exec $NS ss -Hltn 'sport = :$PORT')\" ]"
}
# probe -> sets OFFSET_S (the KDC's clock minus ours, seconds with decimals) and LINE.
probe() {
  LINE=$(ip netns exec "$NS" "$PROBE" 127.0.0.1 $PORT "probe@$REALM") ||
    fail "bh-kdc-clock failed: $LINE $(tail -3 "$DIR/kdc.log" 2>/dev/null)"
  OFFSET_S=$(echo "$LINE" | sed -n 's/.*offset_us=\(-\?[0-9]*\).*/\1/p' |
    awk '{ printf "%.3f", $1 / 1e6 }')
}

start_kdc
probe
case "$LINE" in *"error=KDC_ERR_PREAUTH_REQUIRED realm=$REALM"*) ;; *) fail "unexpected answer: $LINE" ;; esac
awk -v o="$OFFSET_S" 'BEGIN { exit !(o > -2 && o < 2) }' ||
  fail "a KDC on our clock measured $OFFSET_S s off"
pass "KDC on our clock: offset $OFFSET_S s ($LINE)"
stop_kdc

start_kdc "+600s"
probe
awk -v o="$OFFSET_S" 'BEGIN { exit !(o > 595 && o < 605) }' ||
  fail "a KDC 600 s ahead measured $OFFSET_S s ahead"
pass "KDC 10 minutes ahead (faketime): measured offset $OFFSET_S s, within 5 s of the truth"
