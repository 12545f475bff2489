#!/usr/bin/python3
"""sendfile.py FILE HOST PORT: sends FILE to a flowcheck.py server ("up" mode) and prints ok
when the server's SHA-256 of what it received equals the file's, MISMATCH otherwise; exits 1
unless ok (a reset or short read is an error, never a success)."""
import socket,sys,hashlib
data=open(sys.argv[1],'rb').read()
s=socket.create_connection((sys.argv[2],int(sys.argv[3])))
s.sendall(b"up %d\n"%len(data)); s.sendall(data); s.shutdown(socket.SHUT_WR)
d=b""
while len(d)<32:
    x=s.recv(64)
    if not x: break
    d+=x
good = len(d) >= 32 and d[:32] == hashlib.sha256(data).digest()
print("ok" if good else ("MISMATCH" if len(d) >= 32 else "SHORT"))
sys.exit(0 if good else 1)
