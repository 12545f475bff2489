// How much the core prefetches before the client has taken anything: a stream read-ahead starts
// at kInitialReadAheadCalls and opens as the client reads on (a client may seek away); a
// FastTransfer download, which can be neither sought nor read again, gets its whole window at
// once (core_mapi_ao.cc, inject).
#include <doctest/doctest.h>

#include "../dcerpc_test_util.h"
#include "mapi/emsmdb/ec_do_rpc_ext2.h"
#include "mapi/emsmdb/rpc_header_ext.h"
#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/rop/rop_buffer.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::mapi_ao;
using dcerpc::testing::bindAckPdu;
using dcerpc::testing::bindPdu;
using dcerpc::testing::encode;
using dcerpc::testing::requestPdu;
using dcerpc::testing::responsePdu;

namespace {

constexpr uint32_t kObject = 0x00000abc;
constexpr uint16_t kChunk = 31744;
constexpr uint32_t kWindowCalls = 200;

emsmdb::EcDoRpcExt2Request rpcRequest(const rop::RopRequest& r) {
  rop::RopRequestBuffer buf;
  buf.rops.push_back(r);
  buf.serverObjectHandleTable = {kObject};
  emsmdb::EcDoRpcExt2Request req;
  req.pcxh.bytes[4] = 0x42;
  req.pcbOut = 0x40000;
  REQUIRE(emsmdb::encodeExtendedPayloads({rop::encodeRequestBuffer(buf)}, {}, req.rgbIn).ok());
  return req;
}

Bytes answer(const rop::RopRequest& request, const rop::RopResponse& r, uint32_t callId) {
  rop::RopResponseBuffer buf;
  buf.rops.push_back(r);
  buf.serverObjectHandleTable = {kObject};
  Bytes rgbOut;
  REQUIRE(emsmdb::encodeExtendedPayloads({rop::encodeResponseBuffer(buf)}, {}, rgbOut).ok());
  auto resp = emsmdb::makeEcDoRpcExt2Response(rpcRequest(request), rgbOut);
  return encode(responsePdu(Endian::Little, callId, emsmdb::encodeEcDoRpcExt2Response(resp)));
}

/// Calls the core sends the server on its own after the client's first full answer.
size_t injectedAfterFirstAnswer(const rop::RopRequest& request, const rop::RopResponse& full) {
  MapiAoEvents ev;
  MapiAoConfig cfg;
  cfg.readAheadWindowBytes = kWindowCalls * kChunk;
  CoreMapiAo core(cfg, ev);
  Bytes bind, call;
  encodeRecord(RecordType::Pdus, encode(bindPdu(Endian::Little)), bind);
  encodeRecord(RecordType::Pdus,
               encode(requestPdu(Endian::Little, 2,
                                 emsmdb::encodeEcDoRpcExt2Request(rpcRequest(request)))),
               call);
  AoOutput o;
  core.onPeerData(bind, o);
  AoOutput b;
  core.onServerData(encode(bindAckPdu(Endian::Little)), b);
  AoOutput c;
  core.onPeerData(call, c);
  AoOutput a;
  core.onServerData(answer(request, full, 2), a);
  REQUIRE_FALSE(a.reset);
  REQUIRE(core.activeReadAheads() == 1);
  return core.outstandingInjected();
}

} // namespace

TEST_CASE("a stream read-ahead starts small; a FastTransfer download takes its whole window") {
  rop::RopReadStreamRequest read;
  read.byteCount = kChunk;
  rop::RopReadStreamResponse readFull;
  readFull.data = Bytes(kChunk, 0x11);
  CHECK(injectedAfterFirstAnswer(read, readFull) == kInitialReadAheadCalls);

  rop::RopFastTransferSourceGetBufferRequest get;
  get.bufferSize = kChunk;
  rop::RopFastTransferSourceGetBufferResponse partial;
  partial.transferStatus = static_cast<uint16_t>(rop::TransferStatus::Partial);
  partial.transferBuffer = Bytes(kChunk, 0x22);
  CHECK(injectedAfterFirstAnswer(get, partial) == kWindowCalls);
}
