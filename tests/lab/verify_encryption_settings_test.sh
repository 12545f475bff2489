#!/bin/bash
# Issue 17 Deliver 4: `bhctl accelerator mapi verify encryption-settings` against the lab's Samba
# AD DC (bhlab up --ad). A correct edge and core print every check OK (NTP: whatever this
# machine's kernel says of its clock, asserted against adjtimex read here), then eight
# misconfigurations each print their FAILED block and `>>` remedy: on the edge (reloads) the MAPI
# accelerator disabled, WAN secure mode never, the MAPI class gone from the policy map; on the
# core (reloads) no identity for the Exchange server's domain and an unreachable DC, (restarts:
# secrets and the store are read at start) a wrong password, a locked secure store, and the
# core's clock 10 minutes off (Debian's faketime on the daemon). Uses the machine's one lab DC
# (RESOURCE_LOCK lab_dc).
. "$(dirname "$0")/lib.sh"
CONFIG_DIR="$(cd "$(dirname "$0")/../../config" && pwd)"
command -v faketime >/dev/null || fail "missing faketime (scripts/deps installs it)"

# The lab's name as lab_up makes it, so that the edge starts with its config (--edge-config)
# instead of being restarted into it.
D=/run/bhlab/$(n="${BH_LAB_PREFIX:-}verify$$"; echo "${n:0:16}")
A=$D/ad
FQDN=exch1.bhlab.test

# write NODE PYTHON-EXPRESSIONS [FILE]: NODE's config (into FILE, default the lab's copy) = the
# lab's, WAN secure `always` for MAPI with its store in the lab, then the edits (Python
# statements on `c`).
write() {
  /usr/bin/python3 - "$CONFIG_DIR/lab-$1.json" "${3:-$D/$1-config.json}" "$D" "$1" "$A" "$2" <<'PY'
import json, sys
src, dst, d, node, a, edits = sys.argv[1:7]
c = json.load(open(src))
c["wan_secure"] = {"mode": {"mapi": "always"},
                   "store": {"path": f"{d}/{node}-secure", "key_file": f"{d}/{node}-store.key"}}
if node == "core":
    c["encryption_service"] = {"enabled": True, "timeout_ms": 5000, "identities": [
        {"name": "repl", "domain": "bhlab.test", "principal": "bhrepl",
         "password_file": f"{a}/bhrepl.password"}]}
exec(edits)
json.dump(c, open(dst, "w"), indent=2)
PY
}
CTL() { local node=$1; shift; "$BHLAB" ctl "$LAB" "$node" "$@"; }
reload() { CTL "$1" reload >/dev/null || fail "reload of $1 refused: $(tail -5 "$D/$1.log")"; }
restart() { "$BHLAB" restart "$LAB" "$1" >/dev/null || fail "$1 did not start: $(tail -5 "$D/$1.log")"; }
verify() { CTL "$1" accelerator mapi verify encryption-settings "${@:2}"; }
# block TEXT TITLE: the lines of check TITLE (its status, table, remedies) up to the next check.
block() {
  awk -v t="$2" '$0 == t { on = 1; next } on && (/^Verifying / || /^Summary /) { exit } on' <<<"$1"
}
# expect_failed NODE TITLE PATTERN... : TITLE's block says FAILED and has every PATTERN (grep -E).
expect_failed() {
  local out=$1 title=$2 b p; shift 2
  b=$(block "$out" "$title")
  grep -q "Status: FAILED" <<<"$b" || fail "'$title' not FAILED:
$out"
  for p in "$@"; do
    grep -qE -- "$p" <<<"$b" || fail "'$title' lacks /$p/:
$b"
  done
}
# The kernel's own word on the clock (adjtimex, read-only), to check the NTP block against.
KERNEL_SYNCED=$(/usr/bin/python3 -c '
import ctypes, ctypes.util
class T(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("pad", ctypes.c_char * 256)]
t = T(); r = ctypes.CDLL(ctypes.util.find_library("c")).ntp_adjtime(ctypes.byref(t))
print("yes" if r != 5 and not (t.status & 0x40) else "no")')

# all_ok OUT PART-TITLES...: every check of OUT is OK but NTP, which says what the kernel says.
all_ok() {
  local out=$1 n
  n=$(grep -c "Status: FAILED" <<<"$out")
  if [ "$KERNEL_SYNCED" = yes ]; then
    [ "$n" -eq 0 ] || fail "a check FAILED on a correct box:
$out"
  else
    [ "$n" -eq 1 ] || fail "more than NTP FAILED on a correct box:
$out"
    expect_failed "$out" "Verifying NTP State" "unsynchronized \(adjtimex: STA_UNSYNC\)" \
      ">>NTP status should be enabled and configured"
  fi
}

EDGE_CONFIG=$(mktemp /tmp/verify-edge.XXXXXX.json)
write edge "" "$EDGE_CONFIG"
chmod 644 "$EDGE_CONFIG"  # mktemp makes it 0600: the daemon reloads it as its own user
lab_up verify --ad --edge-config "$EDGE_CONFIG"
rm -f "$EDGE_CONFIG"
[ "$D" = "/run/bhlab/$LAB" ] || fail "the lab is $LAB, not ${D##*/}"
write core ""
restart core

# --- correct boxes ---
out=$(verify edge) || fail "verify on the edge: $out"
all_ok "$out"
for t in "Verifying Mapi Accelerator State" "Verifying SSL Accelerator State" \
  "Verifying Wan-secure State" "Verifying Mapi encryption Settings" \
  "Verifying Mapi Wan-secure mode Setting" "Verifying NTP State"; do
  grep -qx "$t" <<<"$out" || fail "edge output lacks '$t'"
done
grep -q "Summary \[CORE\]: Applicable only on CORE WAEs" <<<"$out" || fail "no CORE summary"
grep -q "Not applicable: this box's role is edge" <<<"$out" || fail "the edge's CORE part: $out"
pass "correct edge: every check OK (NTP: kernel synchronized=$KERNEL_SYNCED)"

t0=$EPOCHREALTIME
out=$(verify core "$FQDN") || fail "verify on the core: $out"
all_ok "$out"
b=$(block "$out" "Verifying Key Retrieval per Identity")
grep -qE "^repl +$FQDN +retrieved in [0-9.]+ s: .*aes256-cts" <<<"$b" || fail "no retrieval as repl:
$out"
grep -qE "^dc1.bhlab.test +bhlab.test +[-+][0-9]+\.[0-9] s$" <<<"$out" || fail "no KDC offset:
$out"
grep -qE "^$FQDN +Exchange server +10\.91\.4\.2" <<<"$out" || fail "the Exchange FQDN unresolved"
grep -qE "^_ldap._tcp.dc._msdcs.bhlab.test .*dc1.bhlab.test" <<<"$out" || fail "no SRV: $out"
grep -q "Device has proper configuration to accelerate encrypted traffic" <<<"$out" ||
  [ "$KERNEL_SYNCED" = no ] || fail "no good summary"
pass "correct core: every check OK, key retrieved as repl, KDC offset and DNS shown ($(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"
# The JSON form carries the same verdicts.
j=$(CTL core --json accelerator mapi verify encryption-settings)
/usr/bin/python3 -c '
import json, sys
j = json.loads(sys.argv[1])
keys = [c["check"] for c in j["core"]["checks"]]
assert keys == ["encryption-service", "identities", "secure-store", "dns", "kdc-clock",
                "key-retrieval"], keys
kr = j["core"]["checks"][5]
assert kr["status"] == "OK" and "already in the memory key cache" in kr["lines"][2], kr
' "$j" || fail "verify --json: $j"
pass "--json: the same checks; a key already cached is said to be, not fetched again"

# --- the edge's misconfigurations (reloads) ---
write edge 'c["accelerators"]["mapi"]["enabled"] = False'
reload edge
expect_failed "$(verify edge)" "Verifying Mapi Accelerator State" "^mapi +Disabled +Shutdown" \
  "^>>Mapi Accelerator should be Enabled" "^>>Mapi Accelerator should be in Running state"
pass "1. MAPI accelerator disabled: FAILED, the seed's table and remedies"

write edge 'c["wan_secure"]["mode"]["mapi"] = "never"'
reload edge
out=$(verify edge)
expect_failed "$out" "Verifying Mapi Wan-secure mode Setting" "^WanSecure Mode +User +never" \
  "^>>Mapi wan-secure setting should be auto/always"
expect_failed "$out" "Verifying Wan-secure State" "^wan-secure +Disabled +Shutdown" \
  "^>>Wan-secure should be Enabled"
pass "2. WAN secure mode never: Wan-secure and its mode FAILED"
# auto passes, as the seed's remedy says ("should be auto/always"): it secures sealed flows.
write edge 'c["wan_secure"]["mode"]["mapi"] = "auto"'
reload edge
verify edge | grep -A2 "^Verifying Mapi Wan-secure mode Setting" | grep -q "Status: OK" ||
  fail "WAN secure mode auto: the mode check did not pass: $(verify edge | grep -A6 'Wan-secure mode')"
pass "2b. WAN secure mode auto: the mode check OK"

write edge 'c["epm_maps"] = []'
reload edge
expect_failed "$(verify edge)" "Verifying Mapi encryption Settings" \
  "no class of the policy map accelerates mapi" "^>>Add the EPM map of the EMSMDB interface"
pass "3. the MAPI class gone from the policy map: FAILED, the EPM map to add"

# --- the core's (reloads: the identity keeps its name, so its password read at start stays) ---
write core 'c["encryption_service"]["identities"][0]["domain"] = "other.test"'
reload core
out=$(verify core "$FQDN")
expect_failed "$out" "Verifying Key Retrieval per Identity" \
  "^\(none\) +$FQDN +FAILED: Failed to find identity match for domain bhlab.test" \
  "^>>Configure an encryption service identity for domain bhlab.test" \
  "^>>An identity of a parent domain does not cover a sub-domain"
pass "4. no identity for the Exchange server's domain: the seed's Problem 3 and its remedy"

write core 'c["encryption_service"]["identities"][0]["domain_controllers"] = ["10.91.5.77"]'
reload core
# The probe of the silent DC waits seconds off the loop: the daemon answers meanwhile.
verify core "$FQDN" >"$D/verify5.out" &
vpid=$!
# Asked 0.5 s in: the probe of the silent address takes seconds (ARP gives up after ~3 s), and
# kill -0 below proves the verify was still waiting when show device answered.
sleep 0.5
t0=$EPOCHREALTIME
CTL core show device >/dev/null || fail "show device during verify"
took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
kill -0 $vpid 2>/dev/null || fail "the verify ended before show device was asked: no proof"
awk -v t="$took" 'BEGIN { exit !(t < 2.0) }' || fail "show device took $took s while verify ran"
wait $vpid || fail "verify on the core: $(cat "$D/verify5.out")"
out=$(cat "$D/verify5.out")
expect_failed "$out" "Verifying Clock Offset to each KDC" "^10\.91\.5\.77 +bhlab.test +FAILED: " \
  "^>>Each KDC should answer on TCP 88"
pass "5. a DC that does not answer: show device answered in $took s meanwhile; its KDC named FAILED ($(block "$out" "Verifying Clock Offset to each KDC" | grep -o 'FAILED: .*' | head -1))"

# --- the core's (restarts) ---
echo "Not-the-password-1!" >"$D/wrong.password"
chmod 600 "$D/wrong.password"
write core "c['encryption_service']['identities'][0]['password_file'] = '$D/wrong.password'"
rm -f "$D/core-secure/encryption-keys"  # else the key sealed by the correct core answers
restart core
expect_failed "$(verify core "$FQDN")" "Verifying Key Retrieval per Identity" \
  "^repl +$FQDN +FAILED: Key retrieval failed: the KDC refused the password of identity repl" \
  "^>>Check the password of repl"
pass "6. a wrong password: the retrieval FAILED, named by the KDC, with its remedy"

head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$D/other-store.key"
chmod 600 "$D/other-store.key"
write core "c['wan_secure']['store']['key_file'] = '$D/other-store.key'"
restart core
out=$(verify core "$FQDN")
expect_failed "$out" "Verifying Secure Store" "^State: +locked" "^Reason: " \
  "^>>The secure store should be initialized and open"
expect_failed "$out" "Verifying SSL Accelerator State" "^ssl +Enabled +Shutdown"
pass "7. the secure store locked (another key): FAILED with the reason; the SSL accelerator down"

# 8. The core's clock 10 minutes behind the KDC: the daemon under faketime, started as bhlab
# starts it (bhlab stop removes it by its pid file).
write core ""
"$BHLAB" stop "$LAB" core
ip netns exec "bh-$LAB-core" faketime -f -600s "$BH_BIN/bridgehead" --config "$D/core-config.json" \
  --role core --control "$D/core.sock" --state-dir "$D/core" --pidfile "$D/core.pid" \
  >>"$D/core.log" 2>&1 </dev/null &
wait_for 20 "the faketime core's control socket" eval "[ -S $D/core.sock ]"
out=$(verify core "$FQDN")
expect_failed "$out" "Verifying Clock Offset to each KDC" \
  "^dc1.bhlab.test +bhlab.test +\+(59[5-9]|60[0-5])\.[0-9] s +FAILED: beyond Kerberos's allowed skew" \
  "^>>This box's clock should be within 300 s of each KDC's"
pass "8. the core's clock 10 minutes off: $(block "$out" "Verifying Clock Offset to each KDC" | grep -o '+[0-9.]* s' | head -1) measured, FAILED with the remedy"
"$BHLAB" stop "$LAB" core
pass "done in $SECONDS s (lab up included)"
