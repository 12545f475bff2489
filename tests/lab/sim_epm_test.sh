#!/bin/bash
# exchange-sim on the lab's server node, across a 20 ms WAN with no Bridgehead in the path:
# (a) impacket's endpoint-mapper client (hept_map) resolves EMSMDB to exchange-sim's port,
# (b) outlook-sim resolves it the same way and reads a 10 MiB attachment byte-exact,
# (c) tshark dissects the server's capture with no malformed packet and no expert error, and
#     names the EPM and EMSMDB interfaces and opnums.
. "$(dirname "$0")/lib.sh"

for b in exchange-sim outlook-sim bhlab; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b (build the sim targets)"
done
command -v tshark >/dev/null || fail "tshark is not installed"
/usr/bin/python3 -c 'import impacket.dcerpc.v5.epm' 2>/dev/null || fail "python3-impacket missing"

TMP=$(mktemp -d /tmp/bh-sim-epm.XXXXXX)
chmod 755 "$TMP"
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

lab_up se --no-bridgehead --rtt 20
CAP="$TMP/server.pcapng"
TSHARK="tshark -o gui.console_open:NEVER"

# Capture on the server's LAN first, so the whole conversation is in the file.
"$BHLAB" exec "$LAB" server -- tshark -i lan0 -w "$CAP" >"$TMP/tshark.log" 2>&1 &
CAP_PID=$!
poll 20 grep -q "Capturing on" "$TMP/tshark.log" || fail "tshark did not start: $(cat "$TMP/tshark.log")"

"$BHLAB" exec "$LAB" server -- "$BH_BIN/exchange-sim" >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
poll 20 eval 'listening "$LAB" server 6001 && listening "$LAB" server 135' ||
  fail "exchange-sim is not listening: $(cat "$TMP/sim.log")"

# (a) impacket's hept_map against ncacn_ip_tcp:10.91.4.2[135], from the client node.
binding=$(in_lab "$LAB" client /usr/bin/python3 -c '
from impacket.dcerpc.v5 import epm
from impacket.uuid import uuidtup_to_bin
print(epm.hept_map("10.91.4.2", uuidtup_to_bin(("a4f1db00-ca47-1067-b31f-00dd010662da", "0.81")),
                   protocol="ncacn_ip_tcp"))' 2>"$TMP/impacket.err")
[ "$binding" = "ncacn_ip_tcp:10.91.4.2[6001]" ] ||
  fail "impacket hept_map gave '$binding', want ncacn_ip_tcp:10.91.4.2[6001] ($(cat "$TMP/impacket.err"))"
pass "impacket hept_map resolves EMSMDB to $binding"

# (b) outlook-sim: EPM, three connections of one association group, EcDoConnectEx, RopLogon,
# 10 MiB read with RopReadStream, EcDoDisconnect.
in_lab "$LAB" client "$BH_BIN/outlook-sim" --server 10.91.4.2 --client-version 2016 \
  open-attachment 10MiB >"$TMP/outlook.out" 2>&1
rc=$?
cat "$TMP/outlook.out"
[ $rc -eq 0 ] || fail "outlook-sim open-attachment 10MiB exited $rc"
line=$(grep '^op=open-attachment ' "$TMP/outlook.out")
echo "$line" | grep -q ' bytes=10485760 ' || fail "outlook-sim did not read 10485760 bytes: $line"
echo "$line" | grep -q ' ok=1' || fail "outlook-sim reports a content mismatch: $line"
grep -q '^op=epm-resolve .*detail=10.91.4.2:6001' "$TMP/outlook.out" ||
  fail "outlook-sim did not resolve EMSMDB through EPM to 10.91.4.2:6001"
pass "outlook-sim open-attachment 10MiB byte-exact: $(echo "$line" | sed 's/.*\(seconds=[0-9.]*\).*\(sha256=[0-9a-f]*\).*/\1 \2/')"

# (c) Stop the capture once it holds every connection's close, both ways, and dissect it.
wait_for 30 "the EPM connections' close in the capture" capture_closed "$CAP" 135
wait_for 30 "the EMSMDB connections' close in the capture" capture_closed "$CAP" 6001
kill -INT "$CAP_PID"
wait "$CAP_PID" 2>/dev/null
CAP_PID=""
[ -s "$CAP" ] || fail "empty capture"
D="-d tcp.port==6001,dcerpc"
malformed=$($TSHARK -r "$CAP" $D -Y '_ws.malformed' -T fields -e frame.number 2>/dev/null | wc -l)
[ "$malformed" -eq 0 ] || fail "$malformed malformed packets in the capture"
experts=$($TSHARK -r "$CAP" $D -Y '_ws.expert.severity == "Error"' -T fields -e frame.number \
  2>/dev/null | wc -l)
[ "$experts" -eq 0 ] || fail "$experts packets with expert errors"
$TSHARK -r "$CAP" $D -q -z expert,error 2>/dev/null | grep -q '^Errors' &&
  fail "tshark -z expert,error lists errors"
pass "tshark: no malformed packets, no expert errors"

fields=$($TSHARK -r "$CAP" $D -Y dcerpc -T fields -e _ws.col.Protocol -e _ws.col.Info 2>/dev/null)
echo "$fields" | grep -q 'Bind: .*EPMv4 V3.0' || fail "tshark saw no bind to EPMv4 V3.0"
echo "$fields" | grep -q '^EPM.*Map request' || fail "tshark saw no EPM Map request"
echo "$fields" | grep -q '^EPM.*Map response' || fail "tshark saw no EPM Map response"
echo "$fields" | grep -q 'Bind: .*MAPI V0.81' || fail "tshark saw no bind to EMSMDB (MAPI V0.81)"
echo "$fields" | grep -q '^MAPI.*EcDoDisconnect request' || fail "tshark saw no EcDoDisconnect"
ports=$($TSHARK -r "$CAP" -Y 'epm.opnum == 3 && dcerpc.pkt_type == 2' -T fields \
  -e epm.proto.tcp_port -e epm.proto.ip 2>/dev/null | sort -u)
[ "$ports" = "$(printf '6001\t10.91.4.2')" ] || fail "EPM map responses carry '$ports'"
opnums=$($TSHARK -r "$CAP" $D -Y 'dcerpc.pkt_type == 0 && tcp.dstport == 6001' -T fields \
  -e dcerpc.opnum 2>/dev/null | sort -un | tr '\n' ' ')
[ "$opnums" = "1 10 11 " ] || fail "EMSMDB opnums seen: '$opnums', want 1 10 11"
pass "tshark names EPMv4 (Map request/response, tower 10.91.4.2:6001) and MAPI opnums $opnums"
