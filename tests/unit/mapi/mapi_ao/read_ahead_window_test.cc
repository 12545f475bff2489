// How much the core prefetches before the client has taken anything: a stream read-ahead starts
// at kInitialReadAheadCalls and opens as the client reads on (a client may seek away); a
// FastTransfer download, which can be neither sought nor read again, gets its whole window at
// once (core_mapi_ao.cc, inject).
#include <doctest/doctest.h>

#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi_ao_test_util.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::mapi_ao;
using dcerpc::testing::bindAckPdu;
using dcerpc::testing::bindPdu;
using dcerpc::testing::encode;
using namespace bh::mapi::mapi_ao::testing;

namespace {

constexpr uint16_t kChunk = 31744;
constexpr uint32_t kWindowCalls = 200;

/// Calls the core sends the server on its own after the client's first full answer.
size_t injectedAfterFirstAnswer(const rop::RopRequest& request, const rop::RopResponse& full) {
  MapiAoEvents ev;
  MapiAoConfig cfg;
  cfg.readAheadWindowBytes = kWindowCalls * kChunk;
  CoreMapiAo core(cfg, ev);
  Bytes bind, firstCall;
  encodeRecord(RecordType::Pdus, encode(bindPdu(Endian::Little)), bind);
  encodeRecord(RecordType::Pdus, call(2, {request}), firstCall);
  AoOutput o;
  core.onPeerData(bind, o);
  AoOutput b;
  core.onServerData(encode(bindAckPdu(Endian::Little)), b);
  AoOutput c;
  core.onPeerData(firstCall, c);
  AoOutput a;
  core.onServerData(answer(2, {full}, request), a);
  REQUIRE_FALSE(a.reset);
  REQUIRE(core.activeReadAheads() == 1);
  return core.outstandingInjected();
}

}  // namespace

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
