#!/usr/bin/python3
"""Seeds of tests/fuzz/corpus/co_stream/ (the DCE/RPC stream engine's fuzz target).

Input format (co_stream_fuzz.cc): one selector byte (bit 0: the server's stream, bit 1: small
caps), then TCP segments separated by 01 D5 CA 7A. Seeds: every golden vector of
tests/vectors/dcerpc whole, cut mid-header and mid-body, and under small caps; and hand-packed
streams (C706 12.6.3.1 field by field) for what the vectors lack: a co_cancel and an orphaned
PDU between a call's fragments, interleaved calls, big-endian fragments.
Deterministic: re-running gives identical files.  Run: python3 gen_co_stream_corpus.py
"""
import glob
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..'))
OUT = os.path.join(ROOT, 'tests', 'fuzz', 'corpus', 'co_stream')
SEP = bytes([0x01, 0xd5, 0xca, 0x7a])
SERVER_PTYPES = {2, 3, 12, 13, 15}  # response, fault, bind_ack, bind_nak, alter_context_resp
FIRST, LAST = 0x01, 0x02


def pdu(ptype, call_id, flags, body=b'', big=False):
    """A CO PDU without auth: 16-byte common header (C706 12.6.3.1) then `body`."""
    e = '>' if big else '<'
    drep = bytes([0x00 if big else 0x10, 0, 0, 0])
    return (struct.pack('BBBB', 5, 0, ptype, flags) + drep +
            struct.pack(e + 'HHI', 16 + len(body), 0, call_id) + body)


def request(call_id, flags, stub, opnum=11, big=False):
    e = '>' if big else '<'
    return pdu(0, call_id, flags, struct.pack(e + 'IHH', len(stub), 0, opnum) + stub, big)


def response(call_id, flags, stub, big=False):
    e = '>' if big else '<'
    return pdu(2, call_id, flags, struct.pack(e + 'IHBB', len(stub), 0, 0, 0) + stub, big)


def write(name, selector, segments):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(bytes([selector]) + SEP.join(segments))


def main():
    os.makedirs(OUT, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(ROOT, 'tests', 'vectors', 'dcerpc', '*', 'input.bin'))):
        name = os.path.basename(os.path.dirname(path))
        data = open(path, 'rb').read()
        sel = 1 if data[2] in SERVER_PTYPES else 0
        write('vec_' + name + '.bin', sel, [data])
        cuts = sorted({c for c in (7, 23, len(data) // 2) if 0 < c < len(data)})
        write('split_' + name + '.bin', sel,
              [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])])
        write('smallcaps_' + name + '.bin', sel | 2, [data])
    stub = bytes(range(40))
    for ptype, name in ((18, 'co_cancel'), (19, 'orphaned')):
        write(name + '_mid_call.bin', 0,
              [request(6, FIRST, stub), request(6, 0, stub), pdu(ptype, 6, FIRST | LAST),
               request(6, 0, stub), request(6, LAST, stub), request(6, FIRST | LAST, stub)])
    write('interleaved_calls.bin', 0,
          [request(3, FIRST, stub) + request(4, FIRST | LAST, stub) + request(3, 0, stub),
           request(3, LAST, stub)])
    write('big_endian_fragments.bin', 1,
          [response(9, FIRST, stub, big=True)[:20], response(9, FIRST, stub, big=True)[20:] +
           response(9, LAST, stub[:3], big=True)])
    write('fault_mid_answer.bin', 1,
          [response(5, FIRST, stub),
           pdu(3, 5, FIRST | LAST, struct.pack('<IHBBII', 0, 0, 0, 0, 0x1c010002, 0))])
    write('smallcaps_many_calls.bin', 2, [b''.join(request(i, FIRST, stub) for i in range(1, 5))])


if __name__ == '__main__':
    main()
