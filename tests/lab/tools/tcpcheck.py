#!/usr/bin/python3
"""Half-close and reset checks through a relay, for lab tests.

  tcpcheck.py server --port P --log FILE
  tcpcheck.py client --host H --port P --case halfclose|rst-from-client|rst-from-server

halfclose: the client sends N random bytes and half-closes; the server reads until EOF (it
gets none if the half-close is not carried), then answers the SHA-256 and length of what it
read and closes; the client reads the answer until EOF. Prints "ok" (exit 0) or why not.
rst-from-client: the client sends bytes, then resets (SO_LINGER 0 close); the server appends
what ended its read ("reset" or "eof ...") to the log FILE. The test reads it.
rst-from-server: the server sends bytes, then resets; the client prints "reset" if its read
ended with ECONNRESET, "eof" if it saw a clean end (exit 1).
In both, the side that resets does so once the other has said (one byte) that it read the
bytes: the relay is set up end to end and has carried them, whatever the machine's load.
"""
import argparse, hashlib, os, socket, struct, sys, threading

BYTES = 4 << 20
RST_BYTES = 256 * 1024


def read_to_end(s):
    """(bytes, how it ended: 'eof' or 'reset')."""
    buf = bytearray()
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            return bytes(buf), "reset"
        if not d:
            return bytes(buf), "eof"
        buf += d


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            break
        buf += d
    return bytes(buf)


def reset_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def serve_one(c, log):
    try:
        line = b""
        while not line.endswith(b"\n"):
            d = c.recv(1)
            if not d:
                return
            line += d
        case = line.decode().strip()
        if case == "halfclose":
            data, how = read_to_end(c)
            if how == "eof":
                c.sendall(hashlib.sha256(data).digest() + struct.pack("!Q", len(data)))
                c.shutdown(socket.SHUT_WR)
                c.recv(1)  # the client's close
        elif case == "rst-from-client":
            first = recv_exact(c, RST_BYTES)
            c.sendall(b"k")
            data, how = read_to_end(c)
            with open(log, "a") as f:
                f.write("%s %d\n" % (how, len(first) + len(data)))
        elif case == "rst-from-server":
            c.sendall(os.urandom(RST_BYTES))
            c.recv(1)
            reset_close(c)
            return
    except Exception as e:
        sys.stderr.write("server: %s\n" % e)
    c.close()


def server(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", args.port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve_one, args=(c, args.log), daemon=True).start()


def client(args):
    s = socket.create_connection((args.host, args.port), timeout=20)
    s.sendall((args.case + "\n").encode())
    if args.case == "halfclose":
        data = os.urandom(BYTES)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        answer, how = read_to_end(s)
        want = hashlib.sha256(data).digest() + struct.pack("!Q", len(data))
        if how != "eof" or answer != want:
            print("answer %r (%d bytes), ended by %s" % (answer[:8], len(answer), how))
            return 1
        s.close()
        print("ok")
        return 0
    if args.case == "rst-from-client":
        s.sendall(os.urandom(RST_BYTES))
        if s.recv(1) != b"k":
            print("the server did not say it read the bytes")
            return 1
        reset_close(s)
        print("sent")
        return 0
    recv_exact(s, RST_BYTES)
    s.sendall(b"k")
    data, how = read_to_end(s)
    s.close()
    print(how)
    return 0 if how == "reset" else 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("role", choices=["server", "client"])
    p.add_argument("--host")
    p.add_argument("--port", type=int, default=5003)
    p.add_argument("--case", choices=["halfclose", "rst-from-client", "rst-from-server"])
    p.add_argument("--log")
    args = p.parse_args()
    sys.exit(server(args) if args.role == "server" else client(args))


if __name__ == "__main__":
    main()
