// `debug accelerator mapi`: the categories (the seed's names), the one-line descriptions of
// PDUs, EcDoRpcExt2 calls and their ROPs (structure only, never payload bytes), and the AO
// emitting lines only for the categories that are on.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/mapi_ao/call_description.h"
#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/mapi_debug.h"
#include "mapi_ao_test_util.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::mapi_ao;
using dcerpc::testing::bindAckPdu;
using dcerpc::testing::bindPdu;
using dcerpc::testing::encode;
using namespace bh::mapi::mapi_ao::testing;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

bool printable(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

Bytes stubOf(const Bytes& pdu) {
  dcerpc::Pdu p;
  REQUIRE(dcerpc::decodePdu(pdu, p).ok());
  if (p.request()) {
    return p.request()->stub;
  }
  REQUIRE(p.response());
  return p.response()->stub;
}

struct DebugRecorder : MapiAoEvents {
  uint32_t mask = 0;
  std::vector<std::pair<MapiDebug, std::string>> lines;
  uint32_t debugMask() const override { return mask; }
  void onDebug(MapiDebug c, const std::string& line) override { lines.emplace_back(c, line); }
  size_t count(MapiDebug c, const std::string& part) const {
    return static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [&](const auto& l) {
      return l.first == c && contains(l.second, part);
    }));
  }
};

}  // namespace

TEST_CASE("debug categories: the seed's names, any case, and all") {
  CHECK(parseMapiDebugCategory("ROP-layer") == static_cast<uint32_t>(MapiDebug::RopLayer));
  CHECK(parseMapiDebugCategory("common-flow") == static_cast<uint32_t>(MapiDebug::CommonFlow));
  CHECK(parseMapiDebugCategory("ALL") == kMapiDebugAll);
  CHECK_FALSE(parseMapiDebugCategory("IO"));   // a WAAS internal
  CHECK_FALSE(parseMapiDebugCategory("rop"));  // not a prefix match
  CHECK_FALSE(parseMapiDebugCategory(""));
  auto names = mapiDebugCategoryNames(kMapiDebugAll);
  CHECK(names.size() == 7);
  CHECK(names.front() == "Common-flow");
  CHECK(mapiDebugCategoryNames(static_cast<uint32_t>(MapiDebug::Transport) |
                               static_cast<uint32_t>(MapiDebug::DcerpcLayer)) ==
        std::vector<std::string>{"DCERPC-layer", "Transport"});
  for (const auto& n : names) {
    CHECK(parseMapiDebugCategory(n));
  }
}

TEST_CASE("describe: a call and its answer, by layer, without their payload") {
  rop::RopWriteStreamRequest w;
  w.data = Bytes(3000, 0x5a);
  Bytes pdu = call(7, {w});
  std::string d = describePdu(pdu);
  CHECK(contains(d, "request call_id=7"));
  CHECK(contains(d, "opnum=11"));
  CHECK(contains(d, "flags=first,last"));
  CHECK(contains(d, "auth=none"));
  Bytes stub = stubOf(pdu);
  std::string e = describeEcDoRpcExt2Request(stub);
  CHECK(contains(e, "EcDoRpcExt2 pulFlags="));
  CHECK(contains(e, "pcbOut=262144"));
  CHECK(contains(e, " last]"));
  std::string r = describeRopRequests(stub);
  CHECK(r == "RopWriteStream(in=#0 0x00000abc) handles=[0x00000abc]");
  for (const auto& s : {d, e, r}) {
    CHECK(printable(s));
    CHECK_FALSE(contains(s, "5a5a"));
    CHECK_FALSE(contains(s, "ZZZZ"));  // 0x5a as text
    CHECK(s.size() < 300);
  }

  rop::RopWriteStreamResponse wr;
  wr.writtenSize = 3000;
  Bytes answerPdu = answer(7, {wr}, w);
  CHECK(contains(describePdu(answerPdu), "response call_id=7"));
  Bytes answerStub = stubOf(answerPdu);
  CHECK(contains(describeEcDoRpcExt2Response(answerStub), "ReturnValue=0x00000000"));
  CHECK(describeRopResponses(answerStub) == "RopWriteStream rv=0x00000000 handles=[0x00000abc]");
}

TEST_CASE("describe: chained ROPs, new objects, and a ROP the codec does not know") {
  rop::RopOpenStreamRequest open;
  open.inputHandleIndex = 0;
  open.outputHandleIndex = 1;
  rop::RopReadStreamRequest read;
  read.inputHandleIndex = 1;
  read.byteCount = 100;
  Bytes stub = emsmdb::encodeEcDoRpcExt2Request(rpcRequest({open, read}, {0xa01, 0xffffffff}));
  CHECK(describeRopRequests(stub) ==
        "RopOpenStream(in=#0 0x00000a01) RopReadStream(in=#1 new) handles=[0x00000a01,new]");

  rop::RopReleaseRequest release;
  std::string u = describeRopRequests(unknownRopStub({release}, {0xa01}));
  CHECK(contains(u, "RopRelease(in=#0 0x00000a01) ... not decoded further ("));
  CHECK(contains(u, "unsupported ROP 0x08"));
  CHECK(contains(u, "handles=[0x00000a01]"));
}

TEST_CASE("describe: malformed input is named, never a crash") {
  Bytes junk = {0x05, 0x00, 0x00, 0x03, 0x10, 0x00, 0x00, 0x00, 0xff, 0xff};
  CHECK(contains(describePdu(junk), "PDU not decoded"));
  CHECK(contains(describePdu({}), "PDU not decoded"));
  CHECK(contains(describeEcDoRpcExt2Request(junk), "not decoded"));
  CHECK(contains(describeEcDoRpcExt2Response(junk), "not decoded"));
  CHECK(contains(describeRopRequests(junk), "not decoded"));
  CHECK(contains(describeRopResponses(junk), "not decoded"));
  // Every prefix of a real call.
  rop::RopReadStreamRequest read;
  read.byteCount = 100;
  Bytes pdu = call(3, {read});
  Bytes stub = stubOf(pdu);
  for (size_t n = 0; n < pdu.size(); ++n) {
    CHECK(printable(describePdu(ByteSpan(pdu.data(), n))));
  }
  for (size_t n = 0; n < stub.size(); ++n) {
    ByteSpan cut(stub.data(), n);
    CHECK(printable(describeEcDoRpcExt2Request(cut)));
    CHECK(printable(describeRopRequests(cut)));
    CHECK(printable(describeEcDoRpcExt2Response(cut)));
    CHECK(printable(describeRopResponses(cut)));
  }
}

TEST_CASE("the AO writes debug lines only for the categories that are on") {
  DebugRecorder ev;
  MapiAoConfig cfg;
  EdgeMapiAo edge(cfg, ev);
  bindEdge(edge);
  AoOutput w;
  edge.onClientData(writeCall(5, 3000), w);
  CHECK(ev.lines.empty());  // all off: not a line built

  ev.mask = static_cast<uint32_t>(MapiDebug::CommonFlow);
  AoOutput w2;
  edge.onClientData(writeCall(6, 3000), w2);
  CHECK(ev.count(MapiDebug::CommonFlow,
                 "call 6 (RopWriteStream, 3000 bytes to 0x00000abc) "
                 "answered at the edge; 6000 bytes unconfirmed") == 1);
  CHECK(ev.lines.size() == 1);

  ev.mask = kMapiDebugAll;
  ev.lines.clear();
  AoOutput c;
  edge.onClientData(commitCall(7), c);
  CHECK(ev.count(MapiDebug::DcerpcLayer, "client request call_id=7") == 1);
  CHECK(ev.count(MapiDebug::EmsmdbLayer, "call 7: EcDoRpcExt2") == 1);
  CHECK(ev.count(MapiDebug::RopLayer, "call 7: RopCommitStream(in=#0 0x00000abc)") == 1);
  CHECK(ev.count(MapiDebug::Transport, "") == 0);  // nothing from the core yet
  for (const auto& [cat, line] : ev.lines) {
    CHECK(printable(line));
  }
}

TEST_CASE("the core tells when a read-ahead starts, and the edge when it serves from it") {
  DebugRecorder coreEv, edgeEv;
  coreEv.mask = edgeEv.mask =
      static_cast<uint32_t>(MapiDebug::CommonFlow) | static_cast<uint32_t>(MapiDebug::Transport);
  MapiAoConfig cfg;
  cfg.readAheadWindowBytes = 4u * 31744;
  CoreMapiAo core(cfg, coreEv);
  EdgeMapiAo edge(cfg, edgeEv);
  rop::RopReadStreamRequest read;
  read.byteCount = 31744;
  rop::RopReadStreamResponse full;
  full.data = Bytes(31744, 0x33);

  auto toCore = [&](const Bytes& records) {
    AoOutput o;
    core.onPeerData(records, o);
    REQUIRE_FALSE(o.reset);
    AoOutput e;
    edge.onPeerData(o.toPeer, e);
    return o.toLocal;  // what the core sent the server
  };
  auto fromServer = [&](const Bytes& pdus) {
    AoOutput o;
    core.onServerData(pdus, o);
    REQUIRE_FALSE(o.reset);
    AoOutput e;
    edge.onPeerData(o.toPeer, e);
    REQUIRE_FALSE(e.reset);
    return o.toLocal;
  };
  AoOutput b;
  edge.onClientData(encode(bindPdu(Endian::Little)), b);
  toCore(b.toPeer);
  fromServer(encode(bindAckPdu(Endian::Little)));
  AoOutput r;
  edge.onClientData(call(2, {read}), r);
  toCore(r.toPeer);
  Bytes injected = fromServer(answer(2, {full}, read));
  CHECK(coreEv.count(MapiDebug::CommonFlow,
                     "read-ahead 1 (ReadStream, 31744 bytes a call) on "
                     "0x00000abc starts after call 2") == 1);
  CHECK(coreEv.count(MapiDebug::Transport, "from edge: Pdus") >= 2);
  CHECK(edgeEv.count(MapiDebug::Transport, "from core: ReadAheadStart") == 1);
  CHECK(edgeEv.count(MapiDebug::CommonFlow, "read-ahead 1 (ReadStream) on 0x00000abc announced") ==
        1);
  // The server answers the first injected call; the client's next read is served locally.
  uint32_t first = dcerpc::callIdOf(injected);
  fromServer(answer(first, {full}, read));
  AoOutput n;
  edge.onClientData(call(3, {read}), n);
  CHECK(edgeEv.count(MapiDebug::CommonFlow, "call 3 answered locally from read-ahead 1") == 1);
}

TEST_CASE("describe: an answer whose layout the request sets is read with the request") {
  rop::RopGetPropertiesSpecificRequest get;
  get.propertyTags = {0x0e200003};  // PidTagAttachSize, PtypInteger32
  rop::RopOpenStreamRequest open;
  open.outputHandleIndex = 1;
  Bytes request = emsmdb::encodeEcDoRpcExt2Request(rpcRequest({get, open}, {0xa01, 0xffffffff}));

  rop::RopGetPropertiesSpecificResponse props;
  props.rowData.values.push_back({0, Bytes{0x00, 0x10, 0x00, 0x00}});
  rop::RopOpenStreamResponse opened;
  opened.handleIndex = 1;
  opened.streamSize = 4096;
  rop::RopResponseBuffer buf;
  buf.rops = {props, opened};
  buf.serverObjectHandleTable = {0xa01, 0xa02};
  Bytes rgbOut;
  REQUIRE(emsmdb::encodeExtendedPayloads({rop::encodeResponseBuffer(buf)}, {}, rgbOut).ok());
  emsmdb::EcDoRpcExt2Request q;
  REQUIRE(emsmdb::decodeEcDoRpcExt2Request(request, q).ok());
  Bytes answerStub = emsmdb::encodeEcDoRpcExt2Response(emsmdb::makeEcDoRpcExt2Response(q, rgbOut));

  CHECK(describeRopResponses(answerStub, request) ==
        "RopGetPropertiesSpecific rv=0x00000000 RopOpenStream rv=0x00000000 "
        "handles=[0x00000a01,0x00000a02]");
  // Without the request the row swallows what follows: the line says so rather than guess.
  CHECK(describeRopResponses(answerStub) ==
        "RopGetPropertiesSpecific rv=0x00000000 (rows of columns set in an earlier call; later "
        "answers not shown) handles=[0x00000a01,0x00000a02]");
}
