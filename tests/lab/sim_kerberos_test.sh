#!/bin/bash
# The simulators speak Kerberos as Outlook and Exchange do (issue 18, Deliver 1), with no
# Bridgehead in the path: outlook-sim, as alice with her password, gets a ticket for
# exchangeMDB/exch1.bhlab.test from the lab's Samba KDC (bhlab up --ad) and binds EMSMDB (twice)
# and AsyncEMSMDB with Kerberos (auth_type 16, DCE style, three legs) at packet privacy with
# header signing; exchange-sim accepts with EXCH1$'s keytab. A workload runs byte-exact over the
# sealed connections. The independent check: tshark, given the keytab, decrypts both directions
# (the EMSMDB calls dissected from their plain stubs) with no malformed packet and no expert
# error; without the keytab it reads no stub. Then, 1 MiB each, the same checks for SPNEGO
# (auth_type 9, four legs: the third in alter_context) at packet privacy, and for packet
# integrity (MIC tokens, stubs clear) with Kerberos (AES) and SPNEGO (RC4). Uses the machine's
# one lab DC (RESOURCE_LOCK lab_dc).
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
TSHARK="tshark -o gui.console_open:NEVER"

"$BHLAB" exec "$LAB" server -- "$BH_BIN/exchange-sim" --keytab "$A/exch1.keytab" >"$TMP/sim.log" 2>&1 &
SIM_PID=$!
poll 20 eval 'listening "$LAB" server 6001 && listening "$LAB" server 135' ||
  fail "exchange-sim is not listening: $(cat "$TMP/sim.log")"

start_capture() { # start_capture NAME: dumpcap on the server's LAN into $TMP/NAME.pcapng
  CAP="$TMP/$1.pcapng"
  "$BHLAB" exec "$LAB" server -- dumpcap -q -i lan0 -f tcp -w "$CAP" >"$TMP/dumpcap.log" 2>&1 &
  CAP_PID=$!
  wait_for 10 "dumpcap to start on the server" eval '[ -s "$CAP" ]'
}
stop_capture() { # once the capture holds every connection's close, both ways
  wait_for 30 "the EMSMDB connections' close in the capture" capture_closed "$CAP" 6001
  kill -INT "$CAP_PID"
  wait "$CAP_PID" 2>/dev/null
  CAP_PID=""
}

# run NAME ARGS...: outlook-sim as alice from the client node ($CLIENT_ENV before it, e.g. a
# krb5 profile); output in $TMP/NAME.out.
CLIENT_ENV=()
run() {
  local name=$1; shift
  in_lab "$LAB" client env "${CLIENT_ENV[@]}" "$BH_BIN/outlook-sim" --server 10.91.4.2 \
    --spn exchangeMDB/exch1.bhlab.test --kerberos alice@BHLAB.TEST \
    --password-file "$A/alice.password" "$@" >"$TMP/$name.out" 2>&1
}
binds_before=0
BOUND='privacy with header signing'
check_binds() { # check_binds N: exchange-sim accepted N more binds as $BOUND says
  local n
  n=$(grep -c "^exchange-sim: kerberos: alice@BHLAB.TEST bound at packet $BOUND\$" "$TMP/sim.log")
  [ "$((n - binds_before))" -eq "$1" ] || fail "exchange-sim accepted $((n - binds_before)) of $1 Kerberos binds: $(cat "$TMP/sim.log")"
  binds_before=$n
}

D=(-d tcp.port==6001,dcerpc)
K=(-o kerberos.decrypt:TRUE -o "kerberos.file:$A/exch1.keytab")
# counts OPTION... -- FILTER...: into C[0..]: how many frames of $CAP each display filter
# matches (what `tshark -Y FILTER | wc -l` counts: the two agreed on all 64 counts of a run), in
# one tshark pass for all of them (io,stat's columns): each tshark start costs about half a
# second of CPU, and the checks below ask 60 counts.
C=()
counts() {
  local opts=() spec="" f out
  while [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  for f in "$@"; do spec="$spec,$f"; done
  out=$($TSHARK -r "$CAP" "${D[@]}" "${opts[@]}" -q -z "io,stat,0$spec" 2>&1)
  # The row: | interval | frames | bytes | frames | bytes | ... (padded on the right).
  read -r -a C <<<"$(echo "$out" | awk -F '|' -v n=$# '/<>/ && NF >= 2 * n + 3 {
    for (k = 0; k < n; k++) printf "%d ", $(3 + 2 * k) }')"
  [ "${#C[@]}" -eq $# ] || fail "tshark io,stat over $CAP gave ${#C[@]} counts for $# filters: $out"
}
# check_capture KEYTYPE SESSIONS: what tshark makes of $CAP with and without the keytab.
check_capture() {
  local keytype=$1 sessions=$2
  # Without the keytab: DCE/RPC seen, calls not at 16/6, sealed stubs, stubs read.
  counts -- 'tcp.port == 6001 && dcerpc' \
    'tcp.port == 6001 && (dcerpc.pkt_type == 0 || dcerpc.pkt_type == 2) && !(dcerpc.auth_type == 16 && dcerpc.auth_level == 6)' \
    'tcp.port == 6001 && dcerpc.encrypted_stub_data' \
    'tcp.port == 6001 && (dcerpc.decrypted_stub_data || mapi.handle)'
  local rpc=${C[0]} not_sealed=${C[1]} sealed=${C[2]} read_without=${C[3]}
  # With it: malformed or erroneous, requests and responses decrypted, sealed stubs left.
  counts "${K[@]}" -- '_ws.malformed || _ws.expert.severity == error' \
    'tcp.port == 6001 && dcerpc.pkt_type == 0 && dcerpc.decrypted_stub_data' \
    'tcp.port == 6001 && dcerpc.pkt_type == 2 && dcerpc.decrypted_stub_data' \
    'tcp.port == 6001 && dcerpc.encrypted_stub_data && !dcerpc.decrypted_stub_data && !mapi.handle'
  local bad=${C[0]} dec_req=${C[1]} dec_resp=${C[2]} undecrypted=${C[3]}
  [ "$rpc" -gt 0 ] || fail "tshark saw no DCE/RPC on port 6001"
  [ "$bad" -eq 0 ] || fail "tshark: $bad malformed or erroneous packets: $($TSHARK -r "$CAP" "${D[@]}" "${K[@]}" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | head)"
  # Every request (0) and response (2) sealed: auth_type 16 at level 6.
  [ "$not_sealed" -eq 0 ] || fail "a call not at auth_type 16 level 6"
  # The session key and both subkeys (ticket, authenticator, AP-REP) of the wanted type.
  local keys
  keys=$($TSHARK -r "$CAP" "${D[@]}" "${K[@]}" -Y 'tcp.port == 6001 && kerberos' -T fields \
    -e kerberos.keytype 2>/dev/null | tr ',' '\n' | grep . | sort -u | tr '\n' ' ')
  [ "$keys" = "$keytype " ] || fail "keys of type '$keys' in the AP-REQs and AP-REPs, want $keytype"
  # Both directions decrypted: every sealed stub on the EMSMDB port is either shown decrypted
  # (EcDoConnectEx and EcDoRpcExt2, opnums Wireshark's MAPI dissector does not know) or
  # dissected by it (EcDoDisconnect: the session's context handle in, a zeroed one out).
  local handles n_in n_out
  [ "$sealed" -gt 20 ] && [ "$dec_req" -gt 5 ] && [ "$dec_resp" -gt 5 ] && [ "$undecrypted" -eq 0 ] ||
    fail "tshark decrypted $dec_req requests and $dec_resp responses of $sealed sealed PDUs; $undecrypted not decrypted"
  handles=$($TSHARK -r "$CAP" "${D[@]}" "${K[@]}" -Y 'tcp.port == 6001 && mapi.handle' -T fields \
    -e dcerpc.pkt_type -e mapi.handle 2>/dev/null)
  local zero=0000000000000000000000000000000000000000
  n_in=$(echo "$handles" | awk -v z=$zero '$1 == "0" && $2 != z' | wc -l)
  n_out=$(echo "$handles" | awk -v z=$zero '$1 == "2" && $2 == z' | wc -l)
  [ "$n_in" -eq "$sessions" ] && [ "$n_out" -eq "$sessions" ] ||
    fail "EcDoDisconnect dissected from the decrypted stubs: '$handles' (want $sessions requests with the session handle, $sessions responses zeroed)"
  # Without the keytab nothing is read.
  [ "$read_without" -eq 0 ] || fail "tshark read a stub without the keytab"
  pass "tshark with EXCH1\$'s keytab: keys of type $keytype, both directions decrypted ($dec_req requests, $dec_resp responses of $sealed sealed PDUs, none left), $sessions EcDoDisconnect calls dissected (handle in, zeroed out), nothing malformed, every call auth_type 16 level 6; without the keytab no stub read"
}

# aes256-cts-hmac-sha1-96 (18): what the realm's profile gives.
start_capture aes
run open open-attachment 10MiB || fail "outlook-sim open-attachment 10MiB over Kerberos: $(cat "$TMP/open.out"; cat "$TMP/sim.log")"
line=$(grep '^op=open-attachment ' "$TMP/open.out")
echo "$line" | grep -q ' bytes=10485760 ' || fail "did not read 10485760 bytes: $line"
echo "$line" | grep -q ' ok=1' || fail "content mismatch: $line"
check_binds 3
pass "open-attachment 10MiB byte-exact over 3 Kerberos-sealed binds (alice, exchangeMDB/exch1.bhlab.test): $(echo "$line" | sed 's/.*\(seconds=[0-9.]*\).*\(sha256=[0-9a-f]*\).*/\1 \2/')"
run save save-attachment 1MiB || fail "outlook-sim save-attachment 1MiB over Kerberos: $(cat "$TMP/save.out")"
grep -q '^op=save-attachment .* ok=1' "$TMP/save.out" || fail "save-attachment: $(cat "$TMP/save.out")"
check_binds 3
pass "save-attachment 1MiB byte-exact (requests in many sealed fragments)"
stop_capture
check_capture 18 2

# arcfour-hmac (23, RFC 4757): the client asks its service ticket with RC4 only, so the session
# key and both subkeys are RC4 and the wrap tokens RFC 4757's.
sed 's/^\[libdefaults\]$/[libdefaults]\n\tdefault_tgs_enctypes = arcfour-hmac\n\tpermitted_enctypes = arcfour-hmac aes256-cts-hmac-sha1-96/' \
  "$A/krb5.conf" >"$TMP/rc4.conf"
grep -q 'default_tgs_enctypes = arcfour-hmac' "$TMP/rc4.conf" || fail "cannot make the RC4 profile"
chmod 644 "$TMP/rc4.conf"
CLIENT_ENV=(KRB5_CONFIG="$TMP/rc4.conf")
start_capture rc4
run rc4 open-attachment 10MiB || fail "outlook-sim open-attachment 10MiB over Kerberos RC4: $(cat "$TMP/rc4.out"; cat "$TMP/sim.log")"
grep -q '^op=open-attachment .* bytes=10485760 .* ok=1' "$TMP/rc4.out" || fail "RC4: $(cat "$TMP/rc4.out")"
check_binds 3
pass "arcfour-hmac: open-attachment 10MiB byte-exact over 3 sealed binds"
stop_capture
check_capture 23 1

# check_session KEYTYPE AUTH_TYPE LEVEL: a capture of one save-attachment session bound with
# AUTH_TYPE (9: SPNEGO, 16: Kerberos) at LEVEL (6: privacy, 5: integrity), read by tshark.
check_session() {
  local keytype=$1 at=$2 level=$3 keys zero=0000000000000000000000000000000000000000
  local tok=0x0404
  [ "$keytype" = 23 ] && tok=0x0101
  # Without the keytab: the calls, those not at AT/LEVEL, SPNEGO's legs and mechListMICs,
  # rpc_auth_3, sealed stubs, stubs read, MIC tokens ($tok) on calls.
  counts -- 'tcp.port == 6001 && (dcerpc.pkt_type == 0 || dcerpc.pkt_type == 2)' \
    "tcp.port == 6001 && (dcerpc.pkt_type == 0 || dcerpc.pkt_type == 2) && !(dcerpc.auth_type == $at && dcerpc.auth_level == $level)" \
    'tcp.port == 6001 && dcerpc.pkt_type == 11 && spnego.mechToken' \
    'tcp.port == 6001 && dcerpc.pkt_type == 12 && spnego.negResult == 1 && spnego.responseToken' \
    'tcp.port == 6001 && dcerpc.pkt_type == 14 && spnego.responseToken' \
    'tcp.port == 6001 && dcerpc.pkt_type == 15 && spnego.negResult == 0' \
    'tcp.port == 6001 && dcerpc.pkt_type == 16' \
    'tcp.port == 6001 && dcerpc.pkt_type == 14 && spnego.mechListMIC' \
    'tcp.port == 6001 && dcerpc.pkt_type == 15 && spnego.mechListMIC' \
    'tcp.port == 6001 && dcerpc.encrypted_stub_data' \
    'tcp.port == 6001 && (dcerpc.decrypted_stub_data || mapi.handle)' \
    "tcp.port == 6001 && (dcerpc.pkt_type == 0 || dcerpc.pkt_type == 2) && spnego.krb5.tok_id == $tok"
  local calls=${C[0]} off_level=${C[1]} legs="${C[2]} ${C[3]} ${C[4]} ${C[5]}" auth3=${C[6]}
  local mic_alter=${C[7]} mic_alter_resp=${C[8]} sealed=${C[9]} read_without=${C[10]} mics=${C[11]}
  # With it: malformed or erroneous, requests and responses decrypted, sealed stubs left.
  counts "${K[@]}" -- '_ws.malformed || _ws.expert.severity == error' \
    'tcp.port == 6001 && dcerpc.pkt_type == 0 && dcerpc.decrypted_stub_data' \
    'tcp.port == 6001 && dcerpc.pkt_type == 2 && dcerpc.decrypted_stub_data' \
    'tcp.port == 6001 && dcerpc.encrypted_stub_data && !dcerpc.decrypted_stub_data && !mapi.handle'
  local bad=${C[0]} dec_req=${C[1]} dec_resp=${C[2]} undecrypted=${C[3]}
  [ "$bad" -eq 0 ] || fail "tshark: $bad malformed or erroneous packets: $($TSHARK -r "$CAP" "${D[@]}" "${K[@]}" -Y '_ws.malformed || _ws.expert.severity == error' 2>/dev/null | head)"
  [ "$calls" -gt 10 ] || fail "only $calls requests and responses on port 6001"
  [ "$off_level" -eq 0 ] || fail "a call not at auth_type $at level $level"
  keys=$($TSHARK -r "$CAP" "${D[@]}" "${K[@]}" -Y 'tcp.port == 6001 && kerberos' -T fields \
    -e kerberos.keytype 2>/dev/null | tr ',' '\n' | grep . | sort -u | tr '\n' ' ')
  [ "$keys" = "$keytype " ] || fail "keys of type '$keys' in the AP-REQs and AP-REPs, want $keytype"
  local what=""
  if [ "$at" = 9 ]; then
    # The four legs of each of the 3 binds: NegTokenInit with the AP-REQ, NegTokenResp
    # accept-incomplete with the AP-REP, alter_context with the client's NegTokenResp, and
    # alter_context_resp accept-completed.
    [ "$legs" = "3 3 3 3" ] || fail "SPNEGO legs (bind, bind_ack, alter_context, alter_context_resp): $legs, want 3 of each"
    [ "$auth3" -eq 0 ] || fail "rpc_auth_3 in a SPNEGO bind"
    # RFC 4178 5: a mechListMIC each way when MIT decides one is required (reported, not asked).
    what="four SPNEGO legs per bind, mechListMIC in $mic_alter alter_context and $mic_alter_resp alter_context_resp;"
  fi
  if [ "$level" = 6 ]; then
    [ "$sealed" -eq "$calls" ] && [ "$dec_req" -gt 5 ] && [ "$dec_resp" -gt 5 ] && [ "$undecrypted" -eq 0 ] ||
      fail "tshark decrypted $dec_req requests and $dec_resp responses of $sealed sealed PDUs ($calls calls); $undecrypted not decrypted"
    [ "$read_without" -eq 0 ] || fail "tshark read a stub without the keytab"
    what="$what $dec_req requests and $dec_resp responses decrypted of $sealed sealed"
  else
    # Packet integrity: every call's verifier a MIC token (RFC 4121 04 04 for AES, RFC 4757
    # 01 01 for RC4), the stubs clear.
    [ "$mics" -eq "$calls" ] || fail "$mics MIC tokens ($tok) for $calls calls"
    [ "$sealed" -eq 0 ] || fail "a stub sealed at packet integrity"
    what="$what $mics calls signed with MIC tokens ($tok), stubs clear"
  fi
  # EcDoDisconnect dissected both ways (the session's handle in, a zeroed one out).
  local handles n_in n_out
  handles=$($TSHARK -r "$CAP" "${D[@]}" "${K[@]}" -Y 'tcp.port == 6001 && mapi.handle' -T fields \
    -e dcerpc.pkt_type -e mapi.handle 2>/dev/null)
  n_in=$(echo "$handles" | awk -v z=$zero '$1 == "0" && $2 != z' | wc -l)
  n_out=$(echo "$handles" | awk -v z=$zero '$1 == "2" && $2 == z' | wc -l)
  [ "$n_in" -eq 1 ] && [ "$n_out" -eq 1 ] || fail "EcDoDisconnect in the capture: '$handles'"
  pass "tshark with EXCH1\$'s keytab: keys of type $keytype, every call auth_type $at level $level, $what, EcDoDisconnect dissected both ways, nothing malformed"
}
# session NAME KEYTYPE AUTH_TYPE LEVEL OPTIONS...: one save-attachment 1MiB (requests in many
# fragments, each answered), captured and checked.
session() {
  local name=$1 keytype=$2 at=$3 level=$4; shift 4
  binds_before=$(grep -c "^exchange-sim: kerberos: alice@BHLAB.TEST bound at packet $BOUND\$" "$TMP/sim.log")
  start_capture "$name"
  run "$name" "$@" save-attachment 1MiB || fail "outlook-sim $* save-attachment 1MiB: $(cat "$TMP/$name.out"; tail -5 "$TMP/sim.log")"
  grep -q '^op=save-attachment .* ok=1' "$TMP/$name.out" || fail "$name: $(cat "$TMP/$name.out")"
  check_binds 3
  pass "$name ($*): save-attachment 1MiB byte-exact over 3 binds ($BOUND)"
  stop_capture
  check_session "$keytype" "$at" "$level"
}
# SPNEGO (auth_type 9) at packet privacy, AES; Kerberos at packet integrity, AES; SPNEGO at
# packet integrity, RC4.
CLIENT_ENV=()
BOUND='privacy with header signing (SPNEGO)'
session spnego 18 9 6 --spnego
BOUND='integrity with header signing'
session krb5-sign 18 16 5 --integrity
CLIENT_ENV=(KRB5_CONFIG="$TMP/rc4.conf")
BOUND='integrity with header signing (SPNEGO)'
session rc4-spnego-sign 23 9 5 --spnego --integrity

# A keytab with another key for EXCH1$ (same kvno, a random password): the AP-REQ does not
# verify, exchange-sim names why and answers bind_nak; outlook-sim names the refusal.
kill -TERM "$SIM_PID"; wait "$SIM_PID" 2>/dev/null; SIM_PID=""
wait_for 10 "exchange-sim to stop" eval '! listening "$LAB" server 6001'
printf 'addent -password -p EXCH1$@BHLAB.TEST -k 2 -e aes256-cts-hmac-sha1-96\n%s\naddent -password -p EXCH1$@BHLAB.TEST -k 2 -e arcfour-hmac\n%s\nwkt %s\n' \
  "$(openssl rand -hex 16)" "$(openssl rand -hex 16)" "$TMP/wrong.keytab" | ktutil >/dev/null 2>&1
[ -s "$TMP/wrong.keytab" ] || fail "ktutil made no keytab"
"$BHLAB" exec "$LAB" server -- "$BH_BIN/exchange-sim" --keytab "$TMP/wrong.keytab" >"$TMP/wrong-sim.log" 2>&1 &
SIM_PID=$!
poll 20 eval 'listening "$LAB" server 6001' || fail "exchange-sim is not listening: $(cat "$TMP/wrong-sim.log")"
CLIENT_ENV=()
run wrong browse && fail "a bind with a ticket the keytab cannot decrypt succeeded: $(cat "$TMP/wrong.out")"
grep -q 'bind_nak' "$TMP/wrong.out" || fail "outlook-sim did not name the bind_nak: $(cat "$TMP/wrong.out")"
grep -q '^exchange-sim: kerberos: bind refused: ' "$TMP/wrong-sim.log" ||
  fail "exchange-sim did not name the refusal: $(cat "$TMP/wrong-sim.log")"
pass "a keytab with another key: $(grep -m1 "bind refused" "$TMP/wrong-sim.log" | cut -c1-200); outlook-sim: $(grep bind_nak "$TMP/wrong.out" | head -1 | cut -c1-100)"
