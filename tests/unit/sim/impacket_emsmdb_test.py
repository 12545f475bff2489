#!/usr/bin/python3
# exchange-sim against impacket, an independent DCE/RPC stack and NDR marshaller (Debian's
# python3-impacket, run with /usr/bin/python3): hept_map resolves EMSMDB; EcDoConnectEx,
# EcDoRpcExt2 (RopLogon) and EcDoDisconnect, marshalled by impacket's NDR from the MS-OXCRPC
# 3.1.4 IDL, are answered with stubs impacket unmarshals. Loopback only, ports picked by the
# kernel. Usage: impacket_emsmdb_test.py PATH/TO/exchange-sim
import re
import struct
import subprocess
import sys

from impacket.dcerpc.v5 import epm, transport
from impacket.dcerpc.v5.dtypes import LPSTR, NULL, STR, ULONG, USHORT
from impacket.dcerpc.v5.ndr import NDRCALL, NDRSTRUCT, NDRUniConformantArray, \
    NDRUniConformantVaryingArray
from impacket.dcerpc.v5.rpcrt import DCERPCException
from impacket.uuid import uuidtup_to_bin

EMSMDB = ('a4f1db00-ca47-1067-b31f-00dd010662da', '0.81')


class CXH(NDRSTRUCT):  # context handle: attributes + uuid, 20 bytes (MS-RPCE 2.2.5.3.4.1)
    structure = (('attributes', ULONG), ('uuid', '16s=b""'))


def handle_bytes(h):
    return struct.pack('<L', h['attributes']) + h['uuid']


def set_handle(h, raw):
    h['attributes'] = struct.unpack('<L', raw[:4])[0]
    h['uuid'] = raw[4:]


class BYTE_ARRAY(NDRUniConformantArray):
    item = 'c'


class BYTE_VARYING(NDRUniConformantVaryingArray):
    item = 'c'


class EcDoConnectEx(NDRCALL):  # MS-OXCRPC 3.1.4.1, [in] side
    opnum = 10
    structure = (
        ('szUserDN', STR), ('ulFlags', ULONG), ('ulConMod', ULONG), ('cbLimit', ULONG),
        ('ulCpid', ULONG), ('ulLcidString', ULONG), ('ulLcidSort', ULONG), ('ulIcxrLink', ULONG),
        ('usFCanConvertCodePages', USHORT), ('rgwClientVersion0', USHORT),
        ('rgwClientVersion1', USHORT), ('rgwClientVersion2', USHORT), ('pulTimeStamp', ULONG),
        ('rgbAuxIn', BYTE_ARRAY), ('cbAuxIn', ULONG), ('pcbAuxOut', ULONG),
    )


class EcDoConnectExResponse(NDRCALL):
    structure = (
        ('pcxh', CXH), ('pcmsPollsMax', ULONG), ('pcRetry', ULONG), ('pcmsRetryDelay', ULONG),
        ('picxr', USHORT), ('szDNPrefix', LPSTR), ('szDisplayName', LPSTR),
        ('rgwServerVersion0', USHORT), ('rgwServerVersion1', USHORT),
        ('rgwServerVersion2', USHORT), ('rgwBestVersion0', USHORT), ('rgwBestVersion1', USHORT),
        ('rgwBestVersion2', USHORT), ('pulTimeStamp', ULONG), ('rgbAuxOut', BYTE_VARYING),
        ('pcbAuxOut', ULONG), ('ErrorCode', ULONG),
    )


class EcDoRpcExt2(NDRCALL):  # MS-OXCRPC 3.1.4.2
    opnum = 11
    structure = (
        ('pcxh', CXH), ('pulFlags', ULONG), ('rgbIn', BYTE_ARRAY), ('cbIn', ULONG),
        ('pcbOut', ULONG), ('rgbAuxIn', BYTE_ARRAY), ('cbAuxIn', ULONG), ('pcbAuxOut', ULONG),
    )


class EcDoRpcExt2Response(NDRCALL):
    structure = (
        ('pcxh', CXH), ('pulFlags', ULONG), ('rgbOut', BYTE_VARYING), ('pcbOut', ULONG),
        ('rgbAuxOut', BYTE_VARYING), ('pcbAuxOut', ULONG), ('pulTransTime', ULONG),
        ('ErrorCode', ULONG),
    )


class EcDoDisconnect(NDRCALL):  # MS-OXCRPC 3.1.4.3
    opnum = 1
    structure = (('pcxh', CXH),)


class EcDoDisconnectResponse(NDRCALL):
    structure = (('pcxh', CXH), ('ErrorCode', ULONG))


def fail(why):
    print('FAIL [impacket_emsmdb_test]: ' + why)
    sys.exit(1)


def main():
    sim = subprocess.Popen([sys.argv[1], '--epm-port', '0', '--emsmdb-port', '0',
                            '--mailbox-messages', '3'], stdout=subprocess.PIPE, text=True)
    try:
        line = sim.stdout.readline()
        m = re.search(r'epm port (\d+), emsmdb port (\d+)', line)
        if not m:
            fail('exchange-sim did not start: %r' % line)
        epm_port, emsmdb_port = int(m.group(1)), int(m.group(2))

        # The endpoint mapper, through impacket's own EPM client.
        t = transport.DCERPCTransportFactory('ncacn_ip_tcp:127.0.0.1[%d]' % epm_port)
        dce = t.get_dce_rpc()
        dce.connect()
        binding = epm.hept_map('127.0.0.1', uuidtup_to_bin(EMSMDB), protocol='ncacn_ip_tcp',
                               dce=dce)
        if binding != 'ncacn_ip_tcp:127.0.0.1[%d]' % emsmdb_port:
            fail('hept_map gave %s, want port %d' % (binding, emsmdb_port))
        try:
            epm.hept_map('127.0.0.1', uuidtup_to_bin(('12345778-1234-abcd-ef00-0123456789ac',
                                                      '1.0')), dce=dce)
            fail('an unknown interface was mapped')
        except DCERPCException as e:
            if 'ept_s_not_registered' not in str(e):
                fail('unknown interface: %s' % e)
        dce.disconnect()

        # EMSMDB with impacket's NDR marshalling.
        t = transport.DCERPCTransportFactory(binding)
        dce = t.get_dce_rpc()
        dce.connect()
        dce.bind(uuidtup_to_bin(EMSMDB))
        q = EcDoConnectEx()
        q['szUserDN'] = '/o=Bridgehead/cn=Recipients/cn=impacket\x00'
        q['ulCpid'] = 1252
        q['ulLcidString'] = 0x409
        q['ulLcidSort'] = 0x409
        q['ulIcxrLink'] = 0xffffffff
        q['usFCanConvertCodePages'] = 1
        q['rgwClientVersion0'], q['rgwClientVersion1'], q['rgwClientVersion2'] = 12, 6423, 1000
        q['rgbAuxIn'] = []
        q['cbAuxIn'] = 0
        q['pcbAuxOut'] = 0x1008
        r = dce.request(q)
        if r['ErrorCode'] != 0 or r['szDisplayName'] != 'Simulated User\x00':
            fail('EcDoConnectEx: %r %r' % (r['ErrorCode'], r['szDisplayName']))
        best = (r['rgwBestVersion0'], r['rgwBestVersion1'], r['rgwBestVersion2'])
        if best != (12, 6423, 1000) or r['rgwServerVersion0'] != 15:
            fail('EcDoConnectEx versions: best %r server %r' % (best, r['rgwServerVersion0']))
        cxh = handle_bytes(r['pcxh'])
        if len(cxh) != 20 or cxh == b'\x00' * 20:
            fail('EcDoConnectEx gave no session handle: %r' % cxh)

        # RopLogon (MS-OXCROPS 2.2.3.1) in an RPC_HEADER_EXT (MS-OXCRPC 2.2.2.1).
        essdn = b'/o=Bridgehead/cn=Recipients/cn=impacket\x00'
        rop = struct.pack('<BBBBIIH', 0xfe, 0, 0, 1, 0x01000000, 0, len(essdn)) + essdn
        payload = struct.pack('<H', len(rop) + 2) + rop + struct.pack('<I', 0xffffffff)
        rgb_in = struct.pack('<HHHH', 0, 0x0004, len(payload), len(payload)) + payload
        x = EcDoRpcExt2()
        set_handle(x['pcxh'], cxh)
        x['pulFlags'] = 0x3  # NoCompression | NoXorMagic
        x['rgbIn'] = list(rgb_in)
        x['cbIn'] = len(rgb_in)
        x['pcbOut'] = 0x40000
        x['rgbAuxIn'] = []
        x['cbAuxIn'] = 0
        x['pcbAuxOut'] = 0x1008
        r = dce.request(x)
        out = b''.join(r['rgbOut'])
        if r['ErrorCode'] != 0 or r['pcbOut'] != len(out):
            fail('EcDoRpcExt2: %r, pcbOut %r vs %d' % (r['ErrorCode'], r['pcbOut'], len(out)))
        version, flags, size, actual = struct.unpack('<HHHH', out[:8])
        if flags != 0x0004 or size != len(out) - 8 or size != actual:
            fail('RPC_HEADER_EXT %r' % ((version, flags, size, actual),))
        body = out[8:]
        rop_size = struct.unpack('<H', body[:2])[0]
        rop_id, index, rv = struct.unpack('<BBI', body[2:8])
        # Logon response: 6 + LogonFlags + 13 FolderIds + ResponseFlags + MailboxGuid + ReplId +
        # ReplGuid + LogonTime + GwartTime + StoreState = 166 bytes, then one handle.
        if (rop_id, index, rv) != (0xfe, 0, 0) or rop_size != 2 + 166 or len(body) != 168 + 4:
            fail('RopLogon response: id %#x rv %#x RopSize %d len %d' %
                 (rop_id, rv, rop_size, len(body)))

        d = EcDoDisconnect()
        set_handle(d['pcxh'], cxh)
        r = dce.request(d)
        back = handle_bytes(r['pcxh'])
        if r['ErrorCode'] != 0 or back != b'\x00' * 20:
            fail('EcDoDisconnect: %r' % r['ErrorCode'])
        dce.disconnect()
        print('ok   [impacket_emsmdb_test]: hept_map %s; EcDoConnectEx, EcDoRpcExt2(RopLogon), '
              'EcDoDisconnect through impacket NDR' % binding)
    finally:
        sim.terminate()
        sim.wait()


if __name__ == '__main__':
    main()
