#!/bin/bash
# The encryption service's Kerberos-sealed DCE/RPC client (secure/kerberos, secure/sealed_rpc)
# against the lab's Samba AD DC (bhlab up --ad), from the core's namespace, as the replication
# identity bhrepl with its password: the DRSUAPI endpoint from the DC's endpoint mapper, a bind
# at packet privacy with Kerberos (auth_type 16, three legs), IDL_DRSBind answered with return
# code 0 and IDL_DRSUnbind, for both SPNs Samba accepts (host/ and the DRS SPN), with requests
# in one fragment and in several. The independent check: tshark, given the DC's own service
# key (exported with samba-tool), decrypts the captured calls and dissects DsBind and its
# response with no malformed packet; without the key it cannot. Failures named: wrong password,
# unknown client, unknown SPN, KDC unreachable, clock skew, a keytab without the key. No
# password appears in any output. Uses the machine's one lab DC (RESOURCE_LOCK lab_dc).
. "$(dirname "$0")/lib.sh"
PROBE="$BH_BIN/bh-sealed-rpc-probe"
[ -x "$PROBE" ] || fail "no $PROBE (build the target bh-sealed-rpc-probe)"

lab_up gss --ad --no-bridgehead
A=/run/bhlab/$LAB/ad
DC_NS=bh-$LAB-dc
D=$(mktemp -d /tmp/gss-sealed.XXXXXX)
chmod 700 "$D"
cap=""
trap 'rc=$?; [ -n "$cap" ] && kill "$cap" 2>/dev/null; rm -rf "$D"; (exit $rc); cleanup_labs' EXIT

OUTS=()
probe() { # probe NAME ARGS...: runs the probe in the core's namespace; output in $D/NAME.out
  local name=$1; shift
  in_lab "$LAB" core "$PROBE" --dc 10.91.5.1 "$@" >"$D/$name.out" 2>&1
  local rc=$?
  OUTS+=("$D/$name.out")
  return $rc
}
as_bhrepl() { echo --principal bhrepl@BHLAB.TEST --password-file "$A/bhrepl.password"; }

# The DC's service key: what tshark decrypts with (the client never has it).
ip netns exec "$DC_NS" samba-tool domain exportkeytab "$D/dc1.keytab" --principal='DC1$' \
  -s /run/bhlab-dc/etc/smb.conf >/dev/null 2>&1 || fail "samba-tool exportkeytab DC1\$"
ntds_spn=$(ip netns exec "$DC_NS" samba-tool spn list 'DC1$' -s /run/bhlab-dc/etc/smb.conf |
  awk '/E3514235-4B06-11D1-AB04-00C04FC2DCD2\// { print $1; exit }')
[ -n "$ntds_spn" ] || fail "DC1\$ has no E3514235-4B06-11D1-AB04-00C04FC2DCD2/<ntds-guid>/<domain> SPN"

ip netns exec "$DC_NS" dumpcap -q -i lan0 -f tcp -w "$D/dc.pcap" >/dev/null 2>&1 &
cap=$!
wait_for 10 "dumpcap to start in the DC's namespace" eval '[ -s "$D/dc.pcap" ]'

# shellcheck disable=SC2046
probe host $(as_bhrepl) --spn host/dc1.bhlab.test || fail "sealed DsBind as bhrepl: $(cat "$D/host.out")"
grep -q '^epm: DRSUAPI e3514235-4b06-11d1-ab04-00c04fc2dcd2 v4.0 at .*:[0-9]' "$D/host.out" ||
  fail "no DRSUAPI endpoint from ept_map: $(cat "$D/host.out")"
grep -q '^bind: ok auth_type 16 level 6 target host/dc1.bhlab.test@BHLAB.TEST header_signing yes' \
  "$D/host.out" || fail "bind: $(cat "$D/host.out")"
grep -q '^DsBind: ok return 0 request_fragments 1 ' "$D/host.out" || fail "DsBind: $(cat "$D/host.out")"
grep -q '^DsUnbind: ok return 0' "$D/host.out" || fail "DsUnbind: $(cat "$D/host.out")"
pass "ept_map, sealed bind (host/dc1.bhlab.test), DsBind return 0, DsUnbind as bhrepl: $(sed -n 's/^bind: ok //p' "$D/host.out")"

# shellcheck disable=SC2046
probe drs $(as_bhrepl) --spn "$ntds_spn" --max-xmit-frag 140 ||
  fail "sealed DsBind with the DRS SPN: $(cat "$D/drs.out")"
grep -q '^DsBind: ok return 0 request_fragments 2 ' "$D/drs.out" || fail "DsBind in 2 fragments: $(cat "$D/drs.out")"
grep -q '^DsUnbind: ok return 0' "$D/drs.out" || fail "DsUnbind: $(cat "$D/drs.out")"
pass "the DRS SPN ($ntds_spn) too, with the request in 2 fragments each sealed on its own"

# shellcheck disable=SC2046
probe keytab --principal 'EXCH1$@BHLAB.TEST' --keytab "$A/exch1.keytab" --spn host/dc1.bhlab.test ||
  fail "sealed DsBind with a client keytab: $(cat "$D/keytab.out")"
pass "a client keytab (EXCH1\$'s) binds and DsBinds too"

port=$(sed -n 's/^epm: .* at .*:\([0-9]*\)$/\1/p' "$D/host.out")
wait_for 10 "the capture to hold every DRSUAPI connection's close" capture_closed "$D/dc.pcap" "$port"
kill "$cap"; wait "$cap" 2>/dev/null; cap=""

O=(-o kerberos.decrypt:TRUE -o "kerberos.file:$D/dc1.keytab")
fields() { tshark -r "$D/dc.pcap" "$@" -Y drsuapi -T fields -E separator='|' -e frame.number \
  -e drsuapi.opnum -e dcerpc.pkt_type -e dcerpc.auth_type -e dcerpc.auth_level \
  -e drsuapi.DsBind.bind_guid -e drsuapi.rc 2>/dev/null; }
fields "${O[@]}" >"$D/decrypted.txt"
fields >"$D/plain.txt"
# DsBind requests (opnum 0, pkt_type 0) decrypted: the client's bind_guid (the NTDSAPI GUID).
n_req=$(awk -F'|' '$2 == "0" && $3 ~ /^0/ && $6 == "e24d201a-4fd6-11d1-a3da-0000f875ae0d"' "$D/decrypted.txt" | wc -l)
[ "$n_req" -eq 3 ] || fail "tshark decrypted $n_req of 3 DsBind requests: $(cat "$D/decrypted.txt")"
# DsBind and DsUnbind responses: return code 0 read from the decrypted stub.
n_rc=$(awk -F'|' '$3 == "2" && $7 == "0x00000000"' "$D/decrypted.txt" | wc -l)
[ "$n_rc" -eq 6 ] || fail "tshark read return code 0 in $n_rc of 6 responses: $(cat "$D/decrypted.txt")"
# Every DRSUAPI PDU was sealed: auth_type 16 at level 6.
awk -F'|' '$4 !~ /^16(,16)*$/ || $5 !~ /^6(,6)*$/' "$D/decrypted.txt" | grep -q . &&
  fail "a DRSUAPI PDU not at auth_type 16 level 6: $(cat "$D/decrypted.txt")"
bad=$(tshark -r "$D/dc.pcap" "${O[@]}" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | wc -l)
[ "$bad" -eq 0 ] || fail "tshark: $bad malformed or erroneous packets"
grep -q 'e24d201a' "$D/plain.txt" && fail "tshark read the bind_guid without the DC's key"
awk -F'|' '$7 != ""' "$D/plain.txt" | grep -q . && fail "tshark read a return code without the DC's key"
pass "tshark with the DC's service key decrypts 3 DsBind requests and 6 responses (return 0), every PDU auth_type 16 level 6, nothing malformed; without the key it reads neither"

# Named failures.
echo "Wrong-Pass-000!" >"$D/wrong.password"
probe wrong --principal bhrepl@BHLAB.TEST --password-file "$D/wrong.password" --spn host/dc1.bhlab.test
[ $? -eq 2 ] && grep -q '^FAILED credential KDC_ERR_PREAUTH_FAILED' "$D/wrong.out" ||
  fail "wrong password not named: $(cat "$D/wrong.out")"
pass "wrong password: $(cat "$D/wrong.out")"

probe noclient --principal nosuchuser@BHLAB.TEST --password-file "$D/wrong.password" --spn host/dc1.bhlab.test
[ $? -eq 2 ] && grep -q '^FAILED credential KDC_ERR_C_PRINCIPAL_UNKNOWN' "$D/noclient.out" ||
  fail "unknown client not named: $(cat "$D/noclient.out")"
pass "unknown identity: $(cat "$D/noclient.out")"

# shellcheck disable=SC2046
probe nospn $(as_bhrepl) --spn host/nosuchdc.bhlab.test
[ $? -eq 3 ] && grep -q '^FAILED bind KDC_ERR_S_PRINCIPAL_UNKNOWN' "$D/nospn.out" ||
  fail "unknown SPN not named: $(cat "$D/nospn.out")"
pass "unknown SPN: $(grep '^FAILED' "$D/nospn.out" | cut -c1-100) ..."

# The KDC unreachable: the realm's KDC at a port nobody listens on.
sed 's/kdc = 10.91.5.1$/kdc = tcp\/10.91.5.1:9/' "$A/krb5.conf" >"$D/unreach.conf"
grep -q 'kdc = tcp/10.91.5.1:9' "$D/unreach.conf" || fail "cannot make the unreachable-KDC profile"
# shellcheck disable=SC2046
in_lab "$LAB" core env KRB5_CONFIG="$D/unreach.conf" "$PROBE" --dc 10.91.5.1 $(as_bhrepl) \
  --spn host/dc1.bhlab.test >"$D/unreach.out" 2>&1
[ $? -eq 2 ] && grep -q '^FAILED credential KDC_UNREACHABLE' "$D/unreach.out" ||
  fail "KDC unreachable not named: $(cat "$D/unreach.out")"
OUTS+=("$D/unreach.out")
pass "KDC unreachable: $(cat "$D/unreach.out")"

# Clock skew: MIT krb5 corrects a skewed clock from the KDC's own time by default
# (kdc_timesync), so 10 minutes ahead still binds; without that correction the KDC names it.
# shellcheck disable=SC2046
in_lab "$LAB" core faketime -f +600s "$PROBE" --dc 10.91.5.1 $(as_bhrepl) --spn host/dc1.bhlab.test \
  >"$D/skew-sync.out" 2>&1 || fail "10 minutes ahead with kdc_timesync: $(cat "$D/skew-sync.out")"
OUTS+=("$D/skew-sync.out")
sed 's/^\[libdefaults\]$/[libdefaults]\n\tkdc_timesync = 0/' "$A/krb5.conf" >"$D/nosync.conf"
# shellcheck disable=SC2046
in_lab "$LAB" core env KRB5_CONFIG="$D/nosync.conf" faketime -f +600s "$PROBE" --dc 10.91.5.1 \
  $(as_bhrepl) --spn host/dc1.bhlab.test >"$D/skew.out" 2>&1
[ $? -eq 2 ] && grep -q '^FAILED credential KRB_AP_ERR_SKEW' "$D/skew.out" ||
  fail "clock skew not named: $(cat "$D/skew.out")"
OUTS+=("$D/skew.out")
pass "clock 10 minutes ahead: corrected by kdc_timesync (binds), named without it: $(cat "$D/skew.out")"

probe nokey --principal bhrepl@BHLAB.TEST --keytab "$A/exch1.keytab" --spn host/dc1.bhlab.test
[ $? -eq 2 ] && grep -q '^FAILED credential KEYTAB_NO_KEY' "$D/nokey.out" ||
  fail "a keytab without the identity's key not named: $(cat "$D/nokey.out")"
pass "a keytab without the identity's key: $(grep '^FAILED' "$D/nokey.out")"

for u in bhrepl; do
  pw=$(head -n1 "$A/$u.password")
  grep -F -q -- "$pw" "${OUTS[@]}" && fail "$u's password appears in the probe's output"
done
pass "no password in any output (${#OUTS[@]} runs)"
