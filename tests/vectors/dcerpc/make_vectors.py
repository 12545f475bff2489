#!/usr/bin/python3
"""Golden vectors for the DCE/RPC CO codec and the EPM stub codec, built with impacket.

Run with Debian's interpreter (python3-impacket 0.10):  /usr/bin/python3 make_vectors.py
It rewrites tests/vectors/dcerpc/<case>/ and tests/vectors/epm/<case>/ (input.bin + expected.json)
and copies each input into the fuzz seed corpora tests/fuzz/corpus/{dcerpc,epm}/.

impacket is an independent implementation: the PDUs come from its rpcrt/epm structures, not from
our encoder. One case (bind_big_endian) is packed by hand with struct '>' because impacket only
speaks little-endian NDR; its layout follows C706 12.6.3.1 field by field.
Everything is deterministic (fixed keys, fixed call ids), so re-running gives identical bytes.
"""
import json
import os
import struct
import sys

from Cryptodome.Cipher import ARC4
from impacket import ntlm
from impacket.dcerpc.v5 import epm, rpcrt
from impacket.uuid import uuidtup_to_bin, bin_to_string

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..'))

EPM_IF = ('e1af8308-5d1f-11c9-91a4-08002b14a0fa', '3.0')
EMSMDB_IF = ('a4f1db00-ca47-1067-b31f-00dd010662da', '0.81')
NDR = ('8a885d04-1ceb-11c9-9fe8-08002b104860', '2.0')
NDR64 = ('71710533-beba-4937-8319-b5dbef9ccc36', '1.0')
# MS-RPCE 3.3.1.5.3: bind time feature negotiation, bitmask 0x03 in the last uuid bytes.
BTFN = ('6cb71c2c-9812-4540-0300-000000000000', '1.0')


def ver(t):
    major, minor = t[1].split('.')
    return [int(major), int(minor)]


def syntax(t):
    return {'uuid': t[0], 'version': ver(t)}


def header(ptype, call_id, pdu_data, flags=rpcrt.PFC_FIRST_FRAG | rpcrt.PFC_LAST_FRAG):
    h = rpcrt.MSRPCHeader()
    h['type'] = ptype
    h['flags'] = flags
    h['call_id'] = call_id
    h['pduData'] = pdu_data
    return h


def add_auth(packet, auth_type, auth_level, ctx_id, auth_data, pad_byte=b'\xff'):
    """Same steps as impacket's DCERPC_v5.bind()/request(): pad to 4, sec_trailer, verifier."""
    trailer = rpcrt.SEC_TRAILER()
    trailer['auth_type'] = auth_type
    trailer['auth_level'] = auth_level
    trailer['auth_ctx_id'] = ctx_id
    pad = (4 - (len(packet.get_packet()) % 4)) % 4
    if pad:
        packet['pduData'] += pad_byte * pad
        trailer['auth_pad_len'] = pad
    packet['sec_trailer'] = trailer
    packet['auth_data'] = auth_data
    return {'type': auth_type, 'level': auth_level, 'pad_length': pad, 'context_id': ctx_id,
            'verifier_hex': auth_data.hex()}


def bind_body(contexts, max_xmit=4280, max_recv=4280, assoc_group=0):
    bind = rpcrt.MSRPCBind()
    bind['max_tfrag'] = max_xmit
    bind['max_rfrag'] = max_recv
    bind['assoc_group'] = assoc_group
    for cid, abstract, transfer in contexts:
        item = rpcrt.CtxItem()
        item['ContextID'] = cid
        item['TransItems'] = 1
        item['AbstractSyntax'] = uuidtup_to_bin(abstract)
        item['TransferSyntax'] = uuidtup_to_bin(transfer)
        bind.addCtxItem(item)
    return bind.getData()


def ctx_expect(contexts):
    return [{'id': cid, 'abstract': syntax(a), 'transfer': [syntax(t)]} for cid, a, t in contexts]


def ndr_pad(stub, at):
    """[offset, length] of the alignment padding that follows a tower ending at `at`."""
    n = (4 - at % 4) % 4
    assert all(b != 0 for b in stub[at:at + n]), 'expected impacket pad bytes'
    return [[at, n]] if n else []


SEP = bytes([0x01, 0xd5, 0xca, 0x7a])  # chunk separator of tests/fuzz/mapi/dcerpc_fuzz.cc


def write_seed(corpus, name, data):
    cdir = os.path.join(ROOT, 'tests', 'fuzz', 'corpus', corpus)
    os.makedirs(cdir, exist_ok=True)
    with open(os.path.join(cdir, name + '.bin'), 'wb') as f:
        f.write(data)


def fuzz_seed(kind, name, data, expected):
    """The fuzz targets' input format: a selector byte, then the bytes (see their headers)."""
    if kind == 'epm':
        return bytes([1 if 'response' in expected else 0]) + data
    server = expected['pdus'][0]['ptype'] in (2, 3, 12, 13, 15)
    return bytes([1 if server else 0]) + data


def write_case(kind, name, data, expected, corpus):
    d = os.path.join(ROOT, 'tests', 'vectors', kind, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, 'input.bin'), 'wb') as f:
        f.write(data)
    expected = dict(expected)
    expected['length'] = len(data)
    with open(os.path.join(d, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write('\n')
    write_seed(corpus, 'vec_' + name, fuzz_seed(kind, name, data, expected))


def pdu_common(ptype, call_id, data, flags=3, auth_length=0):
    return {'ptype': ptype, 'call_id': call_id, 'flags': flags, 'frag_length': len(data),
            'auth_length': auth_length, 'little_endian': True}


def main():
    cases = []

    # 1. bind to the endpoint mapper, no authentication (what hept_map sends first).
    ctxs = [(0, EPM_IF, NDR)]
    p = header(rpcrt.MSRPC_BIND, 1, bind_body(ctxs)).get_packet()
    e = pdu_common(11, 1, p)
    e.update({'max_xmit_frag': 4280, 'max_recv_frag': 4280, 'assoc_group_id': 0,
              'contexts': ctx_expect(ctxs)})
    cases.append(('dcerpc', 'bind_epm', p, {'pdus': [e]}))

    # 2. bind to EMSMDB with NDR, NDR64 and bind-time feature negotiation, NTLM negotiate at
    #    packet privacy (what Outlook proposes; MS-OXCRPC 3.1.4 requires privacy for EMSMDB).
    ctxs = [(0, EMSMDB_IF, NDR), (1, EMSMDB_IF, NDR64), (2, EMSMDB_IF, BTFN)]
    h = header(rpcrt.MSRPC_BIND, 2, bind_body(ctxs, 5840, 5840, 0))
    nego = ntlm.getNTLMSSPType1('WORKSTATION', 'EXAMPLE', signingRequired=True).getData()
    auth = add_auth(h, rpcrt.RPC_C_AUTHN_WINNT, rpcrt.RPC_C_AUTHN_LEVEL_PKT_PRIVACY, 79231, nego)
    p = h.get_packet()
    e = pdu_common(11, 2, p, auth_length=len(nego))
    e.update({'max_xmit_frag': 5840, 'max_recv_frag': 5840, 'assoc_group_id': 0,
              'contexts': ctx_expect(ctxs), 'auth': auth})
    cases.append(('dcerpc', 'bind_emsmdb_ntlm', p, {'pdus': [e]}))

    # 3. bind_ack from the endpoint mapper: secondary address "135", NDR accepted.
    ack = rpcrt.MSRPCBindAck()
    ack['type'] = rpcrt.MSRPC_BINDACK
    ack['flags'] = 3
    ack['call_id'] = 1
    ack['max_tfrag'] = 4280
    ack['max_rfrag'] = 4280
    ack['assoc_group'] = 0x0001a2b3
    ack['SecondaryAddr'] = b'135'
    ack['SecondaryAddrLen'] = 4
    ack['Pad'] = b'\x00' * ((4 - ((4 + 26) % 4)) % 4)
    res = rpcrt.CtxItemResult()
    res['Result'] = 0
    res['Reason'] = 0
    res['TransferSyntax'] = uuidtup_to_bin(NDR)
    ack['ctx_num'] = 1
    ack['ctx_items'] = res.getData()
    # MSRPCBindAck's frag_len default ignores the results list, so set it from the real size.
    ack['frag_len'] = len(ack.getData())
    p = ack.getData()
    e = pdu_common(12, 1, p)
    e.update({'max_xmit_frag': 4280, 'max_recv_frag': 4280, 'assoc_group_id': 0x0001a2b3,
              'secondary_address': '135',
              'results': [{'result': 0, 'reason': 0, 'transfer': syntax(NDR)}]})
    cases.append(('dcerpc', 'bind_ack_epm', p, {'pdus': [e]}))

    # 4. ept_map request for EMSMDB over ncacn_ip_tcp, exactly as epm.hept_map() builds it.
    tower = epm.EPMTower()
    iface = epm.EPMRPCInterface()
    iface['InterfaceUUID'] = uuidtup_to_bin(EMSMDB_IF)[:16]
    iface['MajorVersion'], iface['MinorVersion'] = ver(EMSMDB_IF)
    drep = epm.EPMRPCDataRepresentation()
    drep['DataRepUuid'] = uuidtup_to_bin(NDR)[:16]
    drep['MajorVersion'], drep['MinorVersion'] = ver(NDR)
    prot = epm.EPMProtocolIdentifier()
    prot['ProtIdentifier'] = epm.FLOOR_RPCV5_IDENTIFIER
    port = epm.EPMPortAddr()
    port['IpPort'] = 0
    host = epm.EPMHostAddr()
    host['Ip4addr'] = bytes([0, 0, 0, 0])
    tower['NumberOfFloors'] = 5
    tower['Floors'] = (iface.getData() + drep.getData() + prot.getData() + port.getData() +
                       host.getData())
    req = epm.ept_map()
    req['max_towers'] = 1
    req['map_tower']['tower_length'] = len(tower)
    req['map_tower']['tower_octet_string'] = tower.getData()
    req.fields['obj'].fields['ReferentID'] = 1
    req.fields['map_tower'].fields['ReferentID'] = 2
    stub = req.getData()
    tower_req = {'interface': syntax(EMSMDB_IF), 'transfer': syntax(NDR), 'protocol': 0x0b,
                 'port': 0, 'ipv4': '0.0.0.0', 'floor_count': 5}
    # NDR alignment padding (NDR 14.2.2) may hold any value and impacket fills it with 0xab/0xbf;
    # our encoder writes zeros, so the expected file names the padding ranges to compare around.
    req_pad = ndr_pad(stub, 4 + 16 + 4 + 8 + len(tower))
    epm_req = {'object': '00000000-0000-0000-0000-000000000000', 'ndr_pad': req_pad,
               'map_tower': tower_req, 'max_towers': 1,
               'entry_handle': {'attributes': 0, 'uuid': '00000000-0000-0000-0000-000000000000'},
               'tower_length': len(tower)}
    cases.append(('epm', 'ept_map_request', stub, {'request': epm_req}))

    r = rpcrt.MSRPCRequestHeader()
    r['flags'] = 3
    r['call_id'] = 2
    r['op_num'] = 3
    r['ctx_id'] = 0
    r['alloc_hint'] = len(stub)
    r['pduData'] = stub
    p = r.get_packet()
    e = pdu_common(0, 2, p)
    e.update({'alloc_hint': len(stub), 'context_id': 0, 'opnum': 3, 'stub_hex': stub.hex()})
    cases.append(('dcerpc', 'request_ept_map', p, {'pdus': [e]}))

    # 5. ept_map response: one tower, EMSMDB at 192.0.2.25:6001 (TEST-NET-1 address).
    rtower = epm.EPMTower()
    port = epm.EPMPortAddr()
    port['IpPort'] = 6001
    host = epm.EPMHostAddr()
    host['Ip4addr'] = bytes([192, 0, 2, 25])
    rtower['NumberOfFloors'] = 5
    rtower['Floors'] = (iface.getData() + drep.getData() + prot.getData() + port.getData() +
                        host.getData())
    resp = epm.ept_mapResponse()
    resp['entry_handle']['context_handle_attributes'] = 0
    resp['entry_handle']['context_handle_uuid'] = b'\x00' * 16
    resp['num_towers'] = 1
    item = epm.twr_p_t()
    item['tower_length'] = len(rtower)
    item['tower_octet_string'] = rtower.getData()
    item['ReferentID'] = 0x00020000  # impacket draws a random id; Windows starts at 0x20000
    resp['ITowers'].append(item)
    resp['status'] = 0
    rstub = resp.getData()
    resp_pad = ndr_pad(rstub, 20 + 4 + 12 + 4 + 8 + len(rtower))
    epm_resp = {'ndr_pad': resp_pad, 'num_towers': 1, 'status': 0, 'max_count': 1, 'towers': [
        {'interface': syntax(EMSMDB_IF), 'transfer': syntax(NDR), 'protocol': 0x0b,
         'port': 6001, 'ipv4': '192.0.2.25', 'floor_count': 5}],
        'mapped': {'interface': EMSMDB_IF[0], 'ipv4': '192.0.2.25', 'port': 6001}}
    cases.append(('epm', 'ept_map_response', rstub, {'response': epm_resp}))

    rr = rpcrt.MSRPCRespHeader()
    rr['flags'] = 3
    rr['call_id'] = 2
    rr['ctx_id'] = 0
    rr['alloc_hint'] = len(rstub)
    rr['pduData'] = rstub
    p = rr.get_packet()
    e = pdu_common(2, 2, p)
    e.update({'alloc_hint': len(rstub), 'context_id': 0, 'cancel_count': 0,
              'stub_hex': rstub.hex()})
    cases.append(('dcerpc', 'response_ept_map', p, {'pdus': [e]}))

    # 6. EMSMDB request sealed with NTLM at packet privacy: the stub is encrypted with ntlm.SEAL
    #    under fixed keys, auth padding 0xbb as impacket's request() writes, 16-byte verifier.
    flags = (ntlm.NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | ntlm.NTLMSSP_NEGOTIATE_128 |
             ntlm.NTLMSSP_NEGOTIATE_KEY_EXCH | ntlm.NTLMSSP_NEGOTIATE_SEAL |
             ntlm.NTLMSSP_NEGOTIATE_SIGN | ntlm.NTLMSSP_NEGOTIATE_NTLM)
    session_key = bytes(range(16))
    sign_key = ntlm.SIGNKEY(flags, session_key)
    seal_key = ntlm.SEALKEY(flags, session_key)
    handle = ARC4.new(seal_key).encrypt
    plain = b'\x00\x00\x00\x00' + bytes(range(1, 38))  # 41 bytes: exercises auth padding
    r = rpcrt.MSRPCRequestHeader()
    r['flags'] = 3
    r['call_id'] = 3
    r['op_num'] = 11
    r['ctx_id'] = 0
    r['alloc_hint'] = len(plain)
    r['pduData'] = plain
    trailer = rpcrt.SEC_TRAILER()
    trailer['auth_type'] = rpcrt.RPC_C_AUTHN_WINNT
    trailer['auth_level'] = rpcrt.RPC_C_AUTHN_LEVEL_PKT_PRIVACY
    trailer['auth_ctx_id'] = 79231
    pad = (4 - (len(r.get_packet()) % 4)) % 4
    r['pduData'] += b'\xbb' * pad
    trailer['auth_pad_len'] = pad
    r['sec_trailer'] = trailer
    r['auth_data'] = b' ' * 16
    sealed, sig = ntlm.SEAL(flags, sign_key, seal_key, r.get_packet()[:-16], r['pduData'], 0,
                            handle)
    r['pduData'] = sealed
    r['auth_data'] = sig.getData()
    p = r.get_packet()
    sealed_stub = sealed[:len(sealed) - pad]
    e = pdu_common(0, 3, p, auth_length=16)
    e.update({'alloc_hint': len(plain), 'context_id': 0, 'opnum': 11,
              'stub_hex': sealed_stub.hex(),
              'auth': {'type': 10, 'level': 6, 'pad_length': pad, 'context_id': 79231,
                       'verifier_hex': sig.getData().hex()}})
    cases.append(('dcerpc', 'request_ntlm_privacy', p, {'pdus': [e]}))

    # 7. One request in three fragments (FIRST, middle, LAST), as impacket's request() splits a
    #    stub larger than max_xmit_frag; the stream carries all three PDUs back to back.
    big = bytes((i * 7 + 3) & 0xff for i in range(100))
    chunks = [big[0:40], big[40:80], big[80:100]]
    stream = b''
    pdus = []
    for i, c in enumerate(chunks):
        f = 0
        if i == 0:
            f |= rpcrt.PFC_FIRST_FRAG
        if i == len(chunks) - 1:
            f |= rpcrt.PFC_LAST_FRAG
        r = rpcrt.MSRPCRequestHeader()
        r['flags'] = f
        r['call_id'] = 7
        r['op_num'] = 11
        r['ctx_id'] = 1
        r['alloc_hint'] = len(big) - 40 * i
        r['pduData'] = c
        pkt = r.get_packet()
        stream += pkt
        e = pdu_common(0, 7, pkt, flags=f)
        e.update({'alloc_hint': len(big) - 40 * i, 'context_id': 1, 'opnum': 11,
                  'stub_hex': c.hex()})
        pdus.append(e)
    cases.append(('dcerpc', 'request_fragmented', stream,
                  {'pdus': pdus, 'calls': [{'call_id': 7, 'opnum': 11, 'stub_hex': big.hex()}]}))

    # 8. A big-endian bind (drep[0] = 0x00), hand-packed per C706 12.6.3.1 because impacket
    #    only writes little-endian: same EPM context as bind_epm.
    def uuid_be(u):
        a = bytes.fromhex(u.replace('-', ''))
        return a  # big-endian wire form of time_low/time_mid/time_hi equals the string order
    ctxs = [(0, EPM_IF, NDR)]
    body = struct.pack('>HHIBBH', 4280, 4280, 0, 1, 0, 0)
    body += struct.pack('>HBB', 0, 1, 0)
    # p_syntax_id_t.if_version is one unsigned32 (major in the low 16 bits): 3.0 -> 0x00000003.
    body += uuid_be(EPM_IF[0]) + struct.pack('>I', 3)
    body += uuid_be(NDR[0]) + struct.pack('>I', 2)
    hdr = struct.pack('>BBBB4sHHI', 5, 0, 11, 3, bytes([0x00, 0, 0, 0]), 16 + len(body), 0, 9)
    p = hdr + body
    e = pdu_common(11, 9, p)
    e['little_endian'] = False
    e.update({'max_xmit_frag': 4280, 'max_recv_frag': 4280, 'assoc_group_id': 0,
              'contexts': ctx_expect(ctxs)})
    cases.append(('dcerpc', 'bind_big_endian', p, {'pdus': [e]}))

    # 9. The whole EPM conversation as one client stream and one server stream.
    by_name = {n: d for _, n, d, _ in cases}
    cases.append(('dcerpc', 'stream_epm_client', by_name['bind_epm'] + by_name['request_ept_map'],
                  {'pdus': [cases[0][3]['pdus'][0], cases[4][3]['pdus'][0]]}))

    # 10. A co_cancel between a call's fragments (C706 12.6.4.8), as the MAPI AO must relay it:
    #     the two fragments before it end the reading of call 7 (handed out ahead of the
    #     co_cancel), the last fragment follows unread, and no whole call comes out.
    frag_pdus = next(e for _, n, _, e in cases if n == 'request_fragmented')['pdus']
    rf = by_name['request_fragmented']
    f1, f2, f3 = rf[:64], rf[64:128], rf[128:]
    cancel = header(rpcrt.MSRPC_CO_CANCEL, 7, b'').get_packet()
    cases.append(('dcerpc', 'stream_cancel_mid_call', f1 + f2 + cancel + f3,
                  {'pdus': [frag_pdus[0], frag_pdus[1], pdu_common(18, 7, cancel),
                            frag_pdus[2]],
                   'calls': [],
                   'abandoned': [{'call_id': 7, 'fragments': 2,
                                  'stub_hex': big[:80].hex()}]}))

    for kind, name, data, expected in cases:
        write_case(kind, name, data, expected, 'dcerpc' if kind == 'dcerpc' else 'epm')
        print('%-8s %-24s %5d bytes' % (kind, name, len(data)))

    # Whole conversations for the dcerpc fuzzer: client chunks start 0x00, server chunks 0x01;
    # the request is cut mid-header and mid-body to exercise buffering.
    req = by_name['request_ept_map']
    conv = (b'\x00' + by_name['bind_epm'] + SEP + b'\x01' + by_name['bind_ack_epm'] + SEP +
            b'\x00' + req[:10] + SEP + b'\x00' + req[10:100] + SEP + b'\x00' + req[100:] +
            SEP + b'\x01' + by_name['response_ept_map'])
    write_seed('dcerpc', 'conv_epm', conv)
    frag = by_name['request_fragmented']
    write_seed('dcerpc', 'conv_fragmented', b'\x00' + by_name['bind_emsmdb_ntlm'] + SEP +
               b'\x00' + frag[:70] + SEP + b'\x00' + frag[70:])
    # Malformed seeds: rpc_vers 4, frag_length below 16, auth_length past the end, truncated.
    bad_vers = b'\x04' + by_name['bind_epm'][1:]
    write_seed('dcerpc', 'bad_rpc_vers', b'\x00' + bad_vers)
    short_frag = bytearray(by_name['bind_epm'])
    short_frag[8] = 8
    write_seed('dcerpc', 'bad_frag_length', b'\x00' + bytes(short_frag))
    long_auth = bytearray(by_name['request_ntlm_privacy'])
    long_auth[10] = 0x70
    write_seed('dcerpc', 'bad_auth_length', b'\x00' + bytes(long_auth))
    write_seed('dcerpc', 'truncated_bind', b'\x00' + by_name['bind_emsmdb_ntlm'][:50])
    write_seed('epm', 'truncated_request', b'\x00' + by_name['ept_map_request'][:60])
    bad_count = bytearray(by_name['ept_map_response'])
    bad_count[20] = 9
    write_seed('epm', 'bad_num_towers', b'\x01' + bytes(bad_count))
    write_seed('epm', 'request_big_endian_selector', b'\x02' + by_name['ept_map_request'])


if __name__ == '__main__':
    sys.exit(main())
