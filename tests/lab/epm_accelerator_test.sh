#!/bin/bash
# Issue 6 acceptance through edge + core: impacket's EPM client and outlook-sim resolve
# exchange-sim's EMSMDB port through the endpoint mapper across Bridgehead; the EPM AO parses
# the exchange (counted in `show statistics accelerator epm`), installs the dynamic rule the
# seed shows (User ID EPM, Map Name uuida4f1db00-...), and the EMSMDB connection that follows
# is classified by it (Email-and-Messaging, **Map Default**). Every byte read is checked.
. "$(dirname "$0")/lib.sh"
for b in exchange-sim outlook-sim bridgehead; do
  [ -x "$BH_BIN/$b" ] || fail "missing $BH_BIN/$b"
done
/usr/bin/python3 -c 'import impacket.dcerpc.v5.epm' 2>/dev/null || fail "python3-impacket missing"
CTL() { "$BHLAB" ctl "$LAB" "$@"; }

lab_up ep --rtt 20
D=/run/bhlab/$LAB
in_lab "$LAB" server sh -c "'$BH_BIN/exchange-sim' >'$D/sim.log' 2>&1 &"
wait_for 20 "exchange-sim to listen on :135" listening "$LAB" server 135

binding=$(in_lab "$LAB" client /usr/bin/python3 -c '
from impacket.dcerpc.v5 import epm
from impacket.uuid import uuidtup_to_bin
print(epm.hept_map("10.91.4.2", uuidtup_to_bin(("a4f1db00-ca47-1067-b31f-00dd010662da", "0.81")),
                   protocol="ncacn_ip_tcp"))' 2>"$D/impacket.err")
[ "$binding" = "ncacn_ip_tcp:10.91.4.2[6001]" ] ||
  fail "impacket through edge+core: '$binding' ($(tail -2 "$D/impacket.err"))"
pass "impacket hept_map through edge+core resolves EMSMDB to $binding"

epm_json() { CTL edge --json show statistics accelerator epm; }
# Key names are the renderer's; find the parsed-request/response counters by their words.
counts=$(epm_json | /usr/bin/python3 -c '
import json, sys
j = json.load(sys.stdin)
flat = {}
def walk(o, p=""):
    if isinstance(o, dict):
        for k, v in o.items(): walk(v, p + k.lower() + ".")
    else:
        flat[p] = o
walk(j)
def find(*words):
    for k, v in flat.items():
        if all(w in k for w in words) and "fail" not in k:
            return v
    return -1
print(find("handled"), find("request", "pars"), find("response", "pars"))')
read handled reqs resps <<<"$counts"
[ "$handled" -ge 1 ] && [ "$reqs" -ge 1 ] && [ "$resps" -ge 1 ] ||
  fail "EPM AO counters handled=$handled requests=$reqs responses=$resps; $(epm_json)"
pass "EPM AO on the edge: $handled connections, $reqs requests and $resps responses parsed"

rules=$(CTL edge show policy-engine application dynamic)
echo "$rules" | grep -q "EPM" || fail "no dynamic rule with User ID EPM: $rules"
echo "$rules" | grep -q "uuida4f1db00-ca47-1067-b31f-00dd010662da" || fail "no MAPI map name: $rules"
pass "dynamic rule installed: $(echo "$rules" | grep -m1 -i "uuida4f1db00")"

in_lab "$LAB" client "$BH_BIN/outlook-sim" --server 10.91.4.2 --client-version 2007 \
  open-attachment 10MiB >"$D/outlook.out" 2>&1 || fail "outlook-sim failed: $(tail -5 "$D/outlook.out")"
line=$(grep '^op=open-attachment ' "$D/outlook.out")
echo "$line" | grep -q ' ok=1' || fail "outlook-sim content mismatch through edge+core: $line"
pass "outlook-sim open-attachment 10MiB byte-exact through edge+core: $line"

# The EMSMDB connections were classified by the EPM rule: the edge's transaction log has them
# as Email-and-Messaging (and any still open show it in the table too).
wait_for 30 "an EMSMDB flow's line in the edge's transaction log" grep -q ":6001 :OT" "$D/edge/tfo.log"
CTL edge --json show statistics connection detail >"$D/conns.json"
/usr/bin/python3 - "$D/conns.json" "$D/edge/tfo.log" <<'PY' || fail "EMSMDB flows not classified by the EPM rule: $(grep ':6001' "$D/edge/tfo.log" | head -3)"
import json, sys
j = json.load(open(sys.argv[1]))
open_flows = [c for c in j["connections"] if c["dest"] == "10.91.4.2:6001"]
for c in open_flows:
    assert c["application"] == "Email-and-Messaging", c
    assert c["classifier"] == "**Map Default**", c
    assert c["map_name"] == "uuida4f1db00-ca47-1067-b31f-00dd010662da", c
ended = [l for l in open(sys.argv[2]) if ":10.91.4.2 :6001 " in l]
for l in ended:
    assert "(Email-and-Messaging)" in l, l
assert open_flows or ended, "no EMSMDB flow seen"
PY
rules=$(CTL edge show policy-engine application dynamic)
echo "$rules" | grep -qE "Hits: *[1-9]" || fail "the dynamic rule was never hit: $rules"
pass "EMSMDB connections classified Email-and-Messaging by the dynamic rule (**Map Default**, $(echo "$rules" | grep -oE "Hits: *[0-9]+ +Flows: *[0-9]+"))"
