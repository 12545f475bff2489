#pragma once

// Helpers shared by the MAPI AO unit tests: EcDoRpcExt2 calls and answers carrying one ROP
// buffer (MS-OXCRPC 3.1.4.2), and an edge half whose client has bound EMSMDB.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "mapi/emsmdb/ec_do_rpc_ext2.h"
#include "mapi/emsmdb/rpc_header_ext.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"
#include "mapi/rop/rop_buffer.h"
#include "tests/unit/mapi/dcerpc/test_util.h"

namespace bh::mapi::mapi_ao::testing {

/// The server object the tests read, write and release.
inline constexpr uint32_t kStream = 0x00000abc;
/// pcxh byte 4 of the tests' session; another value is another session.
inline constexpr uint8_t kSession = 0x42;

inline emsmdb::EcDoRpcExt2Request rpcRequest(const std::vector<rop::RopRequest>& rops,
                                             std::vector<uint32_t> handles = {kStream},
                                             uint8_t session = kSession) {
  rop::RopRequestBuffer buf;
  buf.rops = rops;
  buf.serverObjectHandleTable = std::move(handles);
  emsmdb::EcDoRpcExt2Request req;
  req.pcxh.bytes[4] = session;
  req.pcbOut = 0x40000;
  REQUIRE(emsmdb::encodeExtendedPayloads({rop::encodeRequestBuffer(buf)}, {}, req.rgbIn).ok());
  return req;
}

/// A whole request PDU: EcDoRpcExt2 with these ROPs.
inline Bytes call(uint32_t callId, const std::vector<rop::RopRequest>& rops,
                  std::vector<uint32_t> handles = {kStream}, uint8_t session = kSession) {
  return dcerpc::testing::encode(dcerpc::testing::requestPdu(
      Endian::Little, callId,
      emsmdb::encodeEcDoRpcExt2Request(rpcRequest(rops, std::move(handles), session))));
}

/// The server's answer PDU to a call of `request` (for its pcxh): these ROP answers, the
/// handle table `handles` echoed.
inline Bytes answer(uint32_t callId, const std::vector<rop::RopResponse>& rops,
                    const rop::RopRequest& request, std::vector<uint32_t> handles = {kStream},
                    uint32_t returnValue = 0) {
  rop::RopResponseBuffer buf;
  buf.rops = rops;
  buf.serverObjectHandleTable = handles;
  Bytes rgbOut;
  REQUIRE(emsmdb::encodeExtendedPayloads({rop::encodeResponseBuffer(buf)}, {}, rgbOut).ok());
  auto resp = emsmdb::makeEcDoRpcExt2Response(rpcRequest({request}, std::move(handles)), rgbOut);
  resp.returnValue = returnValue;
  return dcerpc::testing::encode(dcerpc::testing::responsePdu(
      Endian::Little, callId, emsmdb::encodeEcDoRpcExt2Response(resp)));
}

inline Bytes writeCall(uint32_t callId, size_t n, uint8_t session = kSession) {
  rop::RopWriteStreamRequest w;
  w.data = Bytes(n, 0x5a);
  return call(callId, {w}, {kStream}, session);
}

inline Bytes commitCall(uint32_t callId, uint32_t handle = kStream, uint8_t session = kSession) {
  return call(callId, {rop::RopCommitStreamRequest{}}, {handle}, session);
}

/// The server's answer to a RopWriteStream of `n` bytes on kStream: ReturnValue `rv`,
/// WrittenSize `written`.
inline Bytes writeAnswer(uint32_t callId, size_t n, uint32_t rv, uint16_t written) {
  rop::RopWriteStreamResponse a;
  a.returnValue = rv;
  a.writtenSize = written;
  rop::RopWriteStreamRequest w;
  w.data = Bytes(n, 0x5a);
  return answer(callId, {a}, w);
}

/// An EcDoRpcExt2 request stub whose rgbIn carries this plain ROP buffer as it is (RopSize,
/// RopsList, handle table: the caller's bytes, malformed or not).
inline Bytes rawRopBufferStub(const Bytes& plain, uint8_t session = kSession) {
  emsmdb::EcDoRpcExt2Request req;
  req.pcxh.bytes[4] = session;
  req.pcbOut = 0x40000;
  REQUIRE(emsmdb::encodeExtendedPayloads({plain}, {}, req.rgbIn).ok());
  return emsmdb::encodeEcDoRpcExt2Request(req);
}

/// A call whose RopsList holds `known` and then a ROP this codec does not know
/// (RopGetPropertiesAll 0x08, MS-OXCROPS 2.2.8.4: InputHandleIndex 0, PropertySizeLimit,
/// WantUnicode), with this handle table.
inline Bytes unknownRopStub(const std::vector<rop::RopRequest>& known,
                            const std::vector<uint32_t>& handles, uint8_t session = kSession) {
  rop::RopRequestBuffer buf;
  buf.rops = known;
  Bytes plain = rop::encodeRequestBuffer(buf);  // RopSize, the known ROPs, no table yet
  const uint8_t getPropertiesAll[] = {0x08, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00};
  plain.insert(plain.end(), std::begin(getPropertiesAll), std::end(getPropertiesAll));
  uint16_t ropSize = static_cast<uint16_t>(plain.size());
  plain[0] = static_cast<uint8_t>(ropSize);
  plain[1] = static_cast<uint8_t>(ropSize >> 8);
  for (uint32_t h : handles) {
    for (int i = 0; i < 4; ++i) {
      plain.push_back(static_cast<uint8_t>(h >> (8 * i)));
    }
  }
  return rawRopBufferStub(plain, session);
}

inline Bytes unknownRopCall(uint32_t callId, const std::vector<rop::RopRequest>& known,
                            const std::vector<uint32_t>& handles, uint8_t session = kSession) {
  return dcerpc::testing::encode(
      dcerpc::testing::requestPdu(Endian::Little, callId, unknownRopStub(known, handles, session)));
}

/// `whole` (one response PDU) cut into `n` fragments of its stub, flags first/last set.
inline std::vector<Bytes> fragmentsOf(const Bytes& whole, size_t n) {
  dcerpc::Pdu p;
  REQUIRE(dcerpc::decodePdu(whole, p).ok());
  const Bytes& stub = p.response()->stub;
  std::vector<Bytes> out;
  size_t per = (stub.size() + n - 1) / n;
  for (size_t i = 0; i < n; ++i) {
    size_t from = i * per, to = std::min(stub.size(), from + per);
    uint8_t flags = static_cast<uint8_t>((i == 0 ? 0x01 : 0) | (i + 1 == n ? 0x02 : 0));
    Bytes part(stub.begin() + static_cast<ptrdiff_t>(from),
               stub.begin() + static_cast<ptrdiff_t>(to));
    out.push_back(dcerpc::testing::encode(
        dcerpc::testing::responsePdu(Endian::Little, p.header.callId, part, flags)));
  }
  return out;
}

/// An edge half whose client bound EMSMDB and heard the server accept it.
inline void bindEdge(EdgeMapiAo& edge) {
  AoOutput o;
  edge.onClientData(dcerpc::testing::encode(dcerpc::testing::bindPdu(Endian::Little)), o);
  Bytes ack;
  encodeRecord(RecordType::Pdus,
               dcerpc::testing::encode(dcerpc::testing::bindAckPdu(Endian::Little)), ack);
  edge.onPeerData(ack, o);
}

}  // namespace bh::mapi::mapi_ao::testing
