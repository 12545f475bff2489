#!/bin/bash
# Issue 17 against the lab's Samba AD DC (bhlab up --ad): the core's encryption service fetches
# the Exchange account's keys by DRSUAPI replication as the replication identity (Kerberos,
# sealed bind, DsBind, DsCrackNames, DsGetNCChanges EXOP_REPL_OBJ), and the keys equal the
# ones python3-impacket's secretsdump replicates (the oracle compares them inside; nothing is
# printed); the same as the core's own machine account (a `machine` identity, its keytab
# root-only: read at start, before the daemon drops root). Then the seed's problems, each named:
# an identity without the rights (blacklisted, Problem 1), a wrong password, an SPN the directory
# does not know, a DC that does not answer; the core's clock 10 minutes ahead (Problem 2:
# clock-skew with the offset measured, within 5 s of the truth), then right again (the keys
# come); and no replicated key byte (hex, base64) in the core's log, the sr-errorlog or any show
# output.
# Uses the machine's one lab DC (RESOURCE_LOCK lab_dc).
. "$(dirname "$0")/lib.sh"
TOOLS=$(cd "$(dirname "$0")/tools" && pwd)
CONFIG_DIR="$(cd "$(dirname "$0")/../../config" && pwd)"
command -v ktutil >/dev/null || fail "MIT ktutil missing (krb5-user)"

lab_up esad --ad
D=/run/bhlab/$LAB
A=$D/ad

# configure IDENTITY-PYTHON-DICT [NAME=VALUE...]: the core with the encryption service and that
# one identity, its store in the lab; restarted (the identity's password file is read as root at
# start) with NAME=VALUE in its environment (libfaketime's).
configure() {
  /usr/bin/python3 - "$CONFIG_DIR/lab-core.json" "$D/core-config.json" "$D" "$1" <<'PY'
import json, sys
src, dst, d, ident = sys.argv[1:5]
c = json.load(open(src))
c["wan_secure"] = {"store": {"path": f"{d}/core-secure", "key_file": f"{d}/core-store.key"}}
c["encryption_service"] = {"enabled": True, "timeout_ms": 8000, "identities": [eval(ident)]}
json.dump(c, open(dst, "w"), indent=2)
PY
  # Each identity starts from an empty key cache: the one sealed in the store by the previous
  # configuration would answer for it (restored at start: encryption_service_test checks that).
  rm -f "$D/core-secure/encryption-keys"
  env "${@:2}" "$BHLAB" restart "$LAB" core >/dev/null || fail "core did not start: $(tail -5 "$D/core.log")"
}
CTL() { "$BHLAB" ctl "$LAB" core "$@"; }
field() { /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
getkey() { CTL --json windows-domain diagnostics encryption-service get-key "$1" bhlab.test; }
# settle FQDN: get-key until it is no longer in progress; prints the final JSON.
settle() {
  local j
  for _ in $(seq 100); do
    j=$(getkey "$1")
    [ "$(echo "$j" | field 'j["state"]')" != in-progress ] && { echo "$j"; return 0; }
    sleep 0.2
  done
  echo "$j"
}

configure "{'name': 'repl', 'domain': 'bhlab.test', 'principal': 'bhrepl', 'password_file': '$A/bhrepl.password'}"
out=$(CTL windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test)
echo "$out" | grep -qx "Key retrieval is in progress." || fail "first get-key: $out"
j=$(settle exch1.bhlab.test)
[ "$(echo "$j" | field 'j["state"]')" = in-cache ] ||
  fail "get-key as bhrepl: $(echo "$j" | field 'j.get("error")'); $(CTL type-tail errorlog/sr-errorlog.current 30)"
etypes=$(echo "$j" | field '",".join(sorted({str(k["etype"]) for k in j["keys"]}))')
case "$etypes" in *17*18*23*|*18*23*) ;; *) fail "etypes $etypes: want AES and RC4" ;; esac
tail=$(CTL type-tail errorlog/sr-errorlog.current 60)
for line in "Authentication success for ID: repl (bhrepl@BHLAB.TEST)" "DRS_SPN: host/" \
  "DRSBind Success, Status:00000000" "Successful in Key Retrieval"; do
  echo "$tail" | grep -qF "$line" || fail "sr-errorlog lacks '$line': $tail"
done
pass "get-key as bhrepl: replicated, in the memory key cache (etypes $etypes)"

# The keys equal what impacket's secretsdump replicates: the service's keys, read back from its
# secure store (the record format of secure/encryption_service/key_cache_record.h), go into a
# keytab the oracle compares with its own replication.
/usr/bin/python3 - "$D" >"$D/ours.ktutil" <<'PY' || fail "cannot read the service's key cache record"
import struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
d = sys.argv[1]
key = open(f"{d}/core-store.key", "rb").read()
if len(key) != 32:  # 64 hex digits and a newline (secure/store_key_source.h)
    key = bytes.fromhex(key.strip().decode())
f = open(f"{d}/core-secure/encryption-keys", "rb").read()
n = struct.unpack(">I", f[20:24])[0]
rec = AESGCM(key).decrypt(f[8:20], f[24:24 + n + 16], f[:24] + b"encryption-keys")
assert rec[:4] == b"BHKC" and rec[4] == 1
pos, count = 7, struct.unpack(">H", rec[5:7])[0]
def s():
    global pos
    l = struct.unpack(">H", rec[pos:pos + 2])[0]; pos += 2
    v = rec[pos:pos + l]; pos += l
    return v.decode()
names = {17: "aes128-cts-hmac-sha1-96", 18: "aes256-cts-hmac-sha1-96", 23: "arcfour-hmac"}
for _ in range(count):
    spn, dom, acct, src = s(), s(), s(), s()
    pos += 8
    nk = rec[pos]; pos += 1
    for _ in range(nk):
        et, kv, l = struct.unpack(">iIH", rec[pos:pos + 10]); pos += 10
        v = rec[pos:pos + l]; pos += l
        print(f"{et} {kv} {names[et]} {v.hex()}")
PY
rm -f "$D/ours.keytab"
{
  while read -r et kv name hex; do
    echo "addent -key -p EXCH1\$@BHLAB.TEST -k $kv -e $name"; sleep 0.3; echo "$hex"; sleep 0.3
  done <"$D/ours.ktutil"
  echo "wkt $D/ours.keytab"; sleep 0.3; echo quit
} | ktutil >/dev/null 2>&1
KEYS=$(awk '{ print $4 }' "$D/ours.ktutil")  # for the leak check at the end; never printed
rm -f "$D/ours.ktutil"
[ -s "$D/ours.keytab" ] || fail "no keytab of the service's keys"
out=$(in_lab "$LAB" client /usr/bin/python3 "$TOOLS/dcsync_oracle.py" --dc 10.91.5.1 --domain BHLAB \
  --user bhrepl --password-file "$A/bhrepl.password" --account 'EXCH1$' --keytab "$D/ours.keytab")
rm -f "$D/ours.keytab"
grep -q '^keytab: match .*arcfour-hmac' <<<"$out" || fail "the service's RC4 key is not impacket's: $out"
grep -q '^keytab: match .*aes256-cts-hmac-sha1-96' <<<"$out" || fail "the service's AES key is not impacket's: $out"
pass "the service's keys equal what secretsdump replicates ($(sed -n 's/^keytab: match //p' <<<"$out"))"

# An SPN the directory does not know: named (DsCrackNames), not retried at once.
j=$(settle exch9.bhlab.test)
[ "$(echo "$j" | field 'j["error"]["reason"]')" = spn-unknown ] || fail "unknown SPN: $j"
pass "an SPN the directory does not know: spn-unknown ($(echo "$j" | field 'j["error"]["detail"]'))"

# A `machine` identity: the core's own account BHCORE$ and its keytab, root-only 0600 like a
# joined box's /etc/krb5.keytab. The daemon drops root after start, so the keytab must be the copy
# read at start (a MEMORY keytab for the AS exchange), never the file reopened at retrieval time.
install -m 0600 -o root -g root "$A/bhcore.keytab" "$D/krb5.keytab"
configure "{'name': 'machine', 'type': 'machine', 'domain': 'bhlab.test', 'principal': 'BHCORE\$', 'keytab': '$D/krb5.keytab'}"
user=$(ps -o user= -p "$(cat "$D/core.pid")" | tr -d ' ')
[ -n "$user" ] && [ "$user" != root ] || fail "the core runs as '$user', not its unprivileged user"
runuser -u "$user" -- test -r "$D/krb5.keytab" && fail "$user can read $D/krb5.keytab: the case proves nothing"
j=$(settle exch1.bhlab.test)
[ "$(echo "$j" | field 'j["state"]')" = in-cache ] ||
  fail "get-key as BHCORE\$: $(echo "$j" | field 'j.get("error")'); $(CTL type-tail errorlog/sr-errorlog.current 20)"
CTL type-tail errorlog/sr-errorlog.current 40 |
  grep -qF 'Authentication success for ID: machine (BHCORE$@BHLAB.TEST)' ||
  fail "no machine authentication in the sr-errorlog: $(CTL type-tail errorlog/sr-errorlog.current 20)"
pass "a machine identity (BHCORE\$, its keytab 0600 root, the core running as $user): the keys replicated"

# Problem 1: the identity without the replication rights is refused and blacklisted.
configure "{'name': 'norepl', 'domain': 'bhlab.test', 'principal': 'bhnorepl', 'password_file': '$A/bhnorepl.password'}"
j=$(settle exch1.bhlab.test)
[ "$(echo "$j" | field 'j["error"]["reason"]')" = permission ] ||
  fail "bhnorepl not refused by permission: $j; $(CTL type-tail errorlog/sr-errorlog.current 20)"
tail=$(CTL type-tail errorlog/sr-errorlog.current 40)
echo "$tail" | grep -q "ERRO Key retrieval failed due to permission" || fail "Problem 1 line: $tail"
echo "$tail" | grep -q "ERRO Identity: norepl will be black listed" || fail "blacklist line: $tail"
CTL show windows-domain encryption-service | grep -q "norepl .*Black_Listed:YES" || fail "not shown blacklisted"
pass "Problem 1: bhnorepl refused ($(echo "$j" | field 'j["error"]["detail"]')), black listed"

# A wrong password: named by the KDC's answer.
echo "Not-the-password-1!" >"$D/wrong.password"
chmod 600 "$D/wrong.password"
configure "{'name': 'wrongpw', 'domain': 'bhlab.test', 'principal': 'bhrepl', 'password_file': '$D/wrong.password'}"
j=$(settle exch1.bhlab.test)
[ "$(echo "$j" | field 'j["error"]["reason"]')" = wrong-password ] || fail "wrong password: $j"
pass "a wrong password: wrong-password ($(echo "$j" | field 'j["error"]["detail"]'))"

# A DC that does not answer (an unused address of the lab's DC network): named within the timeout.
configure "{'name': 'repl', 'domain': 'bhlab.test', 'principal': 'bhrepl', 'password_file': '$A/bhrepl.password', 'domain_controllers': ['10.91.5.77']}"
t0=$EPOCHREALTIME
j=$(settle exch1.bhlab.test)
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
[ "$(echo "$j" | field 'j["error"]["reason"]')" = dc-unreachable ] || fail "DC down: $j"
pass "a DC that does not answer: dc-unreachable after $took s ($(echo "$j" | field 'j["error"]["detail"]'))"

# Problem 2: the core's clock 10 minutes ahead of the DC's (libfaketime in the daemon alone; the
# DC and this shell keep the real clock). MIT krb5 would correct the skew by itself
# (kdc_timesync); the service reads the KDC's clock first and names it with the offset
# (secure/encryption_service/README.md, "Clock skew").
REPL="{'name': 'repl', 'domain': 'bhlab.test', 'principal': 'bhrepl', 'password_file': '$A/bhrepl.password'}"
configure "$REPL" LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 FAKETIME=+600s
j=$(settle exch1.bhlab.test)
[ "$(echo "$j" | field 'j["error"]["reason"]')" = clock-skew ] ||
  fail "10 minutes ahead not named clock-skew: $j; $(CTL type-tail errorlog/sr-errorlog.current 20)"
# libfaketime reached the daemon: its own sr-errorlog stamps (MM/DD/YYYY HH:MM:SS.mmm(UTC)) are
# 600 s ahead of ours.
stamp=$(CTL type-tail errorlog/sr-errorlog.current 1 | awk '{ print $1, $2 }' | sed 's/(UTC)$//')
ahead=$(( $(date -u -d "$stamp" +%s) - $(date -u +%s) ))
[ "$ahead" -ge 590 ] && [ "$ahead" -le 610 ] || fail "the core's clock is $ahead s ahead, not 600 (faketime?): $stamp"
off=$(echo "$j" | field 'j["error"]["clock_offset_s"]')
[ "$off" -ge -605 ] && [ "$off" -le -595 ] || fail "offset $off s, want -600 +/- 5: $j"
out=$(CTL windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test)
echo "$out" | grep -q "^Key retrieval failed: Clock skew too great with the KDC of bhlab.test, offset $off s (KDC minus this box): this box's clock is ${off#-} s ahead of the KDC's" ||
  fail "get-key's skew text: $out"
echo "$out" | grep -q '^>>Synchronize .*ntpdate bhlab.test' || fail "get-key's remedy: $out"
tail=$(CTL type-tail errorlog/sr-errorlog.current 40)
echo "$tail" | grep -q "NTCE session([0-9]*) KDC clock of dc1.bhlab.test: offset -" || fail "the KDC clock step: $tail"
echo "$tail" | grep -q "ERRO Key retrieval failed: Clock skew too great .* offset $off s" || fail "Problem 2 line: $tail"
show=$(CTL show windows-domain encryption-service)
echo "$show" | grep -q "repl .*AUTH_STATUS: clock-skew" || fail "show's AUTH_STATUS: $show"
echo "$show" | grep -q "last failure: .*offset $off s" || fail "show's last failure: $show"
pass "Problem 2, the core 600 s ahead: clock-skew, offset $off s ($(echo "$j" | field 'j["error"]["detail"]'))"

# And 10 minutes behind: the sign says which clock is ahead.
configure "$REPL" LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 FAKETIME=-600s
j=$(settle exch1.bhlab.test)
off=$(echo "$j" | field 'j["error"].get("clock_offset_s", "none")')
[ "$(echo "$j" | field 'j["error"]["reason"]')" = clock-skew ] && [ "$off" -ge 595 ] &&
  [ "$off" -le 605 ] || fail "10 minutes behind: $j"
CTL windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test |
  grep -q "offset +$off s (KDC minus this box): this box's clock is $off s behind the KDC's" ||
  fail "10 minutes behind, get-key's text"
pass "the core 600 s behind: clock-skew, offset +$off s"

# A site profile with kdc_timesync = 0: MIT itself refuses the skew (KRB_AP_ERR_SKEW from the
# AS exchange); the offset is read from the DC's KDC the same way.
sed 's/^\[libdefaults\]$/[libdefaults]\n\tkdc_timesync = 0/' "$A/krb5.conf" >"$D/nosync.conf"
grep -q 'kdc_timesync = 0' "$D/nosync.conf" || fail "cannot make the kdc_timesync = 0 profile"
configure "$REPL" LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1 FAKETIME=+600s \
  KRB5_CONFIG="$D/nosync.conf"
j=$(settle exch1.bhlab.test)
[ "$(echo "$j" | field 'j["error"]["reason"]')" = clock-skew ] &&
  echo "$j" | field 'j["error"]["detail"]' | grep -q KRB_AP_ERR_SKEW ||
  fail "kdc_timesync = 0, 10 minutes ahead: $j"
off=$(echo "$j" | field 'j["error"]["clock_offset_s"]')
[ "$off" -ge -605 ] && [ "$off" -le -595 ] || fail "kdc_timesync = 0: offset $off s, want -600 +/- 5: $j"
pass "the same with kdc_timesync = 0: KRB_AP_ERR_SKEW named clock-skew, offset $off s"

# Back on the right clock: the same identity gets the keys.
configure "$REPL"
j=$(settle exch1.bhlab.test)
[ "$(echo "$j" | field 'j["state"]')" = in-cache ] || fail "on the right clock again: $j"
CTL type-tail errorlog/sr-errorlog.current 40 | grep -q "NTCE session([0-9]*) KDC clock of dc1.bhlab.test: offset [-+]0\." ||
  fail "the KDC clock step on the right clock: $(CTL type-tail errorlog/sr-errorlog.current 40)"
pass "on the right clock again: the keys in the memory key cache"

# No replicated key byte (hex, base64) in the core's log, the sr-errorlog or any show output.
outs="$D/show-all.txt"
: >"$outs"
for cmd in "show windows-domain encryption-service" "show running-config" "show secure-store" \
  "type-tail errorlog/sr-errorlog.current 1000" \
  "windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test"; do
  # shellcheck disable=SC2086
  CTL $cmd >>"$outs" 2>&1
  # shellcheck disable=SC2086
  CTL --json $cmd >>"$outs" 2>&1
done
[ -n "$KEYS" ] || fail "no replicated keys to look for"
# shellcheck disable=SC2086
"$TOOLS/no_key_bytes.py" "$outs" "$D/core.log" -- $KEYS >/dev/null ||
  fail "a replicated key appears in a log or show output"
pass "no replicated key (hex, base64) in the core's log, the sr-errorlog or any show output"
