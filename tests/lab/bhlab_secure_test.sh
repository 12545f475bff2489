#!/bin/bash
# bhlab up --secure: the lab CA, edge and core certificates (keys 0600) whose AIA names the
# OCSP responder on the server node; the responder answers the edge (over the WAN) good, then
# revoked after `bhlab revoke`, good after `bhlab unrevoke`; `bhlab down` leaves no namespace,
# process or file, and neither does a failed `up --secure`.
. "$(dirname "$0")/lib.sh"

lab_up labsec --secure --no-bridgehead
P=/run/bhlab/$LAB/pki
URL=http://10.91.4.2:8888/
for f in ca.pem edge.pem edge.key core.pem core.key ocsp.pem ocsp.key index.txt; do
  [ -s "$P/$f" ] || fail "bhlab up --secure made no $P/$f"
done
for k in ca edge core ocsp; do
  [ "$(stat -c %a "$P/$k.key")" = 600 ] || fail "$k.key is mode $(stat -c %a "$P/$k.key"), not 0600"
done
[ "$(stat -c %a "$P")" = 700 ] || fail "$P is mode $(stat -c %a "$P"), not 0700"
for n in edge core; do
  openssl verify -CAfile "$P/ca.pem" "$P/$n.pem" >/dev/null || fail "$n.pem does not chain to ca.pem"
  aia=$(openssl x509 -in "$P/$n.pem" -noout -ocsp_uri)
  [ "$aia" = "$URL" ] || fail "$n.pem's AIA names '$aia', not $URL"
done
pass "PKI in $P: keys 0600, certificates chain to the lab CA, AIA $URL"
[ "$(ps -o comm= -p "$(cat /run/bhlab/$LAB/ocsp.pid)")" = openssl ] ||
  fail "ocsp.pid does not name the responder (openssl) itself"

# status LAB NODE: what the responder says about NODE's certificate, asked from the edge as a
# box would (over the WAN), the answer verified against the lab CA.
status() {
  in_lab "$LAB" edge openssl ocsp -issuer "$P/ca.pem" -cert "$P/$1.pem" -url "$URL" \
    -CAfile "$P/ca.pem" -timeout 5 2>&1 | sed -n "s#^$P/$1.pem: ##p"
}
[ "$(status core)" = good ] || fail "core: expected good, the responder said '$(status core)'"
[ "$(status edge)" = good ] || fail "edge: expected good"
pass "the responder answers good for edge and core, from the edge namespace"

before=$(cat /run/bhlab/$LAB/ocsp.pid)
"$BHLAB" revoke "$LAB" core >/dev/null || fail "bhlab revoke $LAB core"
gone "$before" || fail "revoke did not stop the responder that had read the old index"
[ "$(status core)" = revoked ] || fail "core after revoke: the responder said '$(status core)'"
[ "$(status edge)" = good ] || fail "edge after revoking core: expected good"
pass "bhlab revoke: the very next answer says core is revoked, edge still good"

"$BHLAB" unrevoke "$LAB" core >/dev/null || fail "bhlab unrevoke $LAB core"
[ "$(status core)" = good ] || fail "core after unrevoke: the responder said '$(status core)'"
pass "bhlab unrevoke: the next answer says good"

# nextUpdate is a minute ahead (what bounds a box's cache after unrevoke).
next=$(in_lab "$LAB" edge openssl ocsp -issuer "$P/ca.pem" -cert "$P/core.pem" -url "$URL" \
  -CAfile "$P/ca.pem" -timeout 5 2>/dev/null | sed -n 's/^[[:space:]]*Next Update: //p')
left=$(( $(date -u -d "$next" +%s) - $(date -u +%s) ))
[ "$left" -gt 0 ] && [ "$left" -le 61 ] || fail "nextUpdate is $left s ahead, not at most a minute"
pass "answers carry nextUpdate $left s ahead"

pid=$(cat /run/bhlab/$LAB/ocsp.pid)
"$BHLAB" down "$LAB" || fail "bhlab down $LAB"
if ip netns list | grep -q "bh-$LAB-"; then fail "down left namespaces"; fi
[ -e /run/bhlab/$LAB ] && fail "down left /run/bhlab/$LAB"
gone "$pid" || fail "down left the OCSP responder (pid $pid)"
pass "bhlab down: no namespace, no responder, no file"

# A failed up --secure (an impossible rate: tc fails after the responder started) removes all.
bad="labbad$$"; bad=${bad:0:16}
LABS="$LABS $bad"
if "$BHLAB" up --name "$bad" --secure --no-bridgehead --rate 0.0000001 >/dev/null 2>&1; then
  fail "bhlab up accepted a rate tc cannot do"
fi
if ip netns list | grep -q "bh-$bad-"; then fail "a failed up --secure left namespaces"; fi
[ -e /run/bhlab/$bad ] && fail "a failed up --secure left /run/bhlab/$bad"
if pgrep -f "ocsp -index /run/bhlab/$bad/" >/dev/null; then fail "a failed up left its responder"; fi
pass "a failed bhlab up --secure removes the PKI and the responder too"
