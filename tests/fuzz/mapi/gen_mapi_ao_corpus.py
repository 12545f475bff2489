#!/usr/bin/env python3
"""Seeds for fuzz_mapi_ao: real EMSMDB conversations recorded from outlook-sim against
exchange-sim on loopback (outlook-sim --record), re-cut into the target's chunk format
(separator 01 D5 CA 7A; first byte 0 = client bytes to the edge half, 1 = server bytes to the
core half), one request then its answer, as they alternate on the wire.

usage: gen_mapi_ao_corpus.py BUILD_BIN_DIR OUT_DIR
"""
import os, struct, subprocess, sys, tempfile, time

SEP = bytes([0x01, 0xD5, 0xCA, 0x7A])

def pdus(stream):
    out, off = [], 0
    while off + 16 <= len(stream):
        little = stream[off + 4] & 0x10
        (n,) = struct.unpack_from('<H' if little else '>H', stream, off + 8)
        if n < 16 or off + n > len(stream):
            break
        out.append(stream[off:off + n])
        off += n
    return out

def call_id(p):
    return struct.unpack_from('<I' if p[4] & 0x10 else '>I', p, 12)[0]

def interleave(client, server):
    """Client PDUs in order; after each call's last fragment, the server PDUs of that call."""
    chunks, sp = [], pdus(server)
    for p in pdus(client):
        chunks.append(b'\x00' + p)
        if p[3] & 0x02:  # PFC_LAST_FRAG
            cid = call_id(p)
            mine = [s for s in sp if call_id(s) == cid]
            sp = [s for s in sp if call_id(s) != cid]
            for s in mine:
                chunks.append(b'\x01' + s)
    return SEP.join(chunks)

def main():
    bindir, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    epm, ems = 41350, 41351
    sim = subprocess.Popen([f'{bindir}/exchange-sim', '--epm-port', str(epm), '--emsmdb-port',
                            str(ems), '--mailbox-messages', '6', '--attachment-sizes', '100000'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        for work in (['open-attachment', '100000'], ['read-seek', '100000'], ['sync'],
                     ['save-attachment', '40000']):
            with tempfile.TemporaryDirectory() as rec:
                subprocess.run([f'{bindir}/outlook-sim', '--server', '127.0.0.1', '--epm-port',
                                str(epm), '--mailbox-messages', '6', '--attachment-sizes',
                                '100000', '--record', rec] + work, check=True,
                               stdout=subprocess.DEVNULL)
                for conn in ('main', 'bulk'):
                    c = open(os.path.join(rec, f'{conn}.client.bin'), 'rb').read()
                    s = open(os.path.join(rec, f'{conn}.server.bin'), 'rb').read()
                    name = f'{work[0]}_{conn}.bin'
                    with open(os.path.join(outdir, name), 'wb') as f:
                        f.write(interleave(c, s))
    finally:
        sim.terminate()
        sim.wait()

if __name__ == '__main__':
    main()
