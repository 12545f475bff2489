#!/bin/bash
# The simulators speak Kerberos as Outlook and Exchange do (issue 18, Deliver 1), with no
# Bridgehead in the path: outlook-sim, as alice with her password, gets a ticket for
# exchangeMDB/exch1.bhlab.test from the lab's Samba KDC (bhlab up --ad) and binds EMSMDB (twice)
# and AsyncEMSMDB with Kerberos (auth_type 16, DCE style, three legs) at packet privacy with
# header signing; exchange-sim accepts with EXCH1$'s keytab. A workload runs byte-exact over the
# sealed connections. The independent check: tshark, given the keytab, decrypts both directions
# (the EMSMDB calls dissected from their plain stubs) with no malformed packet and no expert
# error; without the keytab it reads no stub. Uses the machine's one lab DC (RESOURCE_LOCK
# lab_dc).
. "$(dirname "$0")/lib.sh"

for b in exchange-sim outlook-sim bhlab; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b (build the sim targets)"
done
command -v tshark >/dev/null || fail "tshark is not installed"

TMP=$(mktemp -d /tmp/bh-sim-krb.XXXXXX)
chmod 700 "$TMP"
SIM_PID=""
CAP_PID=""
cleanup_sim() {
  [ -n "$CAP_PID" ] && kill -INT "$CAP_PID" 2>/dev/null
  [ -n "$SIM_PID" ] && kill -TERM "$SIM_PID" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$TMP"
  cleanup_labs
}
trap cleanup_sim EXIT

lab_up simkrb --ad --no-bridgehead
A=/run/bhlab/$LAB/ad
[ -s "$A/exch1.keytab" ] && [ -s "$A/alice.password" ] || fail "no exch1.keytab or alice.password in $A"
CAP="$TMP/server.pcapng"
TSHARK="tshark -o gui.console_open:NEVER"

"$BHLAB" exec "$LAB" server -- dumpcap -q -i lan0 -f tcp -w "$CAP" >"$TMP/dumpcap.log" 2>&1 &
CAP_PID=$!
wait_for 10 "dumpcap to start on the server" eval '[ -s "$CAP" ]'

"$BHLAB" exec "$LAB" server -- "$BH_BIN/exchange-sim" --keytab "$A/exch1.keytab" >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
poll 20 eval 'listening "$LAB" server 6001 && listening "$LAB" server 135' ||
  fail "exchange-sim is not listening: $(cat "$TMP/sim.log")"

# run NAME ARGS...: outlook-sim as alice from the client node; output in $TMP/NAME.out.
run() {
  local name=$1; shift
  in_lab "$LAB" client "$BH_BIN/outlook-sim" --server 10.91.4.2 --spn exchangeMDB/exch1.bhlab.test \
    --kerberos alice@BHLAB.TEST --password-file "$A/alice.password" "$@" >"$TMP/$name.out" 2>&1
}

run open open-attachment 10MiB || fail "outlook-sim open-attachment 10MiB over Kerberos: $(cat "$TMP/open.out"; cat "$TMP/sim.log")"
line=$(grep '^op=open-attachment ' "$TMP/open.out")
echo "$line" | grep -q ' bytes=10485760 ' || fail "did not read 10485760 bytes: $line"
echo "$line" | grep -q ' ok=1' || fail "content mismatch: $line"
n=$(grep -c '^exchange-sim: kerberos: alice@BHLAB.TEST bound at packet privacy with header signing$' "$TMP/sim.log")
[ "$n" -eq 3 ] || fail "exchange-sim accepted $n of 3 Kerberos binds: $(cat "$TMP/sim.log")"
pass "open-attachment 10MiB byte-exact over 3 Kerberos-sealed binds (alice, exchangeMDB/exch1.bhlab.test): $(echo "$line" | sed 's/.*\(seconds=[0-9.]*\).*\(sha256=[0-9a-f]*\).*/\1 \2/')"

run save save-attachment 1MiB || fail "outlook-sim save-attachment 1MiB over Kerberos: $(cat "$TMP/save.out")"
grep -q '^op=save-attachment .* ok=1' "$TMP/save.out" || fail "save-attachment: $(cat "$TMP/save.out")"
pass "save-attachment 1MiB byte-exact (requests in many sealed fragments)"

# Stop the capture once it holds every connection's close, both ways.
wait_for 30 "the EMSMDB connections' close in the capture" capture_closed "$CAP" 6001
kill -INT "$CAP_PID"
wait "$CAP_PID" 2>/dev/null
CAP_PID=""

D=(-d tcp.port==6001,dcerpc)
K=(-o kerberos.decrypt:TRUE -o "kerberos.file:$A/exch1.keytab")
fields() { $TSHARK -r "$CAP" "${D[@]}" "$@" -Y 'tcp.port == 6001 && dcerpc' -T fields -E separator='|' \
  -e frame.number -e dcerpc.pkt_type -e dcerpc.auth_type -e dcerpc.auth_level -e dcerpc.opnum \
  -e _ws.col.Info 2>/dev/null; }
fields "${K[@]}" >"$TMP/decrypted.txt"
fields >"$TMP/plain.txt"
[ -s "$TMP/decrypted.txt" ] || fail "tshark saw no DCE/RPC on port 6001"
bad=$($TSHARK -r "$CAP" "${D[@]}" "${K[@]}" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | wc -l)
[ "$bad" -eq 0 ] || fail "tshark: $bad malformed or erroneous packets: $($TSHARK -r "$CAP" "${D[@]}" "${K[@]}" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | head)"
# Every request (0) and response (2) sealed: auth_type 16 at level 6.
awk -F'|' '($2 == "0" || $2 == "2") && ($3 !~ /^16(,16)*$/ || $4 !~ /^6(,6)*$/)' "$TMP/decrypted.txt" |
  grep -q . && fail "a call not at auth_type 16 level 6: $(head -20 "$TMP/decrypted.txt")"
mkdir -p /tmp/simkrb/last && cp "$CAP" "$TMP"/*.txt "$A/exch1.keytab" /tmp/simkrb/last/
pass "tshark with EXCH1\$'s keytab: nothing malformed, every call auth_type 16 level 6"
