#!/bin/bash
# bhlab up --ad: the lab's Samba AD DC. The client namespace resolves the realm's names through
# it and gets Kerberos tickets as the Outlook user for the Exchange server's SPNs; directory
# replication (DCSync, python3-impacket's secretsdump) of the Exchange account's keys succeeds for
# the replication identity, gives the keys of the exported keytab, and is refused
# (ERROR_DS_DRA_ACCESS_DENIED) for the identity without the rights; one DC per machine; `down`
# (and a failed `up --ad`) leaves nothing. No key or password is ever printed: the oracle
# compares inside and says match or mismatch. Uses the machine's one lab DC (RESOURCE_LOCK).
. "$(dirname "$0")/lib.sh"
TOOLS=$(cd "$(dirname "$0")/tools" && pwd)

t0=$EPOCHREALTIME
lab_up labad --ad --no-bridgehead
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
A=/run/bhlab/$LAB/ad
pass "bhlab up --ad in $took s"

[ "$(stat -c %a "$A")" = 700 ] || fail "$A is mode $(stat -c %a "$A"), not 0700"
for f in exch1.keytab bhcore.keytab administrator.password alice.password bhrepl.password bhnorepl.password; do
  [ -s "$A/$f" ] || fail "no $A/$f"
  [ "$(stat -c %a "$A/$f")" = 600 ] || fail "$A/$f is mode $(stat -c %a "$A/$f"), not 0600"
done
klist -k "$A/exch1.keytab" | grep -q 'EXCH1\$@BHLAB.TEST' || fail "exch1.keytab holds no EXCH1\$ key"
klist -k "$A/bhcore.keytab" | grep -q 'BHCORE\$@BHLAB.TEST' || fail "bhcore.keytab holds no BHCORE\$ key"
pass "keytabs (EXCH1\$, the core's BHCORE\$) and passwords in $A, root-only"
"$BHLAB" status "$LAB" | grep -q 'domain controller: running' || fail "bhlab status does not show the DC"

resolves() { # resolves NAME ADDR: from the client namespace, through the DC's DNS
  [ "$(in_lab "$LAB" client getent ahostsv4 "$1" | awk 'NR == 1 { print $1 }')" = "$2" ]
}
resolves dc1.bhlab.test 10.91.5.1 || fail "the client does not resolve dc1.bhlab.test through the DC"
resolves exch1.bhlab.test 10.91.4.2 || fail "the client does not resolve exch1.bhlab.test to the server"
grep -q '^nameserver 10.91.5.1' "/etc/netns/bh-$LAB-core/resolv.conf" || fail "core does not resolve through the DC"
pass "lab namespaces resolve the realm's names through the DC"

CC=$(mktemp /tmp/labad-cc.XXXXXX)
trap 'rc=$?; rm -f "$CC"; (exit $rc); cleanup_labs' EXIT
in_lab "$LAB" client env KRB5CCNAME="FILE:$CC" kinit alice@BHLAB.TEST <"$A/alice.password" >/dev/null ||
  fail "kinit as alice from the client namespace"
in_lab "$LAB" client env KRB5CCNAME="FILE:$CC" kvno exchangeMDB/exch1.bhlab.test exchangeAB/exch1.bhlab.test \
  >/dev/null || fail "no service tickets for exchangeMDB/ and exchangeAB/exch1.bhlab.test"
klist -c "FILE:$CC" | grep -q 'exchangeMDB/exch1.bhlab.test@BHLAB.TEST' || fail "no exchangeMDB ticket in the cache"
pass "alice gets a TGT and tickets for exchangeMDB/ and exchangeAB/exch1.bhlab.test"

# all_gone PID...: every one ended.
all_gone() {
  local p
  for p in "$@"; do gone "$p" || return 1; done
}

dcsync() { # dcsync USER: the oracle's verdict line
  in_lab "$LAB" client /usr/bin/python3 "$TOOLS/dcsync_oracle.py" --dc 10.91.5.1 --domain BHLAB \
    --user "$1" --password-file "$A/$1.password" --account 'EXCH1$' --keytab "$A/exch1.keytab"
}
out=$(dcsync bhrepl); rc=$?
[ $rc -eq 0 ] || fail "DCSync as bhrepl: $out"
grep -q '^keytab: match .*arcfour-hmac' <<<"$out" || fail "DCSync as bhrepl: $out"
grep -q '^keytab: match .*aes256-cts-hmac-sha1-96' <<<"$out" || fail "DCSync as bhrepl: $out"
pass "DCSync as bhrepl replicates EXCH1\$'s keys, equal to its keytab's ($(sed -n 's/^keytab: match //p' <<<"$out"))"

out=$(dcsync bhnorepl); rc=$?
[ $rc -eq 3 ] || fail "DCSync as bhnorepl was not refused (rc $rc): $out"
pass "DCSync as bhnorepl refused: $out"

# One DC per machine: a second lab with --ad is refused, and the first keeps its DC.
second="labad2$$"; second=${second:0:16}
LABS="$LABS $second"
if "$BHLAB" up --name "$second" --ad --no-bridgehead >/dev/null 2>&1; then
  fail "a second lab DC was brought up"
fi
ip netns list | grep -q "bh-$second-" && fail "the refused second lab left namespaces"
resolves dc1.bhlab.test 10.91.5.1 || fail "the refused second lab broke the first one's DC"
pass "a second up --ad is refused while one lab DC runs"

dc_pids=$(ip netns pids "bh-$LAB-dc")
[ -n "$dc_pids" ] || fail "nothing runs in the DC's namespace"
"$BHLAB" down "$LAB" || fail "bhlab down $LAB"
ip netns list | grep -q "bh-$LAB-" && fail "down left namespaces"
ls -d /etc/netns/bh-"$LAB"-* >/dev/null 2>&1 && fail "down left /etc/netns/bh-$LAB-*"
[ -e /run/bhlab/$LAB ] && fail "down left /run/bhlab/$LAB"
[ -e /run/bhlab-dc ] && fail "down left /run/bhlab-dc"
[ -e /run/samba/winbindd ] && fail "down left /run/samba/winbindd"
# shellcheck disable=SC2086
poll 5 all_gone $dc_pids || fail "a process of the DC outlived down"
pass "bhlab down: no namespace, no samba, no file"

# A failed up --ad (an impossible rate: tc fails after the DC started) removes all of it too.
bad="labadbad$$"; bad=${bad:0:16}
LABS="$LABS $bad"
if "$BHLAB" up --name "$bad" --ad --no-bridgehead --rate 0.0000001 >/dev/null 2>&1; then
  fail "bhlab up accepted a rate tc cannot do"
fi
ip netns list | grep -q "bh-$bad-" && fail "a failed up --ad left namespaces"
ls -d /etc/netns/bh-"$bad"-* >/dev/null 2>&1 && fail "a failed up --ad left /etc/netns entries"
[ -e /run/bhlab/$bad ] || [ -e /run/bhlab-dc ] && fail "a failed up --ad left its state"
pgrep -f "^samba -s /run/bhlab-dc/" >/dev/null && fail "a failed up --ad left samba running"
pass "a failed bhlab up --ad removes the DC and its files"
