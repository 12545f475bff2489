#!/usr/bin/python3
"""Does a flow keep flowing? An echo flow that measures its own gaps.

  echogap.py server --port P
  echogap.py client HOST PORT STOP_FLAG [--interval S] [--limit S]

The server echoes every byte back. The client sends a 64-byte numbered message every
--interval seconds (0.02) and waits for its echo; it prints "first_echo_ms=N" (connect() to the
first echo: how long the flow was held before its bytes crossed) as soon as the first echo is
back, then goes on until STOP_FLAG exists (at most --limit seconds, 300) and prints one JSON line:
first_echo_ms, max_gap_ms (the longest time between two consecutive echoes after the first),
echoes, ok. ok is true only if every echo equals what was sent; the exit status is 0 only then.
"""
import argparse, json, os, socket, sys, threading, time


def serve(port):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(64)

    def echo(c):
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                c.sendall(d)

    while True:
        c, _ = ls.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise IOError("connection ended after %d of %d bytes of an echo" % (len(buf), n))
        buf += d
    return buf


def client(a):
    t0 = time.monotonic()
    s = socket.create_connection((a.host, a.port), timeout=a.limit)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    first = None
    last = None
    max_gap = 0.0
    n = 0
    ok = True
    end = t0 + a.limit
    while time.monotonic() < end:
        msg = (b"%08d " % n) + os.urandom(28).hex().encode()[:55]
        s.sendall(msg)
        echo = recv_exact(s, len(msg))
        now = time.monotonic()
        if echo != msg:
            ok = False
            break
        if first is None:
            first = now - t0
            print("first_echo_ms=%d" % (first * 1000), flush=True)
        else:
            max_gap = max(max_gap, now - last)
        last = now
        n += 1
        if os.path.exists(a.stop_flag):
            break
        # Pacing, not waiting for a condition: the flow is meant to carry a message this often.
        time.sleep(a.interval)
    s.shutdown(socket.SHUT_WR)
    if s.recv(1) != b"":
        ok = False
    s.close()
    print(json.dumps({"first_echo_ms": round((first or 0) * 1000), "max_gap_ms":
                      round(max_gap * 1000), "echoes": n, "ok": ok}), flush=True)
    return 0 if ok and n > 0 else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("server")
    sp.add_argument("--port", type=int, required=True)
    cp = sub.add_parser("client")
    cp.add_argument("host")
    cp.add_argument("port", type=int)
    cp.add_argument("stop_flag")
    cp.add_argument("--interval", type=float, default=0.02)
    cp.add_argument("--limit", type=float, default=300.0)
    a = p.parse_args()
    if a.cmd == "server":
        serve(a.port)
        return 0
    return client(a)


if __name__ == "__main__":
    sys.exit(main())
