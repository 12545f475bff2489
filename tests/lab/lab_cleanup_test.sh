#!/bin/bash
# A test that is killed (SIGKILL, no trap runs) leaves its lab behind; `bhlab reap` removes it
# because its owner is gone, and `bhlab down --all` removes any lab at all.
. "$(dirname "$0")/lib.sh"

name="kill$$"; name=${name:0:16}
# The victim: a test that brings a lab up, then just lives until it is killed below.
bash -c "'$BHLAB' up --name $name --owner \$\$ >/dev/null && exec sleep 300" &
victim=$!
poll 60 eval '[ -d /run/bhlab/$name ] && ip netns list | grep -q "bh-$name-server"' ||
  fail "the victim's lab did not come up"
kill -KILL $victim; wait $victim 2>/dev/null
ip netns list | grep -q "bh-$name-" || fail "expected the killed test's lab to still exist"
"$BHLAB" reap >/dev/null
if ip netns list | grep -q "bh-$name-"; then fail "reap left the killed test's namespaces"; fi
[ -d /run/bhlab/$name ] && fail "reap left the state directory"
pass "killed test's lab reaped"

# A live owner's lab survives reap.
lab_up live
"$BHLAB" reap >/dev/null
ip netns list | grep -q "bh-$LAB-client" || fail "reap removed a lab whose owner is alive"
pass "reap keeps live labs"

# A half-built lab is removed: an impossible rate makes tc fail mid-way.
bad="bad$$"; bad=${bad:0:16}
if "$BHLAB" up --name "$bad" --rate 0.0000001 >/dev/null 2>&1; then
  "$BHLAB" down "$bad"; fail "bhlab up accepted a rate tc cannot do"
fi
if ip netns list | grep -q "bh-$bad-"; then fail "a failed bhlab up left namespaces"; fi
pass "failed bhlab up removes what it built"

# A test that kills Debian's faketime wrapper (its KDC or daemon under a skewed clock) leaves the
# wrapper's /dev/shm files behind; the cleanup every test runs on exit removes them.
if command -v faketime >/dev/null; then
  faketime -f +600s sleep 300 &
  ft=$!
  poll 10 eval '[ -e /dev/shm/faketime_shm_$ft ] && child=$(pgrep -P $ft)' ||
    fail "faketime made no /dev/shm/faketime_shm_$ft, or no child"
  kill -KILL $ft; wait $ft 2>/dev/null
  kill -KILL $child 2>/dev/null  # its sleep, orphaned
  [ -e "/dev/shm/faketime_shm_$ft" ] || fail "expected the killed faketime's shm file to remain"
  (cleanup_labs)
  [ -e "/dev/shm/faketime_shm_$ft" ] && fail "the exit cleanup left /dev/shm/faketime_shm_$ft"
  [ -e "/dev/shm/sem.faketime_sem_$ft" ] && fail "the exit cleanup left /dev/shm/sem.faketime_sem_$ft"
  pass "a killed faketime's /dev/shm files removed by the exit cleanup"
fi
