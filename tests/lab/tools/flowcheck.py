#!/usr/bin/python3
"""Byte-exactness checker for lab tests: every byte a client or server sends must arrive
intact, and a connection that ends early must end with an error, never a short success.

  flowcheck.py server --port P
  flowcheck.py client --host H --port P --mode up|down|both --bytes N [--conns C] [--hold FLAG]
                       [--sources A,B,...]

The client announces "<mode> <bytes>\n". up: the client sends N random bytes and half-closes;
the server answers with the SHA-256 of what it read and closes. down: the server sends N random
bytes followed by their SHA-256 and closes once the client has. both: both at once. Exit 0
only if every connection matched; the summary line is JSON.

--pace KBPS (client, up): sends at about KBPS kilobytes a second, in 8 KiB writes, so a flow
lasts (a test can change the path under it). --pace-until FLAG: paced only until the file FLAG
exists, then the rest at full speed (the flow lasts as long as the test needs it, no longer).

--parallel P (client): at most P connections at a time (each worker opens the next when its
last has ended) instead of all --conns at once. The summary gives each connection's latency
(connect to the last digest and EOF, ok connections only): p50_ms, p99_ms, max_ms.

--hold FLAG keeps every connection open, both ways, at the point where the client would
half-close (up: all bytes sent; down: all bytes and the digest received) until the file FLAG
exists, so a test can look at flows while they stand and end them when it is done. Each
connection appends a line to FLAG.held when it gets there.
"""
import argparse, hashlib, json, os, socket, sys, threading, time

CHUNK = 256 * 1024


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(min(CHUNK, n - len(buf)))
        if not d:
            raise IOError("connection ended after %d of %d bytes" % (len(buf), n))
        buf += d
    return bytes(buf)


def send_random(s, n, pace=0, pace_until=None):
    h = hashlib.sha256()
    left = n
    chunk = 8192 if pace else CHUNK
    block = os.urandom(chunk)
    i = 0
    t0 = time.time()
    while left:
        # Vary the block cheaply so no two chunks are equal.
        piece = block[: min(chunk, left)]
        piece = i.to_bytes(8, "big") + piece[8:] if len(piece) > 8 else piece
        s.sendall(piece)
        h.update(piece)
        left -= len(piece)
        i += 1
        if pace and pace_until and os.path.exists(pace_until):
            pace = 0
        if pace:
            ahead = (n - left) / pace - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)
    return h.digest()


def recv_hash(s, n):
    h = hashlib.sha256()
    left = n
    while left:
        d = s.recv(min(CHUNK, left))
        if not d:
            raise IOError("connection ended after %d of %d bytes" % (n - left, n))
        h.update(d)
        left -= len(d)
    return h.digest()


def serve_one(c):
    try:
        line = b""
        while not line.endswith(b"\n"):
            d = c.recv(1)
            if not d:
                return
            line += d
        mode, n = line.decode().split()
        n = int(n)
        result = {}
        def up():
            result["up"] = recv_hash(c, n)
        t = threading.Thread(target=up) if mode in ("up", "both") else None
        if t:
            t.start()
        if mode in ("down", "both"):
            digest = send_random(c, n)
            c.sendall(digest)
        if t:
            t.join()
            if "up" in result:
                c.sendall(result["up"])
        if mode == "down":
            # The client half-closes first (it may hold the connection open, --hold).
            c.recv(1)
        c.shutdown(socket.SHUT_WR)
        c.recv(1)  # wait for the client's close
    except Exception as e:
        sys.stderr.write("server: %s\n" % e)
    finally:
        c.close()


def server(args):
    fam = socket.AF_INET6 if args.v6 else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::" if args.v6 else "0.0.0.0", args.port))
    s.listen(4096)
    while True:
        c, a = s.accept()
        if args.log:
            with open(args.log, "a") as f:
                f.write("%s %d\n" % (a[0], a[1]))
        threading.Thread(target=serve_one, args=(c,), daemon=True).start()


HOLD_LIMIT = 300.0  # seconds a held connection waits for its flag before it fails


def hold(args):
    """With --hold FLAG: say so in FLAG.held, then wait until FLAG exists."""
    if not args.hold:
        return
    with open(args.hold + ".held", "a") as f:
        f.write("held\n")
    end = time.time() + HOLD_LIMIT
    while not os.path.exists(args.hold):
        if time.time() > end:
            raise IOError("not released within %d s (%s)" % (HOLD_LIMIT, args.hold))
        time.sleep(0.05)


def client_one(args, out, idx, lat=None):
    t_start = time.time()
    try:
        src = None
        if args.sources:
            # --sources A,B,...: connection i comes from address i modulo the list (a farm test
            # needs many clients); the port stays the kernel's choice.
            addrs = args.sources.split(",")
            src = (addrs[idx % len(addrs)], 0)
        s = socket.create_connection((args.host, args.port), timeout=args.timeout,
                                     source_address=src)
        s.sendall(("%s %d\n" % (args.mode, args.bytes)).encode())
        res = {}
        def up():
            try:
                res["sent"] = send_random(s, args.bytes, args.pace * 1000, args.pace_until)
                hold(args)
                s.shutdown(socket.SHUT_WR)
            except OSError as e:
                res["error"] = str(e)
        t = threading.Thread(target=up) if args.mode in ("up", "both") else None
        if t:
            t.start()
        ok = True
        if args.mode in ("down", "both"):
            got = recv_hash(s, args.bytes)
            ok = ok and recv_exact(s, 32) == got
        if t:
            t.join()
            if "error" in res:
                raise IOError(res["error"])
            ok = ok and recv_exact(s, 32) == res["sent"]
        if args.mode == "down":
            hold(args)
            s.shutdown(socket.SHUT_WR)
        # Nothing may follow the digests: EOF now.
        ok = ok and s.recv(1) == b""
        s.close()
        out[idx] = "ok" if ok else "MISMATCH"
        if lat is not None:
            lat[idx] = time.time() - t_start
    except Exception as e:
        out[idx] = "error: %s" % e


def percentile_ms(values, p):
    if not values:
        return None
    v = sorted(values)
    return round(1000 * v[min(len(v) - 1, int(len(v) * p / 100))], 2)


def client(args):
    out = [None] * args.conns
    lat = [None] * args.conns
    if args.parallel:
        next_idx = iter(range(args.conns))
        lock = threading.Lock()

        def worker():
            while True:
                with lock:
                    i = next(next_idx, None)
                if i is None:
                    return
                client_one(args, out, i, lat)
        threads = [threading.Thread(target=worker) for _ in range(min(args.parallel, args.conns))]
    else:
        threads = [threading.Thread(target=client_one, args=(args, out, i, lat))
                   for i in range(args.conns)]
    t0 = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.time() - t0
    okc = out.count("ok")
    errors = sorted(set(o for o in out if o != "ok"))[:5]
    print(json.dumps({"conns": args.conns, "ok": okc, "mismatch": out.count("MISMATCH"),
                      "errors": errors, "seconds": round(dt, 3),
                      "p50_ms": percentile_ms([x for x in lat if x is not None], 50),
                      "p99_ms": percentile_ms([x for x in lat if x is not None], 99),
                      "max_ms": percentile_ms([x for x in lat if x is not None], 100),
                      "mbit_per_s": round(args.bytes * args.conns * 8 / dt / 1e6, 1)}))
    return 0 if okc == args.conns else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("--host")
    p.add_argument("--port", type=int, default=5001)
    p.add_argument("--mode", default="up", choices=["up", "down", "both"])
    p.add_argument("--bytes", type=int, default=1 << 20)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--v6", action="store_true")
    p.add_argument("--log")
    p.add_argument("--sources", help="client: comma-separated source addresses, round-robin")
    p.add_argument("--hold", help="client: hold each connection open until this file exists")
    p.add_argument("--pace", type=int, default=0, help="client: send at about this many kB/s")
    p.add_argument("--pace-until", help="client: pace only until this file exists")
    p.add_argument("--parallel", type=int, default=0,
                   help="client: at most this many connections at a time (0: all at once)")
    args = p.parse_args()
    sys.exit(server(args) if args.role == "server" else client(args))


if __name__ == "__main__":
    main()
