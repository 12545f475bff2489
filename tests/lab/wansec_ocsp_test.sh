#!/bin/bash
# Issue 16, WAN secure with peer-cert-verify and OCSP (proxy/wan_secure/README.md "Revocation"),
# on the lab PKI of `bhlab up --secure` (lab/bhlab_secure.sh: the lab CA, edge and core
# certificates whose AIA names Debian's `openssl ocsp` on the server node, answers valid for a
# minute):
#  - verify on both ends: handshakes succeed, OCSP answered once and then from the cache;
#  - `bhlab revoke` the core: once the cached answer expires, new flows are byte-exact (handed
#    off), "certificate-revoked" counted, the seed's "disconnected more than four consecutive
#    times" line logged once, naming the core's certificate and the responder; `bhlab unrevoke`:
#    once the cached "revoked" expires, new flows are secured again, nothing restarted;
#  - a core certificate from another CA, and an expired one: each named, each flow byte-exact;
#  - bad TLS records on a real peer leg (`bhlab tamper`: a flipped byte, a garbage header, an
#    oversized record, a record cut and closed): before the HelloAck each flow handed off
#    byte-exact, after it reset, each named where found; a flow alongside unaffected;
#  - a responder that accepts and never answers: the configured verdict after the timeout
#    (fail_closed, then fail_open), and the loop never blocked: a flow that keeps echoing during
#    the wait (pass-through in the first run, secured in the second) shows no gap near the timeout.
. "$(dirname "$0")/lib.sh"
TOOLS="$(cd "$(dirname "$0")/tools" && pwd)"
for b in bridgehead bhctl bh-corpus; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b"
done

lab_up wansec2o --secure --rtt 20
. "$(dirname "$0")/wansec_lib.sh"
P=$D/pki
URL=http://10.91.4.2:8888/

# Every node: the lab PKI's certificate of the node, the lab CA as bundle, peer-cert-verify on,
# OCSP from the AIA (configure's expressions change these).
WANSEC_DEFAULTS=(
  "w['identity'] = {'certificate': f'{d}/pki/{node}.pem', 'private_key': f'{d}/pki/{node}.key'}"
  "w['ca_bundle'] = f'{d}/pki/ca.pem'" "w['peer_cert_verify'] = True")
certs_json() { "$BHLAB" ctl "$LAB" "$1" --json show crypto certificates; }
failed() { ws_json "$1" | field "j['failed_by_reason'].get('$2', 0)"; }
send() { # send WHAT [FILE]: one flow of FILE (a.bin, 4 MiB), byte-exact within 60 s or the test fails
  in_lab "$LAB" client timeout 60 "$TOOLS/sendfile.py" "${2:-$D/a.bin}" 10.91.4.2 5001 >/dev/null ||
    fail "$1: flow not byte-exact"
}
# log_since FILE OFFSET: what FILE got after byte OFFSET (logs grow across restarts).
log_since() { tail -c +$(($2 + 1)) "$1"; }
log_size() { stat -c %s "$1"; }

configure edge
configure core
in_lab "$LAB" server sh -c "$TOOLS/flowcheck.py server --port 5001 >/dev/null 2>&1 &"
in_lab "$LAB" server sh -c "$TOOLS/echogap.py server --port 5002 >/dev/null 2>&1 &"
wait_for 20 "the test servers to listen on :5001 and :5002" \
  eval 'listening $LAB server 5001 && listening $LAB server 5002'
"$BH_BIN/bh-corpus" $((4 << 20)) 1 >"$D/a.bin"
"$BH_BIN/bh-corpus" $((64 << 10)) 2 >"$D/b.bin"  # the probes while a cached answer expires

# 1. Verify on both ends with the lab certificates: secured, OCSP asked once, then cached.
for i in 1 2 3; do send "lab certificates, flow $i"; done
ws_json edge >"$D/ws1.json"
/usr/bin/python3 - "$D/ws1.json" "$URL" <<'PY' || fail "edge statistics after three flows"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["handshakes_done"] >= 3 and j["handshakes_failed"] == 0 and j["handed_off"] == 0, j
o = j["ocsp"]
assert o and o["responder"] == "each certificate's AIA" and o["unreachable"] == "fail_closed", o
assert o["requests"] == 1 and o["checks"] >= 3 and o["cache_hits"] >= 2, o
assert o["cached_answers"] == 1, o
PY
core_ocsp=$(ws_json core | field 'j["ocsp"]["requests"], j["ocsp"]["cache_hits"]')
certs_json edge >"$D/certs1.json"
/usr/bin/python3 - "$D/certs1.json" <<'PY' || fail "edge show crypto certificates: $(cat "$D/certs1.json")"
import json, sys
c = json.load(open(sys.argv[1]))["certificates"]
local = [x for x in c if x["owner"] == "local"][0]
peer = [x for x in c if x["owner"].startswith("peer ")][0]
assert "CN=edge" in local["subject"] and not local["default_self_signed"], local
assert "CN=core" in peer["subject"] and "lab CA" in peer["issuer"], peer
assert peer["ocsp_status"] == "good (cached)", peer
assert peer["ocsp_age_seconds"] is not None and 0 <= peer["ocsp_age_seconds"] <= 60, peer
PY
pass "verify on both ends, lab certificates: 3 flows secured; edge: OCSP asked once, then answered from the cache; core (requests, cache hits): $core_ocsp; peer certificate OCSP 'good (cached)'"

# 2. Revoke the core. The edge's cached "good" holds until its nextUpdate (a minute at most);
# from then on every new flow is handed off, byte-exact.
edge_pid=$(cat "$D/edge.pid")
core_pid=$(cat "$D/core.pid")
log0=$(log_size "$D/edge.log")
h0=$(ws_json edge | field 'j["handed_off"]')
"$BHLAB" revoke "$LAB" core >/dev/null || fail "bhlab revoke $LAB core"
t0=$(date +%s)
revoked_seen() { send "revoked core, waiting for the cached answer to expire" "$D/b.bin"; [ "$(failed edge certificate-revoked)" -ge 1 ]; }
wait_for 90 "the edge to refuse the revoked core certificate" revoked_seen
t1=$(date +%s)
for i in 1 2 3 4 5; do send "revoked core, flow $i after the first refusal"; done
n=$(failed edge certificate-revoked)
[ "$n" -ge 6 ] || fail "edge counted $n certificate-revoked failures, not 6"
h=$(ws_json edge | field 'j["handed_off"]')
[ $((h - h0)) -ge 6 ] || fail "edge handed off $((h - h0)) flows, not 6"
log_since "$D/edge.log" "$log0" >"$D/revoked.log"
lines=$(grep -c "disconnected more than four consecutive times" "$D/revoked.log")
[ "$lines" -eq 1 ] || fail "the consecutive-failures line logged $lines times, not once"
line=$(grep "disconnected more than four consecutive times" "$D/revoked.log")
for want in 'cause: peer certificate "CN=core,O=bhlab" (serial 0x1002) revoked' "(OCSP, $URL" "remedy:"; do
  printf '%s\n' "$line" | grep -qF "$want" || fail "the consecutive-failures line lacks '$want': $line"
done
once=$(grep -c "wan-secure: peer .*: certificate-revoked" "$D/revoked.log")
[ "$once" -eq 1 ] || fail "the revocation was logged $once times, not once"
status=$(certs_json edge | field '[x["ocsp_status"] for x in j["certificates"] if x["owner"] != "local"][0]')
case "$status" in certificate-revoked*) ;; *) fail "show crypto certificates: the core's OCSP status is '$status'" ;; esac
pass "revoked core: refused $((t1 - t0)) s after bhlab revoke (the cached answer's life), $n flows handed off byte-exact, the seed's line once: ${line#*wan-secure: }"

# 3. Unrevoke: once the cached "revoked" expires, new flows are secured again; nothing restarted.
"$BHLAB" unrevoke "$LAB" core >/dev/null || fail "bhlab unrevoke $LAB core"
t0=$(date +%s)
d0=$(ws_json edge | field 'j["handshakes_done"]')
secured_again() { send "unrevoked core, waiting for the cached answer to expire" "$D/b.bin"; [ "$(ws_json edge | field 'j["handshakes_done"]')" -gt "$d0" ]; }
wait_for 90 "new flows to be secured again after bhlab unrevoke" secured_again
t1=$(date +%s)
hb=$(ws_json edge | field 'j["handed_off"]')
send "unrevoked core, one more flow"
[ "$(ws_json edge | field 'j["handed_off"]')" -eq "$hb" ] || fail "a flow after unrevoke was handed off"
[ "$(cat "$D/edge.pid")" = "$edge_pid" ] && [ "$(cat "$D/core.pid")" = "$core_pid" ] &&
  kill -0 "$edge_pid" && kill -0 "$core_pid" || fail "a daemon was restarted during revoke/unrevoke"
lines=$(log_since "$D/edge.log" "$log0" | grep -c "disconnected more than four consecutive times")
[ "$lines" -eq 1 ] || fail "the consecutive-failures line logged $lines times in all, not once"
pass "unrevoked core: secured again $((t1 - t0)) s after bhlab unrevoke, same daemons (pids $edge_pid, $core_pid)"

# 4. A core certificate from another CA, then an expired one from the lab CA: each named on the
# edge (statistics and log, with the certificate), each flow byte-exact.
(
  umask 077
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
    -subj "/CN=wansec2 other CA" -keyout "$D/other-ca.key" -out "$D/other-ca.pem" &&
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=bhlab/CN=core-other" \
      -keyout "$D/core-other.key" -out "$D/core-other.csr" &&
    openssl x509 -req -in "$D/core-other.csr" -CA "$D/other-ca.pem" -CAkey "$D/other-ca.key" \
      -set_serial 0x2001 -days 2 -out "$D/core-other.pem" &&
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=bhlab/CN=core-expired" \
      -keyout "$D/core-expired.key" -out "$D/core-expired.csr" &&
    # Issued ten days ago for two days (libfaketime moves the clock of this openssl only).
    faketime -f -10d openssl x509 -req -in "$D/core-expired.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
      -set_serial 0x2002 -days 2 -out "$D/core-expired.pem"
) >/dev/null 2>&1 || fail "openssl: the other CA's and the expired certificates"
if openssl x509 -in "$D/core-expired.pem" -noout -checkend 0 >/dev/null; then
  fail "core-expired.pem is not expired: $(openssl x509 -in "$D/core-expired.pem" -noout -dates)"
fi
for case in "other unknown-ca core-other 0x2001" "expired certificate-expired core-expired 0x2002"; do
  # shellcheck disable=SC2086
  set -- $case
  configure core "w['identity'] = {'certificate': '$D/$3.pem', 'private_key': '$D/$3.key'}"
  log1=$(log_size "$D/edge.log")
  n0=$(failed edge "$2")
  send "core certificate $1"
  [ "$(failed edge "$2")" -gt "$n0" ] || fail "core certificate $1: edge did not count $2"
  logged=$(log_since "$D/edge.log" "$log1" | grep "wan-secure: peer .*: $2")
  printf '%s\n' "$logged" | grep -qF "certificate \"CN=$3,O=bhlab\" (serial $4)" ||
    fail "core certificate $1: the log does not name it: '$logged'"
  last=$(ws_json edge | field '[p["last_failure"] for p in j["peers"]][0]')
  printf '%s\n' "$last" | grep -qF "CN=$3" || fail "core certificate $1: statistics' last failure '$last'"
  pass "core certificate $1: $2, flow byte-exact, logged: ${logged#*wan-secure: }"
done
configure core

# 5. Bad input on a real peer leg (proxy/wan_secure/README.md "Failures never lose a flow"): the
# WAN emulator changes one TLS record of the next flow's peer leg (`bhlab tamper`,
# lab/tls_tamper.h). The edge sends no early data here (verify and OCSP on), so a leg that fails
# before the core's HelloAck is handed off, byte-exact; one that fails after it resets its flow,
# never an altered byte (an upload's digest or an echo would differ). Each failure is named
# where it was found (statistics and log), no daemon restarts, and a flow that echoes on another
# port all through is unaffected.
edge_pid=$(cat "$D/edge.pid") core_pid=$(cat "$D/core.pid")
rm -f "$D/stop-bg"
in_lab "$LAB" client "$TOOLS/echogap.py" client 10.91.4.2 5002 "$D/stop-bg" >"$D/bg.out" 2>&1 &
bg=$!
wait_for 20 "the echoing flow's first echo" grep -q first_echo_ms "$D/bg.out"
tamper() { "$BHLAB" tamper "$LAB" "$@" || fail "bhlab tamper $*"; }
tampered() { # tampered: what the WAN emulator did to the flow, or the test fails
  local s
  s=$("$BHLAB" tamper "$LAB" status)
  case "$s" in done:*) echo "${s#done: }" ;; *) fail "the WAN emulator did not tamper: $s" ;; esac
}
named() { # named NODE REASON BEFORE WHAT: NODE counted REASON (more than BEFORE) and logged it
  [ "$(failed "$1" "$2")" -gt "$3" ] ||
    fail "$4: $1 did not count $2 ($(ws_json "$1" | field 'j["failed_by_reason"]'))"
  grep -q "wan-secure: peer .*: $2" "$D/$1.log" || fail "$4: $1 did not log $2"
}
for case in "flip to-client 3 edge bad-record-mac" "oversize to-client 3 edge record-overflow" \
  "garbage to-server 1 core bad-record" "cut to-server 1 core truncated-record"; do
  # shellcheck disable=SC2086
  set -- $case
  n0=$(failed "$4" "$5") h0=$(ws_json edge | field 'j["handed_off"]')
  tamper "$1" "$2" "$3" 5001
  send "$1 $2 record $3, before the HelloAck" "$D/b.bin"
  what=$(tampered) || exit 1
  named "$4" "$5" "$n0" "$what"
  [ "$(ws_json edge | field 'j["handed_off"]')" -gt "$h0" ] || fail "$what: the flow was not handed off"
  pass "before the HelloAck, $what: $4 named $5, the flow handed off, byte-exact"
done
# After it: an upload of fresh bytes (nothing for DRE to match, so its 40th record is far past
# the HelloAck and the 256 KiB the edge keeps unconfirmed) broken on its way to the core, and an
# echoing flow broken on its way back (its 30th record is an echo).
for case in "flip to-server 40 core bad-record-mac" "oversize to-server 40 core record-overflow" \
  "garbage to-client 30 edge bad-record" "cut to-client 30 edge truncated-record"; do
  # shellcheck disable=SC2086
  set -- $case
  n0=$(failed "$4" "$5")
  tamper "$1" "$2" "$3" "$([ "$2" = to-server ] && echo 5001 || echo 5002)"
  if [ "$2" = to-server ]; then
    head -c $((4 << 20)) /dev/urandom >"$D/t.bin"
    r=$(in_lab "$LAB" client timeout 60 "$TOOLS/sendfile.py" "$D/t.bin" 10.91.4.2 5001 2>&1)
  else
    r=$(in_lab "$LAB" client timeout 60 "$TOOLS/echogap.py" client 10.91.4.2 5002 "$D/stop-t" \
      --limit 20 2>&1)
  fi && fail "$1 $2 record $3, after the HelloAck: the flow went on ($r)"
  what=$(tampered) || exit 1
  case "$r" in *ConnectionResetError*) ;; *) fail "$what: the client saw no reset: $r" ;; esac
  named "$4" "$5" "$n0" "$what"
  pass "after the HelloAck, $what: $4 named $5, the flow reset"
done
touch "$D/stop-bg"
wait "$bg" || fail "the flow echoing through the bad records: $(cat "$D/bg.out")"
bgr=$(tail -1 "$D/bg.out")
/usr/bin/python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["ok"] and r["max_gap_ms"] < 1000, r' \
  "$bgr" || fail "the flow echoing through the bad records: $bgr"
[ "$(cat "$D/edge.pid")" = "$edge_pid" ] && [ "$(cat "$D/core.pid")" = "$core_pid" ] &&
  kill -0 "$edge_pid" && kill -0 "$core_pid" || fail "a daemon ended during the bad records"
pass "bad records: both daemons ran on, a flow echoing all through unaffected: $bgr"
rm -f "$D/t.bin"

# 6. A responder that accepts and never answers (in the server namespace, on the data-centre
# side as the real one): the edge asks it (ocsp.url) with a 3 s timeout. Flow A starts first and
# gets the verdict after the timeout (fail_closed: handed off; fail_open: secured), then keeps
# echoing while flow B waits for its own verdict: A's longest gap shows whether the loop stood.
in_lab "$LAB" server sh -c "/usr/bin/python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((\"0.0.0.0\", 8889)); s.listen(64); held = []
while True:
    c, _ = s.accept(); held.append(c)  # accepted, read by nobody, never answered
' >/dev/null 2>&1 &"
wait_for 20 "the silent responder to listen on :8889" listening "$LAB" server 8889
TIMEOUT_MS=3000
GAP_LIMIT_MS=1000
for policy in fail_closed fail_open; do
  configure edge "w['ocsp'] = {'url': 'http://10.91.4.2:8889/', 'timeout_ms': $TIMEOUT_MS, 'unreachable': '$policy'}"
  rm -f "$D/stop-a" "$D/stop-b"
  in_lab "$LAB" client "$TOOLS/echogap.py" client 10.91.4.2 5002 "$D/stop-a" >"$D/a-$policy.out" 2>&1 &
  a=$!
  wait_for 20 "flow A's first echo ($policy)" grep -q first_echo_ms "$D/a-$policy.out"
  in_lab "$LAB" client "$TOOLS/echogap.py" client 10.91.4.2 5002 "$D/stop-b" >"$D/b-$policy.out" 2>&1 &
  b=$!
  wait_for 20 "flow B's first echo ($policy)" grep -q first_echo_ms "$D/b-$policy.out"
  touch "$D/stop-a" "$D/stop-b"
  wait "$a" || fail "$policy: flow A not byte-exact: $(cat "$D/a-$policy.out")"
  wait "$b" || fail "$policy: flow B not byte-exact: $(cat "$D/b-$policy.out")"
  ra=$(tail -1 "$D/a-$policy.out")
  rb=$(tail -1 "$D/b-$policy.out")
  ws_json edge >"$D/ws-$policy.json"
  /usr/bin/python3 - "$policy" "$ra" "$rb" "$D/ws-$policy.json" $TIMEOUT_MS $GAP_LIMIT_MS <<'PY' || exit 1
import json, sys
policy, a, b, ws, timeout, gap_limit = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.load(open(sys.argv[4])), int(sys.argv[5]), int(sys.argv[6])
def fail(why):
    sys.exit(f"FAIL [wansec_ocsp_test]: {policy}: {why} (A {a}, B {b}, statistics {ws})")
for name, r in (("A", a), ("B", b)):
    if not timeout <= r["first_echo_ms"] <= timeout + 4000:
        fail(f"flow {name}'s first echo after {r['first_echo_ms']} ms, not just after the {timeout} ms timeout")
if a["max_gap_ms"] > gap_limit:
    fail(f"flow A stood {a['max_gap_ms']} ms while B waited for its verdict (limit {gap_limit} ms)")
if b["echoes"] < 1 or a["echoes"] <= b["echoes"]:
    fail("flow A echoed no more than B, though it ran all through B's wait")
unknown = ws["failed_by_reason"].get("revocation-unknown", 0)
if policy == "fail_closed":
    if unknown != 2 or ws["handed_off"] != 2 or ws["handshakes_done"] != 0:
        fail("expected both flows refused (revocation-unknown) and handed off")
else:
    if unknown != 0 or ws["handed_off"] != 0 or ws["handshakes_done"] != 2:
        fail("expected both flows secured (fail_open)")
o = ws["ocsp"]
if o["responder"] != "http://10.91.4.2:8889/" or o["timeout_ms"] != timeout or o["unreachable"] != policy or o["cached_answers"] != 0:
    fail(f"ocsp statistics {o}")
print(f"ok   [wansec_ocsp_test]: silent responder, {policy}: flows A and B got the verdict after "
      f"{a['first_echo_ms']} and {b['first_echo_ms']} ms (timeout {timeout}), byte-exact; A's longest "
      f"gap while B waited {a['max_gap_ms']} ms ({a['echoes']} echoes); "
      + ("both handed off (revocation-unknown)" if policy == "fail_closed" else "both secured"))
PY
  logged=$(grep "wan-secure: peer .*: revocation-unknown" "$D/edge.log" | tail -1)
  if [ "$policy" = fail_closed ]; then
    printf '%s\n' "$logged" | grep -qF "OCSP responder http://10.91.4.2:8889/ timed out after $TIMEOUT_MS ms; fail_closed refuses it" ||
      fail "fail_closed: the log does not name the timeout: '$logged'"
  fi
done
status=$(certs_json edge | field '[x["ocsp_status"] for x in j["certificates"] if x["owner"] != "local"][0]')
case "$status" in "accepted ("*"timed out after $TIMEOUT_MS ms; fail_open lets the peer in)") ;;
  *) fail "fail_open: show crypto certificates says '$status'" ;; esac
pass "fail_open: show crypto certificates says the core was $status"
rm -f "$D/a.bin" "$D/b.bin"
