#!/bin/bash
# The lab's WAN emulator does what it says: RTT, rate, loss; labs are independent; a dead
# emulator is reported and stops the WAN (fail closed); nothing is left behind.
# A check of the lab, not a benchmark: tolerances are the issue's (RTT ±5 %, rate ±10 %).
. "$(dirname "$0")/lib.sh"

lab_up wa --rtt 100 --rate 10 --no-bridgehead
A=$LAB
lab_up wb --rtt 20 --loss 1 --seed 7 --no-bridgehead
B=$LAB

rtt=$(median_rtt "$A" 40 10.91.4.2)
within "$rtt" 100 5 || fail "median RTT $rtt ms, want 100 ms ±5 %"
pass "lab A median RTT $rtt ms (target 100)"
rtt6=$(median_rtt "$A" 20 fd91:4::2)
within "$rtt6" 100 5 || fail "IPv6 median RTT $rtt6 ms, want 100 ms ±5 %"
pass "lab A IPv6 median RTT $rtt6 ms"

# Lab B runs 500 pings while lab A carries a bulk transfer: each must see only its own WAN.
in_lab "$B" client ping -n -c 500 -i 0.01 -W 1 10.91.4.2 >/tmp/bh-loss-$$.txt 2>&1 &
ping_pid=$!
rate=$(iperf_mbit "$A")
wait $ping_pid
within "$rate" 10 10 || fail "iperf3 rate $rate Mbit/s, want 10 ±10 %"
pass "lab A iperf3 $rate Mbit/s (target 10)"
lost=$(awk '/packets transmitted/ {print $1 - $4}' /tmp/bh-loss-$$.txt)
rtt_b=$(sed -n 's/.*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p' /tmp/bh-loss-$$.txt)
rm -f /tmp/bh-loss-$$.txt
[ -n "$lost" ] || fail "no ping summary from lab B"
# Expected 5 of 500 at 1 %; 1..15 is the binomial's 99.9 % range.
[ "$lost" -ge 1 ] && [ "$lost" -le 15 ] || fail "lab B lost $lost of 500 pings, want about 5 (1 %)"
pass "lab B lost $lost/500 pings at --loss 1"
within "$rtt_b" 20 15 || fail "lab B avg RTT $rtt_b ms while lab A was loaded, want 20"
pass "lab B avg RTT $rtt_b ms (target 20) while lab A ran iperf3: labs independent"

# Fail closed: kill the emulator; the WAN stops and bhlab status says so.
wanem=$(cat /run/bhlab/$A/wanem.pid)
kill -KILL "$wanem"
wait_for 20 "the killed WAN emulator to be gone" gone "$wanem"
if in_lab "$A" client ping -n -c 3 -i 0.2 -W 1 10.91.4.2 >/dev/null 2>&1; then
  fail "ping crossed the WAN with the emulator dead (must fail closed)"
fi
"$BHLAB" status "$A" >/tmp/bh-status-$$.txt 2>&1
st=$?
grep -q "WAN emulator: DEAD" /tmp/bh-status-$$.txt || { cat /tmp/bh-status-$$.txt; fail "status does not report the dead emulator"; }
[ $st -eq 3 ] || fail "bhlab status exit $st, want 3 when the emulator is dead"
rm -f /tmp/bh-status-$$.txt
pass "dead emulator: WAN stopped, bhlab status reports DEAD"

"$BHLAB" down "$A"; "$BHLAB" down "$B"
if ip netns list | grep -E "bh-($A|$B)-"; then fail "namespaces left after bhlab down"; fi
pass "bhlab down left no namespaces"
