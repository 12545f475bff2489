#!/bin/bash
# Issue 17, the encryption service on a core (secure/encryption_service/, proxy/encryption_service/)
# with a Keytab identity: no replication rights at all, the Exchange account's keys read from a
# keytab made by MIT ktutil (not our code). The seed's get-key ("Key retrieval is in progress."
# then "Key for X resides in memory key cache") with the keytab's etypes and kvno; Problem 3 (an
# Exchange server in a sub-domain, the parent's identity named); an SPN the keytab lacks; the
# sr-errorlog through type-tail; the cache sealed in the secure store, restored after a restart
# even with the keytab gone; and no key byte in any log line or show output (hex or base64).
. "$(dirname "$0")/lib.sh"
for b in bridgehead bhctl; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b"
done
command -v ktutil >/dev/null && command -v klist >/dev/null || fail "MIT ktutil/klist missing (krb5-user)"
CONFIG_DIR="$(cd "$(dirname "$0")/../../config" && pwd)"
TOOLS=$(cd "$(dirname "$0")/tools" && pwd)

lab_up essvc
D=/run/bhlab/$LAB
SPN=exchangeMDB/exch1.bhlab.test@BHLAB.TEST

# The Exchange server account's keys, as an exported keytab: kvno 3, AES-256 and RC4.
K256=$(openssl rand -hex 32)
KRC4=$(openssl rand -hex 16)
{
  echo "addent -key -p $SPN -k 3 -e aes256-cts-hmac-sha1-96"; sleep 0.3; echo "$K256"; sleep 0.3
  echo "addent -key -p $SPN -k 3 -e arcfour-hmac"; sleep 0.3; echo "$KRC4"; sleep 0.3
  echo "addent -key -p host/other.bhlab.test@BHLAB.TEST -k 1 -e aes256-cts-hmac-sha1-96"
  sleep 0.3; openssl rand -hex 32; sleep 0.3
  echo "wkt $D/exch1.keytab"; sleep 0.3; echo quit
} | ktutil >/dev/null 2>&1
chmod 600 "$D/exch1.keytab"
klist -K -k -e "$D/exch1.keytab" | grep -q "$K256" || fail "ktutil did not write the keytab"

# The core's config: the encryption service with one Keytab identity for bhlab.test, the secure
# store (its key cache) inside the lab.
/usr/bin/python3 - "$CONFIG_DIR/lab-core.json" "$D/core-config.json" "$D" <<'PY'
import json, sys
src, dst, d = sys.argv[1:4]
c = json.load(open(src))
c["wan_secure"] = {"store": {"path": f"{d}/core-secure", "key_file": f"{d}/core-store.key"}}
c["encryption_service"] = {"enabled": True, "identities": [
    {"name": "exch-kt", "type": "keytab", "domain": "bhlab.test", "keytab": f"{d}/exch1.keytab"}]}
json.dump(c, open(dst, "w"), indent=2)
PY
"$BHLAB" restart "$LAB" core >/dev/null || fail "core did not start with the encryption service"
CTL() { "$BHLAB" ctl "$LAB" core "$@"; }
field() { /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

# get-key: in progress, then in the memory key cache with the keytab's etypes and kvno.
out=$(CTL windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test) ||
  fail "get-key: $out"
echo "$out" | grep -qx "SPN exch1.bhlab.test, Domain name: bhlab.test" || fail "get-key header: $out"
echo "$out" | grep -qx "Key retrieval is in progress." || fail "first get-key not in progress: $out"
wait_for 10 "the key in the memory key cache" eval \
  'CTL windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test | grep -q "resides in memory key cache"'
out=$(CTL windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test)
echo "$out" | grep -qx "Key for exch1.bhlab.test resides in memory key cache" || fail "get-key: $out"
echo "$out" | grep -q "aes256-cts-hmac-sha1-96 kvno 3, arcfour-hmac kvno 3" || fail "keys: $out"
want=$(klist -k -e "$D/exch1.keytab" | awk -v p="$SPN" '$2 == p { print $1 }' | sort -u)
got=$(CTL --json windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test |
  field '"\n".join(sorted({str(k["kvno"]) for k in j["keys"]}))')
[ "$got" = "$want" ] || fail "kvno $got, the keytab has $want"
etypes=$(CTL --json windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test |
  field '",".join(sorted(str(k["etype"]) for k in j["keys"]))')
[ "$etypes" = "18,23" ] || fail "etypes $etypes, not 18 (aes256) and 23 (rc4)"
pass "get-key: in progress, then in the memory key cache with the keytab's etypes and kvno"

# Problem 3: an Exchange server in a sub-domain; the parent domain's identity does not cover it.
out=$(CTL windows-domain diagnostics encryption-service get-key exch9.sub.bhlab.test sub.bhlab.test)
echo "$out" | grep -q "Failed to find identity match for domain sub.bhlab.test (identity exch-kt is in the parent domain bhlab.test" ||
  fail "Problem 3 not named: $out"
echo "$out" | grep -q "^>>Configure an encryption service identity for domain sub.bhlab.test" ||
  fail "Problem 3 remedy: $out"
pass "Problem 3: no identity for sub.bhlab.test, the parent's named, with its remedy"

# An SPN the keytab does not hold: named, with what the keytab holds.
CTL windows-domain diagnostics encryption-service get-key exch2.bhlab.test bhlab.test >/dev/null
wait_for 10 "the missing key to be named" eval \
  'CTL windows-domain diagnostics encryption-service get-key exch2.bhlab.test bhlab.test | grep -q "has no key for exchangeMDB/exch2.bhlab.test"'
CTL --json windows-domain diagnostics encryption-service get-key exch2.bhlab.test bhlab.test |
  field 'j["error"]["reason"]' | grep -qx no-key-in-keytab || fail "reason of the missing key"
pass "an SPN the keytab lacks: no-key-in-keytab, naming the keytab's principals"

# The sr-errorlog, the seed's way, and the show command.
tail=$(CTL type-tail errorlog/sr-errorlog.current 100) || fail "type-tail sr-errorlog: $tail"
for line in "NTCE Adding Identity exch-kt to map (Keytab, domain bhlab.test)" \
  "NTCE Key Not Found in cache, initiating retrieval for spn: exchangeMDB/exch1.bhlab.test" \
  "NTCE Identity exch-kt found in the Map" "Successful in Key Retrieval" \
  "NTCE Insert new KrbKey: exchangeMDB/exch1.bhlab.test (aes256-cts-hmac-sha1-96 kvno 3" \
  "ERRO Failed to find identity match for domain sub.bhlab.test"; do
  echo "$tail" | grep -qF "$line" || fail "sr-errorlog lacks '$line': $tail"
done
echo "$tail" | head -1 | grep -qE '^[0-9]{2}/[0-9]{2}/[0-9]{4} [0-9:.]+\(UTC\) (NTCE|ERRO) ' ||
  fail "sr-errorlog line shape: $(echo "$tail" | head -1)"
show=$(CTL show windows-domain encryption-service) || fail "show: $show"
echo "$show" | grep -q "exch-kt .*Keytab .*bhlab.test .*Active  Black_Listed:NO  AUTH_STATUS: SUCCESS" ||
  fail "show identity row: $show"
echo "$show" | grep -q "exchangeMDB/exch1.bhlab.test .*aes256-cts-hmac-sha1-96 kvno 3" ||
  fail "show cache row: $show"
pass "sr-errorlog through type-tail, in the seed's words; show windows-domain encryption-service"

# The cache sealed in the secure store: a restart with the keytab gone still has the key.
[ "$(stat -c %a "$D/core-secure/encryption-keys")" = 600 ] || fail "store entry not 0600"
mv "$D/exch1.keytab" "$D/exch1.keytab.gone"
"$BHLAB" restart "$LAB" core >/dev/null || fail "core restart"
out=$(CTL windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test)
echo "$out" | grep -qx "Key for exch1.bhlab.test resides in memory key cache" ||
  fail "not restored from the store: $out"
CTL type-tail errorlog/sr-errorlog.current 100 |
  grep -q "Key for exchangeMDB/exch1.bhlab.test restored from the secure store" || fail "restore not logged"
CTL show windows-domain encryption-service | grep -q "credentials: identity exch-kt: keytab" ||
  fail "the missing keytab is not shown"
pass "restart: the key restored from the secure store (keytab gone), the missing keytab named"

# No key byte anywhere: the keytab's keys (klist -K) in hex and base64, in the core's log, the
# sr-errorlog and every show output.
outs="$D/show-all.txt"
: >"$outs"
for cmd in "show windows-domain encryption-service" "show running-config" "show secure-store" \
  "type-tail errorlog/sr-errorlog.current 1000" \
  "windows-domain diagnostics encryption-service get-key exch1.bhlab.test bhlab.test"; do
  CTL $cmd >>"$outs" 2>&1
  CTL --json $cmd >>"$outs" 2>&1
done
mv "$D/exch1.keytab.gone" "$D/exch1.keytab"
keys=$(klist -K -k "$D/exch1.keytab" | sed -n 's/.*(0x\([0-9a-f]*\)).*/\1/p')
[ "$(echo "$keys" | wc -w)" -eq 3 ] || fail "klist -K gave $(echo "$keys" | wc -w) keys, want 3"
# shellcheck disable=SC2086
"$TOOLS/no_key_bytes.py" "$outs" "$D/core.log" -- $keys >/dev/null ||
  fail "a key appears in a log or show output"
pass "no key (hex, base64) in the core's log, the sr-errorlog or any show output"
