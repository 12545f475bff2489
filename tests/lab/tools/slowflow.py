#!/usr/bin/python3
"""slowflow.py HOST PORT SECONDS [HOLD_FLAG]: one flow to a flowcheck.py server that sends
random bytes evenly over SECONDS; prints ok and exits 0 only if the server's SHA-256 of what it
received matches (a flow that spans a reload or a restart, and is checked). It prints
port=LOCAL_PORT first, so a test can find the flow in the connection table. With HOLD_FLAG, the
last piece waits until that file exists: the flow stays open, with bytes behind it, until the
test says it is done with it (at most HOLD_LIMIT seconds)."""
import hashlib, os, socket, sys, time

HOLD_LIMIT = 300.0
host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
flag = sys.argv[4] if len(sys.argv) > 4 else None
piece, steps = 65536, max(1, int(secs * 10))
s = socket.create_connection((host, port), timeout=secs + 30)
print("port=%d" % s.getsockname()[1], flush=True)
s.sendall(b"up %d\n" % (piece * steps))
h = hashlib.sha256()
for i in range(steps):
    if flag and i == steps - 1:
        end = time.time() + HOLD_LIMIT
        while not os.path.exists(flag) and time.time() < end:
            time.sleep(0.05)
    d = os.urandom(piece)
    s.sendall(d)
    h.update(d)
    # Pacing, not waiting for a condition: the flow is meant to carry bytes over this time.
    time.sleep(secs / steps)
s.shutdown(socket.SHUT_WR)
got = b""
while len(got) < 32:
    x = s.recv(64)
    if not x:
        break
    got += x
ok = got[:32] == h.digest()
print("ok" if ok else "MISMATCH")
sys.exit(0 if ok else 1)
