#!/usr/bin/python3
"""slowflow.py HOST PORT SECONDS: one flow to a flowcheck.py server that stays open SECONDS,
sending random bytes evenly over that time; prints ok and exits 0 only if the server's SHA-256
of what it received matches (a flow that spans a reload or a restart, and is checked)."""
import hashlib, os, socket, sys, time

host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
piece, steps = 65536, max(1, int(secs * 10))
s = socket.create_connection((host, port), timeout=secs + 30)
s.sendall(b"up %d\n" % (piece * steps))
h = hashlib.sha256()
for _ in range(steps):
    d = os.urandom(piece)
    s.sendall(d)
    h.update(d)
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
