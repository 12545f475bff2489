#!/bin/bash
# Issue 16, WAN secure on the peer legs (proxy/wan_secure/): with mode `always` for every class,
# 100 MiB of generic traffic and outlook-sim workloads are byte-exact through edge + core, flows
# resume with 0-RTT early data (one after another, 4 at once, 8 short ones in a row), and a
# capture on the WAN node shows TLS 1.3 on every peer leg and nothing tshark dissects as
# DCE/RPC or EMSMDB. Then the failures, each named and each flow still byte-exact (handed off as
# pass-through):
# peer-cert-verify on with the default self-signed certificate (and the seed's "disconnected
# more than four consecutive times" line once), a mode mismatch. Last, the store key and the
# peering key appear in no log line and no show output (hex or base64).
. "$(dirname "$0")/lib.sh"
TOOLS="$(cd "$(dirname "$0")/tools" && pwd)"
for b in exchange-sim outlook-sim bridgehead bhctl bh-corpus; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b"
done

lab_up wansec --rtt 20
. "$(dirname "$0")/wansec_lib.sh"

configure edge
configure core
for node in edge core; do
  st=$("$BHLAB" ctl "$LAB" $node --json show secure-store | field 'j["state"]')
  [ "$st" = open ] || fail "$node: secure store is '$st', not open"
  mode=$(stat -c %a "$D/$node-secure")
  [ "$mode" = 700 ] || fail "$node: store directory mode $mode, not 700"
  kmode=$(stat -c %a "$D/$node-store.key")
  [ "$kmode" = 600 ] || fail "$node: store key file mode $kmode, not 600"
done
pass "secure stores open (0700), key files 0600, default identities made at first start"

# Every peer leg from here on is captured on the WAN node.
in_lab "$LAB" wan dumpcap -q -i edge0 -f "tcp" -w "$D/wan.pcap" >/dev/null 2>&1 &
cap=$!
wait_for 10 "dumpcap to start" eval '[ -s "$D/wan.pcap" ]'

in_lab "$LAB" server sh -c "$TOOLS/flowcheck.py server --port 5001 >/dev/null 2>&1 &"
wait_for 20 "the test server to listen on :5001" listening "$LAB" server 5001
"$BH_BIN/bh-corpus" $((100 << 20)) 1 >"$D/a.bin"
in_lab "$LAB" client "$TOOLS/sendfile.py" "$D/a.bin" 10.91.4.2 5001 >/dev/null ||
  fail "100 MiB through secured peer legs not byte-exact"
done_n=$(ws_json edge | field 'j["handshakes_done"]')
[ "$done_n" -ge 1 ] || fail "the edge counted no WAN secure handshake"
pass "100 MiB generic (mode always) byte-exact over TLS; edge handshakes done: $done_n"

in_lab "$LAB" server sh -c "'$BH_BIN/exchange-sim' --attachment-sizes 10MiB,1MiB >'$D/sim.log' 2>&1 &"
wait_for 20 "exchange-sim to listen on :135" listening "$LAB" server 135
run() { # run NAME ARGS...: outlook-sim must report ok=1 (every byte checked)
  local name=$1; shift
  in_lab "$LAB" client "$BH_BIN/outlook-sim" --server 10.91.4.2 --client-version 2007 \
    --attachment-sizes 10MiB,1MiB "$@" >"$D/$name.out" 2>&1 ||
    fail "outlook-sim $*: $(tail -3 "$D/$name.out")"
  grep -q "^op=$1 .* ok=1" "$D/$name.out" || fail "outlook-sim $* not byte-exact"
  grep "^op=$1 " "$D/$name.out"
}
for w in "open-attachment open-attachment 10MiB" "sync sync" "save-attachment save-attachment 1MiB"; do
  # shellcheck disable=SC2086
  line=$(run $w) || exit 1
  pass "outlook-sim ${w#* } byte-exact over WAN secure: $line"
done
resumed=$(ws_json edge | field 'j["handshakes_resumed"]')
[ "$resumed" -ge 1 ] || fail "no peer leg resumed a TLS session"
pass "edge: $(ws_json edge | field 'j["handshakes_done"]') handshakes, $resumed resumed"

# 0-RTT: one flow after another to the same core, each resumes the ticket the one before got and
# sends the client's first bytes as early data with its ClientHello; each byte-exact, each
# counted as resumed and as early data accepted on both ends.
early() { ws_json "$1" | field 'j["early_data_accepted"]'; }
r0=$resumed e0=$(early edge) c0=$(early core)
"$BH_BIN/bh-corpus" $((1 << 20)) 2 >"$D/b.bin"
for i in 1 2 3; do
  in_lab "$LAB" client "$TOOLS/sendfile.py" "$D/b.bin" 10.91.4.2 5001 >/dev/null ||
    fail "resumed flow $i (0-RTT) not byte-exact"
done
r1=$(ws_json edge | field 'j["handshakes_resumed"]') e1=$(early edge) c1=$(early core)
[ "$r1" -ge $((r0 + 3)) ] || fail "3 flows in a row: resumed $r0 -> $r1, not +3"
[ "$e1" -ge $((e0 + 3)) ] || fail "3 resumed flows: edge early data accepted $e0 -> $e1, not +3"
[ "$c1" -ge $((c0 + 3)) ] || fail "3 resumed flows: core early data accepted $c0 -> $c1, not +3"
pass "3 flows in a row resumed with 0-RTT early data, byte-exact (resumed $r0 -> $r1, early data accepted: edge $e0 -> $e1, core $c0 -> $c1)"

# Several new flows to one core at once: the edge keeps several tickets per peer (a full
# handshake brings 4), so each takes one of its own and sends its first bytes as early data.
# The edge restarted first, so it holds exactly the tickets of one first contact.
configure edge
in_lab "$LAB" client "$TOOLS/sendfile.py" "$D/b.bin" 10.91.4.2 5001 >/dev/null ||
  fail "first contact after the edge's restart not byte-exact"
resumed_n() { ws_json "$1" | field 'j["handshakes_resumed"]'; }
r0=$(resumed_n edge) e0=$(early edge) c0=$(early core)
in_lab "$LAB" client "$TOOLS/flowcheck.py" client --host 10.91.4.2 --port 5001 --mode up \
  --bytes $((1 << 20)) --conns 4 >"$D/burst.out" || fail "4 flows at once: $(cat "$D/burst.out")"
r1=$(resumed_n edge) e1=$(early edge) c1=$(early core)
[ "$r1" -eq $((r0 + 4)) ] || fail "4 flows at once: resumed $r0 -> $r1, not +4"
[ "$e1" -eq $((e0 + 4)) ] || fail "4 flows at once: edge early data accepted $e0 -> $e1, not +4"
[ "$c1" -ge $((c0 + 4)) ] || fail "4 flows at once: core early data accepted $c0 -> $c1, not +4"
pass "4 flows at once to one core, each resumed with 0-RTT early data on a ticket of its own, byte-exact (edge resumed $r0 -> $r1, early data accepted: edge $e0 -> $e1, core $c0 -> $c1)"

# Short flows one after another, more than a handshake's 4 tickets: each (1 byte up, then both
# closes) is over before the core's ticket for its resumption arrives (the core sends it once
# it has the edge's Finished, a round trip later); the edge keeps the leg open for it, so every
# one resumes with 0-RTT early data and the pool stays as it was (before, every fifth flow made
# a full handshake: at 100 ms RTT one flow in five took a round trip more; main's binary fails
# this: 4 -> 11).
r0=$(resumed_n edge) e0=$(early edge) d0=$(ws_json edge | field 'j["handshakes_done"]')
for i in 1 2 3 4 5 6 7 8; do
  in_lab "$LAB" client "$TOOLS/flowcheck.py" client --host 10.91.4.2 --port 5001 --mode up \
    --bytes 1 >"$D/short.out" || fail "short flow $i: $(cat "$D/short.out")"
done
r1=$(resumed_n edge) e1=$(early edge) d1=$(ws_json edge | field 'j["handshakes_done"]')
[ "$d1" -eq $((d0 + 8)) ] || fail "8 short flows: handshakes $d0 -> $d1, not +8"
[ "$r1" -eq $((r0 + 8)) ] || fail "8 short flows one after another: resumed $r0 -> $r1, not +8 (a ticket lost?)"
[ "$e1" -eq $((e0 + 8)) ] || fail "8 short flows: edge early data accepted $e0 -> $e1, not +8"
pass "8 short flows one after another, each resumed with 0-RTT early data (the edge waited for each resumption's ticket): resumed $r0 -> $r1"

# The seed's WAN Secure table and the certificates (the local one and the core's, both the
# default self-signed ones).
mapi=$("$BHLAB" ctl "$LAB" edge show accelerator mapi)
for row in "WAN Secure:" "SSL AO                       User      enabled" \
  "Secure store                 User      enabled" "Peer cert verify             Default   disabled"; do
  printf '%s\n' "$mapi" | grep -qF "$row" || fail "show accelerator mapi lacks '$row'"
done
certs=$("$BHLAB" ctl "$LAB" edge show crypto certificates)
printf '%s\n' "$certs" | grep -q "^Certificate: local" || fail "show crypto certificates: no local one"
printf '%s\n' "$certs" | grep -q "^Certificate: peer " || fail "show crypto certificates: no peer"
[ "$(printf '%s\n' "$certs" | grep -c "Self-signed: yes (the default peering certificate)")" -eq 2 ] ||
  fail "show crypto certificates does not mark both default certificates"
pass "show accelerator mapi has the WAN Secure table; show crypto certificates lists both certificates"

kill "$cap"; wait "$cap" 2>/dev/null
# Every TCP stream on the WAN that carried payload must be TLS 1.3: decode-as on every server
# port the capture saw a SYN to (tshark's heuristics leave non-standard ports undissected).
decode=()
for p in $(tshark -r "$D/wan.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" -T fields \
  -e tcp.dstport 2>/dev/null | sort -un); do
  decode+=(-d "tcp.port==$p,tls")
done
streams=$(tshark -r "$D/wan.pcap" -Y "tcp.len > 0" -T fields -e tcp.stream 2>/dev/null | sort -un | wc -l)
tls13=$(tshark -r "$D/wan.pcap" "${decode[@]}" \
  -Y "tls.handshake.type == 2 && tls.handshake.extensions.supported_version == 0x0304" \
  -T fields -e tcp.stream) || fail "tshark could not read the capture with the TLS filter"
tls13=$(printf '%s\n' "$tls13" | sed '/^$/d' | sort -un | wc -l)
[ "$streams" -ge 5 ] || fail "the capture holds only $streams streams with data"
[ "$tls13" -eq "$streams" ] || fail "$tls13 of $streams peer legs show a TLS 1.3 ServerHello"
# Without decode-as, tshark dissects port 135 as DCE/RPC and EMSMDB as such if it is clear.
clear=$(tshark -r "$D/wan.pcap" -Y "dcerpc || epm || mapi") ||
  fail "tshark refused the DCE/RPC filter"
[ -z "$clear" ] || fail "tshark dissects DCE/RPC/EMSMDB on the WAN: $(printf '%s' "$clear" | head -2)"
pass "WAN capture: $streams of $streams peer legs TLS 1.3, no DCE/RPC or EMSMDB dissected"

# A bad record before the HelloAck on a leg that sent early data (the WAN emulator flips a byte
# of the resumed ClientHello: its binder no longer verifies, the core refuses it): the edge cannot
# know the core did not open the early data, so it resets the flow rather than send those bytes
# again on a pass-through leg (secure/README.md "Resumption and early data", rule 4; without
# early data such a flow is handed off, tests/lab/wansec_ocsp_test.sh section 5).
h0=$(ws_json edge | field 'j["handed_off"]') f0=$(ws_json edge | field 'j["handshakes_failed"]')
"$BHLAB" tamper "$LAB" flip to-server 1 5001 || fail "bhlab tamper"
r=$(in_lab "$LAB" client timeout 60 "$TOOLS/sendfile.py" "$D/b.bin" 10.91.4.2 5001 2>&1) &&
  fail "a flow whose early data may have arrived went on after a bad record: $r"
case "$r" in *ConnectionResetError*) ;; *) fail "the flow with early data was not reset: $r" ;; esac
t=$("$BHLAB" tamper "$LAB" status)
case "$t" in done:*) ;; *) fail "the WAN emulator did not tamper: $t" ;; esac
[ "$(ws_json edge | field 'j["handshakes_failed"]')" -gt "$f0" ] || fail "the edge counted no failure"
[ "$(ws_json edge | field 'j["handed_off"]')" -eq "$h0" ] || fail "a flow with early data was handed off"
why=$(ws_json edge | field 'list(j["failed_by_reason"].keys())')
cwhy=$(ws_json core | field 'list(j["failed_by_reason"].keys())')
pass "bad record before the HelloAck after early data (${t#done: }): the flow reset, not handed off (edge: $why, core: $cwhy)"

# Peer-cert-verify on at the edge with the default self-signed certificates: named, handed off.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=wansec-ca \
  -keyout "$D/ca.key" -out "$D/ca.pem" >/dev/null 2>&1 || fail "openssl req"
configure edge "w['peer_cert_verify'] = True" "w['ca_bundle'] = '$D/ca.pem'" "w['ocsp'] = {'enabled': False}"
for i in 1 2 3 4 5 6; do
  in_lab "$LAB" client "$TOOLS/sendfile.py" "$D/a.bin" 10.91.4.2 5001 >/dev/null ||
    fail "flow $i with a refused peer certificate not byte-exact"
done
n=$(ws_json edge | field 'j["failed_by_reason"].get("peer-default-self-signed", 0)')
[ "$n" -ge 6 ] || fail "edge counted $n peer-default-self-signed failures, not 6"
h=$(ws_json edge | field 'j["handed_off"]')
[ "$h" -ge 6 ] || fail "edge handed off $h flows, not 6"
lines=$(grep -c "disconnected more than four consecutive times" "$D/edge.log")
[ "$lines" -eq 1 ] || fail "the consecutive-failures line logged $lines times, not once"
grep "disconnected more than four consecutive times" "$D/edge.log" |
  grep -q "peer certificate is the default self-signed one and peer-cert-verify is on" ||
  fail "the consecutive-failures line does not name the cause"
once=$(grep -c "wan-secure: peer .*: peer-default-self-signed" "$D/edge.log")
[ "$once" -eq 1 ] || fail "the failure reason was logged $once times, not once"
pass "verify on + default self-signed: 6 flows byte-exact (pass-through), named, logged once, seed's line once"

# Peer-cert-verify on at the core only: it refuses the edge's default certificate after the
# edge's Finished, when the edge has already sent the client's first bytes inside TLS. The edge
# kept them (unconfirmed until the HelloAck) and sends them first on the pass-through leg.
configure edge
configure core "w['peer_cert_verify'] = True" "w['ca_bundle'] = '$D/ca.pem'" "w['ocsp'] = {'enabled': False}"
h0=$(ws_json edge | field 'j["handed_off"]')
in_lab "$LAB" client "$TOOLS/sendfile.py" "$D/a.bin" 10.91.4.2 5001 >/dev/null ||
  fail "flow refused by the core after the edge's Finished not byte-exact"
n=$(ws_json core | field 'j["failed_by_reason"].get("peer-default-self-signed", 0)')
[ "$n" -ge 1 ] || fail "the core did not name the edge's default self-signed certificate"
h=$(ws_json edge | field 'j["handed_off"]')
[ "$h" -gt "$h0" ] || fail "the edge did not hand the refused flow off"
why=$(ws_json edge | field 'list(j["failed_by_reason"].keys())')
pass "verify on at the core: refused after the edge's Finished (core: peer-default-self-signed, edge: $why), the kept client bytes sent first, byte-exact"

# A mode mismatch: the core secures nothing of the generic class.
configure edge
configure core "w['mode']['generic'] = 'never'"
in_lab "$LAB" client "$TOOLS/sendfile.py" "$D/a.bin" 10.91.4.2 5001 >/dev/null ||
  fail "flow with a mode mismatch not byte-exact"
n=$(ws_json edge | field 'j["failed_by_reason"].get("mode-mismatch", 0)')
[ "$n" -ge 1 ] || fail "the edge did not name the mode mismatch"
n=$(ws_json core | field 'j["failed_by_reason"].get("mode-mismatch", 0)')
[ "$n" -ge 1 ] || fail "the core did not name the mode mismatch"
pass "mode mismatch: named on both ends, flow byte-exact"

# No secret in any log line or show output: the store keys and the peering keys (opened from
# the store with the format of secure/README.md), in hex and base64, as 8-byte runs.
outs="$D/show-all.txt"
: >"$outs"
for node in edge core; do
  for cmd in "show statistics wan-secure" "show crypto certificates" "show secure-store" \
    "show accelerator mapi" "show running-config" "show statistics connection" "show device"; do
    "$BHLAB" ctl "$LAB" $node $cmd >>"$outs" 2>&1
    "$BHLAB" ctl "$LAB" $node --json $cmd >>"$outs" 2>&1
  done
done
/usr/bin/python3 - "$D" "$outs" "$D/edge.log" "$D/core.log" <<'PY' || fail "a key appears in a log or show output"
import base64, struct, sys
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
d, files = sys.argv[1], sys.argv[2:]
text = b"".join(open(f, "rb").read() for f in files)
def runs(b):
    for i in range(0, max(1, len(b) - 7)):
        w = b[i:i + 8]
        yield w.hex().encode(); yield w.hex().upper().encode()
    for i in range(0, len(b) - 11, 3):  # base64 of every 12-byte run on a 3-byte boundary
        yield base64.b64encode(b[i:i + 12])
secrets = []
for node in ("edge", "core"):
    key = open(f"{d}/{node}-store.key", "rb").read()
    secrets.append(key)
    f = open(f"{d}/{node}-secure/peering-key", "rb").read()
    n = struct.unpack(">I", f[20:24])[0]
    pem = AESGCM(key).decrypt(f[8:20], f[24:24 + n + 16], f[:24] + b"peering-key")
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    scalar = load_pem_private_key(pem, None).private_numbers().private_value.to_bytes(32, "big")
    secrets.append(scalar)
    for line in pem.splitlines():
        if not line.startswith(b"-----") and line in text:
            sys.exit(f"a line of the {node} peering key's PEM is in the output")
for s in secrets:
    for r in runs(s):
        if r in text:
            sys.exit("secret bytes found: " + r.decode()[:6] + "...")
print("checked", len(text), "bytes against", len(secrets), "secrets")
PY
pass "no store key and no peering key (hex, base64) in the logs or any show output"
rm -f "$D/a.bin"
