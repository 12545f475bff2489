#!/usr/bin/python3
"""EMSMDB clients for the MAPI AO hand-off lab tests (tests/lab/mapi_handoff_test.sh).

  auth-bind SERVER --level privacy|integrity --hold FLAG
      impacket: ept_map for EMSMDB, then an NTLM bind of EMSMDB at the given level (NEGOTIATE,
      CHALLENGE, AUTHENTICATE in rpc_auth_3) and one sealed/signed EcDoConnectEx call. Prints
      "port=LOCALPORT", the bind's and the call's outcome, then holds the connection until
      FLAG exists (the test reads the edge's connection table meanwhile).
  group-garbage SERVER
      Two connections bound to EMSMDB in one association group (the second bind reuses the
      first bind_ack's assoc_group_id), then bytes that are no DCE/RPC PDU on the second one.
      Prints "assoc=0x.. port1=P port2=P conn1=reset|eof|open conn2=...". Exit 0 when both
      connections were closed.
  bind-hold SERVER --hold FLAG
      One plain EMSMDB bind; prints "port=P bind=ok", holds until FLAG exists.
  cmp-pcaps CLIENT.pcap SERVER.pcap PORT
      Reassembles each TCP connection to PORT in both captures (by sequence number) and
      compares the payload of each direction. Prints one line per connection; exit 1 if any
      differs or none is found.
"""
import hashlib
import os
import socket
import struct
import subprocess
import sys
import time

EMSMDB = ("A4F1DB00-CA47-1067-B31F-00DD010662DA", "0.81")
NDR = ("8a885d04-1ceb-11c9-9fe8-08002b104860", "2.0")


def emsmdb_port(server):
    from impacket.dcerpc.v5 import epm
    from impacket.dcerpc.v5.rpcrt import DCERPCException  # noqa: F401
    from impacket.uuid import uuidtup_to_bin
    binding = epm.hept_map(server, uuidtup_to_bin(EMSMDB), protocol="ncacn_ip_tcp")
    # ncacn_ip_tcp:10.91.4.2[6001]
    return int(binding.split("[")[1].rstrip("]"))


def wait_flag(flag, limit=60.0):
    end = time.time() + limit
    while time.time() < end and not os.path.exists(flag):
        time.sleep(0.1)


def auth_bind(server, level, flag):
    from impacket.dcerpc.v5 import transport
    from impacket.dcerpc.v5.rpcrt import (RPC_C_AUTHN_LEVEL_PKT_INTEGRITY,
                                          RPC_C_AUTHN_LEVEL_PKT_PRIVACY, RPC_C_AUTHN_WINNT)
    from impacket.uuid import uuidtup_to_bin
    port = emsmdb_port(server)
    t = transport.DCERPCTransportFactory("ncacn_ip_tcp:%s[%d]" % (server, port))
    t.set_credentials("simuser", "Passw0rd!", "SIM", "", "")
    dce = t.get_dce_rpc()
    dce.set_auth_type(RPC_C_AUTHN_WINNT)
    dce.set_auth_level(RPC_C_AUTHN_LEVEL_PKT_PRIVACY if level == "privacy"
                       else RPC_C_AUTHN_LEVEL_PKT_INTEGRITY)
    dce.connect()
    sock = t.get_socket()
    print("port=%d" % sock.getsockname()[1], flush=True)
    try:
        dce.bind(uuidtup_to_bin(EMSMDB))
        print("bind=ok", flush=True)
    except Exception as e:  # the application outcome does not matter, the bytes do
        print("bind=error %s" % str(e).replace("\n", " ")[:200], flush=True)
        wait_flag(flag)
        return 0
    # EcDoConnectEx (opnum 10), sealed or signed by impacket: the server cannot read it.
    stub = b"/o=Bridgehead/cn=simuser\x00".ljust(64, b"\x00")
    try:
        dce.call(10, stub)
        answer = dce.recv()
        print("call=answer %d bytes" % len(answer), flush=True)
    except Exception as e:
        print("call=error %s" % str(e).replace("\n", " ")[:200], flush=True)
    wait_flag(flag)
    try:
        dce.disconnect()
    except Exception:
        pass
    return 0


def bind_pdu(call_id, assoc_group, uuid_ver):
    from impacket.uuid import uuidtup_to_bin
    ctx = struct.pack("<HBB", 0, 1, 0) + uuidtup_to_bin(uuid_ver) + uuidtup_to_bin(NDR)
    body = struct.pack("<HHIB3x", 5840, 5840, assoc_group, 1) + ctx
    hdr = struct.pack("<BBBB4sHHI", 5, 0, 11, 3, b"\x10\x00\x00\x00", 16 + len(body), 0, call_id)
    return hdr + body


def read_pdu(sock):
    hdr = b""
    while len(hdr) < 16:
        b = sock.recv(16 - len(hdr))
        if not b:
            raise EOFError("eof")
        hdr += b
    frag_len = struct.unpack_from("<H", hdr, 8)[0]
    body = b""
    while len(body) < frag_len - 16:
        b = sock.recv(frag_len - 16 - len(body))
        if not b:
            raise EOFError("eof")
        body += b
    return hdr + body


def bind(server, port, assoc):
    s = socket.create_connection((server, port), timeout=15)
    s.sendall(bind_pdu(1, assoc, EMSMDB))
    ack = read_pdu(s)
    if ack[2] != 12:
        raise RuntimeError("no bind_ack (ptype %d)" % ack[2])
    return s, struct.unpack_from("<I", ack, 20)[0]


def closed_state(s, timeout):
    s.settimeout(timeout)
    try:
        while True:
            b = s.recv(65536)
            if not b:
                return "eof"
    except ConnectionResetError:
        return "reset"
    except socket.timeout:
        return "open"
    except OSError as e:
        return "error:%s" % e


def group_garbage(server):
    port = emsmdb_port(server)
    s1, group = bind(server, port, 0)
    s2, group2 = bind(server, port, group)
    if group2 != group:
        print("server did not keep the association group", flush=True)
        return 1
    p1, p2 = s1.getsockname()[1], s2.getsockname()[1]
    # Not a DCE/RPC PDU: rpc_vers 0x47 ('G').
    s2.sendall(b"GARBAGE, NOT A DCE/RPC PDU\r\n" * 8)
    c2 = closed_state(s2, 10)
    c1 = closed_state(s1, 10)
    print("assoc=0x%08x port1=%d port2=%d conn1=%s conn2=%s" % (group, p1, p2, c1, c2), flush=True)
    return 0 if c1 != "open" and c2 != "open" else 1


def bind_hold(server, flag):
    port = emsmdb_port(server)
    s, group = bind(server, port, 0)
    print("port=%d bind=ok assoc=0x%08x" % (s.getsockname()[1], group), flush=True)
    wait_flag(flag)
    s.close()
    return 0


def streams(pcap, port):
    out = subprocess.run(
        ["tshark", "-r", pcap, "-Y", "tcp.port==%d && tcp.len>0" % port, "-T", "fields",
         "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq_raw", "-e", "tcp.payload"],
        capture_output=True, text=True, check=True).stdout
    segs = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 4 or not f[3]:
            continue
        sp, dp, seq = int(f[0]), int(f[1]), int(f[2])
        segs.setdefault((sp, dp), {})[seq] = bytes.fromhex(f[3].replace(":", ""))
    data = {}
    for key, m in segs.items():
        buf = bytearray()
        nxt = None
        for seq in sorted(m):
            p = m[seq]
            if nxt is None:
                nxt = seq
            if seq + len(p) <= nxt:
                continue  # retransmission
            buf += p[max(0, nxt - seq):]
            nxt = seq + len(p)
        data[key] = bytes(buf)
    return data


def cmp_pcaps(cpcap, spcap, port):
    c, s = streams(cpcap, port), streams(spcap, port)
    keys = sorted(k for k in set(c) | set(s))
    if not keys:
        print("no payload to port %d in the captures" % port)
        return 1
    bad = 0
    for k in keys:
        a, b = c.get(k, b""), s.get(k, b"")
        same = a == b
        bad += not same
        print("%d->%d client_side=%d server_side=%d sha256=%s %s" % (
            k[0], k[1], len(a), len(b), hashlib.sha256(a).hexdigest()[:16],
            "same" if same else "DIFFERENT"))
    return 1 if bad else 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    opts = dict(zip(argv[3::2], argv[4::2]))
    if cmd == "auth-bind":
        return auth_bind(argv[2], opts.get("--level", "privacy"), opts["--hold"])
    if cmd == "group-garbage":
        return group_garbage(argv[2])
    if cmd == "bind-hold":
        return bind_hold(argv[2], opts["--hold"])
    if cmd == "cmp-pcaps":
        return cmp_pcaps(argv[2], argv[3], int(argv[4]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
