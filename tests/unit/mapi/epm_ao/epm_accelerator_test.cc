// EpmAccelerator: impacket's bind / ept_map conversation split at every byte, malformed input,
// caps, faults, unmapped interfaces, and the show renderers.
#include "mapi/epm_ao/epm_accelerator.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "mapi/dcerpc/well_known.h"
#include "mapi/epm/ept_map.h"
#include "tests/unit/mapi/dcerpc/test_util.h"
#include "tests/unit/mapi/epm_ao/recording_sink.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::dcerpc;
using namespace bh::mapi::dcerpc::testing;
using bh::mapi::epm_ao::EpmAccelerator;
using bh::mapi::epm_ao::EpmAoLimits;
using bh::mapi::epm_ao::EpmAoState;
using bh::mapi::epm_ao::EpmCounters;
using bh::mapi::epm_ao::testing::RecordingSink;

namespace {

constexpr const char* kEmsmdb = "a4f1db00-ca47-1067-b31f-00dd010662da";

Bytes vec(const std::string& name) {
  return readFile(vectorPath("dcerpc", name, "input.bin"));
}

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

/// bind (EPM, NDR) + bind_ack in our own encoder, for cases the impacket vectors lack.
Bytes epmBind(uint32_t callId = 1) {
  Pdu p = bindPdu(Endian::Little, callId);
  auto& b = std::get<Bind>(p.body);
  b.contexts = {{0, 0, syntax::epm(), {syntax::ndr()}}};
  return encode(p);
}

Bytes epmBindAck(uint32_t callId = 1) {
  Pdu p = bindAckPdu(Endian::Little, callId);
  auto& a = std::get<BindAck>(p.body);
  a.secondaryAddress = std::string("135\0", 4);
  a.results = {{0, 0, syntax::ndr()}};
  return encode(p);
}

Bytes eptMapRequest(uint32_t callId, const SyntaxId& iface) {
  epm::EptMapRequest q;
  q.mapTower.tower = epm::tcpIpTower(iface, syntax::ndr(), 135, {0, 0, 0, 0});
  q.maxTowers = 4;
  return encode(requestPdu(Endian::Little, callId, *epm::encodeEptMapRequest(q, Endian::Little),
                           0x03, epm::kEptMapOpnum));
}

Bytes eptMapResponse(uint32_t callId, std::vector<epm::Tower> towers, uint32_t status = 0) {
  epm::EptMapResponse r;
  r.maxCount = 4;
  uint32_t ref = 3;
  for (auto& t : towers) {
    r.towers.push_back({ref++, std::move(t)});
  }
  r.status = status;
  return encode(responsePdu(Endian::Little, callId, *epm::encodeEptMapResponse(r, Endian::Little)));
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

struct Fixture {
  RecordingSink events;
  EpmCounters counters;
};

}  // namespace

TEST_CASE("impacket's hept_map conversation hands out the EMSMDB endpoint, split at every byte") {
  const Bytes client = vec("stream_epm_client");  // bind + ept_map request
  const Bytes server = cat({vec("bind_ack_epm"), vec("response_ept_map")});
  Fixture f;
  for (size_t cut = 0; cut <= std::max(client.size(), server.size()); ++cut) {
    CAPTURE(cut);
    RecordingSink events;
    EpmAccelerator ao(ip("10.91.4.2"), events, f.counters);
    size_t cc = std::min(cut, client.size());
    size_t sc = std::min(cut, server.size());
    // bind, then bind_ack, in two pieces each at `cut`, the request and response likewise.
    ao.onClientData(ByteSpan(client).first(cc));
    ao.onClientData(ByteSpan(client).subspan(cc));
    ao.onServerData(ByteSpan(server).first(sc));
    ao.onServerData(ByteSpan(server).subspan(sc));
    REQUIRE(ao.state() == EpmAoState::Active);
    REQUIRE(events.taken.size() == 1);
    const auto& r = events.taken[0];
    CHECK(r.address == ip("192.0.2.25"));
    CHECK(r.port == 6001);
    CHECK(r.interfaceUuid == kEmsmdb);
    CHECK(ao.outstandingCalls() == 0);
  }
  const uint64_t n = std::max(client.size(), server.size()) + 1;
  CHECK(f.counters.totalHandledConnections == n);
  CHECK(f.counters.currentActiveConnections == 0);
  CHECK(f.counters.maximumActiveConnections == 1);
  CHECK(f.counters.totalRequestsSuccessfullyParsed == n);
  CHECK(f.counters.totalResponsesSuccessfullyParsed == n);
  CHECK(f.counters.totalRequestsFailedToParse == 0);
  CHECK(f.counters.totalResponsesFailedToParse == 0);
  CHECK(f.counters.totalDynamicRulesInstalled == n);
}

TEST_CASE("one byte at a time, interleaved") {
  const Bytes client = vec("stream_epm_client");
  const Bytes server = cat({vec("bind_ack_epm"), vec("response_ept_map")});
  Fixture f;
  EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters);
  // bind first, bind_ack, then request and response, each one byte per call.
  for (size_t i = 0; i < 72; ++i) {
    ao.onClientData(ByteSpan(client).subspan(i, 1));
  }
  for (size_t i = 0; i < 60; ++i) {
    ao.onServerData(ByteSpan(server).subspan(i, 1));
  }
  for (size_t i = 72; i < client.size(); ++i) {
    ao.onClientData(ByteSpan(client).subspan(i, 1));
  }
  CHECK(ao.outstandingCalls() == 1);
  for (size_t i = 60; i < server.size(); ++i) {
    ao.onServerData(ByteSpan(server).subspan(i, 1));
  }
  REQUIRE(f.events.taken.size() == 1);
  CHECK(f.events.taken[0].address == ip("192.0.2.25"));
  CHECK(f.events.taken[0].port == 6001);
}

TEST_CASE("a response that does not parse is counted and ignored; garbage stops the AO") {
  Fixture f;
  // A well-framed response whose stub is truncated NDR: counted failed, AO stays active.
  Pdu p = responsePdu(Endian::Little, 2, hex("00000000"));
  {
    EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters);
    ao.onClientData(vec("stream_epm_client"));
    ao.onServerData(vec("bind_ack_epm"));
    ao.onServerData(encode(p));
    CHECK(ao.state() == EpmAoState::Active);
    CHECK(f.counters.totalResponsesFailedToParse == 1);
    CHECK(f.counters.totalResponsesSuccessfullyParsed == 0);
    CHECK(f.events.taken.empty());
    CHECK(ao.outstandingCalls() == 0);
    // Then plain garbage from the server: a hard error, the AO stops looking.
    ao.onServerData(hex("deadbeefdeadbeefdeadbeefdeadbeef"));
    CHECK(ao.state() == EpmAoState::Stopped);
    CHECK(f.counters.totalResponsesFailedToParse == 2);
    CHECK(f.counters.totalConnectionsStopped == 1);
    // Stopped means stopped: a good response later changes nothing.
    ao.onServerData(vec("response_ept_map"));
    CHECK(f.events.taken.empty());
    CHECK(f.counters.totalResponsesSuccessfullyParsed == 0);
  }
  CHECK(f.counters.currentActiveConnections == 0);
}

TEST_CASE("a truncated request stub is counted as a failed request") {
  Fixture f;
  EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters);
  ao.onClientData(epmBind());
  ao.onServerData(epmBindAck());
  ao.onClientData(encode(requestPdu(Endian::Little, 2, hex("0100000000"), 0x03, 3)));
  CHECK(f.counters.totalRequestsFailedToParse == 1);
  CHECK(f.counters.totalRequestsSuccessfullyParsed == 0);
  CHECK(ao.state() == EpmAoState::Active);
  // Its response is not matched to anything.
  ao.onServerData(vec("response_ept_map"));
  CHECK(f.counters.totalResponsesSuccessfullyParsed == 0);
  CHECK(f.events.taken.empty());
}

TEST_CASE("a client that is not talking EPM is not parsed") {
  Fixture f;
  EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters);
  ao.onClientData(encode(bindPdu(Endian::Little, 1)));  // EMSMDB contexts
  ao.onServerData(encode(bindAckPdu(Endian::Little, 1)));
  ao.onClientData(eptMapRequest(2, syntax::emsmdb()));
  ao.onServerData(
      eptMapResponse(2, {epm::tcpIpTower(syntax::emsmdb(), syntax::ndr(), 6001, {10, 91, 4, 2})}));
  CHECK(ao.state() == EpmAoState::Active);
  CHECK(f.counters.totalRequestsSuccessfullyParsed == 0);
  CHECK(f.counters.totalResponsesSuccessfullyParsed == 0);
  CHECK(f.events.taken.empty());
}

TEST_CASE("towers: unmapped interfaces skipped, 0.0.0.0 means the server, several rules") {
  Fixture f;
  EpmAccelerator ao(ip("::ffff:10.91.4.2"), f.events, f.counters);
  ao.onClientData(cat({epmBind(), eptMapRequest(2, syntax::emsmdb())}));
  ao.onServerData(epmBindAck());
  auto nspi = *dcerpc::Uuid::parse("f5cc5a18-4264-101a-8c59-08002b2f8426");
  ao.onServerData(
      eptMapResponse(2, {epm::tcpIpTower({nspi, 56, 0}, syntax::ndr(), 6004, {10, 91, 4, 2}),
                         epm::tcpIpTower(syntax::emsmdb(), syntax::ndr(), 6001, {0, 0, 0, 0}),
                         epm::tcpIpTower(syntax::emsmdb(), syntax::ndr(), 6002, {10, 91, 4, 3})}));
  CHECK(f.counters.totalResponsesSuccessfullyParsed == 1);
  // NSPI is offered but not wanted (the shipped policy has no EPM map for it).
  REQUIRE(f.events.offered.size() == 3);
  CHECK(f.events.offered[0].interfaceUuid == "f5cc5a18-4264-101a-8c59-08002b2f8426");
  REQUIRE(f.events.taken.size() == 2);
  CHECK(f.events.taken[0].address == ip("10.91.4.2"));
  CHECK(f.events.taken[0].port == 6001);
  CHECK(f.events.taken[1].address == ip("10.91.4.3"));
  CHECK(f.events.taken[1].port == 6002);
}

TEST_CASE("a non-zero status and a fault install nothing and clear the call") {
  Fixture f;
  EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters);
  ao.onClientData(
      cat({epmBind(), eptMapRequest(2, syntax::emsmdb()), eptMapRequest(3, syntax::emsmdb())}));
  ao.onServerData(epmBindAck());
  CHECK(ao.outstandingCalls() == 2);
  // EPT_S_NOT_REGISTERED (0x16c9a0d6)
  ao.onServerData(eptMapResponse(2, {}, 0x16c9a0d6));
  Pdu fault;
  fault.header = header(PType::Fault, 3, Endian::Little);
  Fault fb;
  fb.status = 0x1c010003;  // nca_s_op_rng_error
  fault.body = fb;
  ao.onServerData(encode(fault));
  CHECK(ao.outstandingCalls() == 0);
  CHECK(f.counters.totalUnsuccessfulLookups == 2);
  CHECK(f.events.taken.empty());
  CHECK(ao.state() == EpmAoState::Active);
}

TEST_CASE("cap: outstanding ept_map calls per connection") {
  Fixture f;
  EpmAoLimits limits;
  limits.maxOutstandingCalls = 4;
  EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters, limits);
  ao.onClientData(epmBind());
  ao.onServerData(epmBindAck());
  for (uint32_t id = 2; id < 6; ++id) {
    ao.onClientData(eptMapRequest(id, syntax::emsmdb()));
  }
  CHECK(ao.outstandingCalls() == 4);
  CHECK(ao.state() == EpmAoState::Active);
  ao.onClientData(eptMapRequest(6, syntax::emsmdb()));
  CHECK(ao.state() == EpmAoState::Stopped);
  CHECK(ao.stopReason().find("outstanding") != std::string::npos);
  CHECK(ao.outstandingCalls() == 0);
}

TEST_CASE("cap: rules installed per response") {
  Fixture f;
  EpmAoLimits limits;
  limits.maxRulesPerResponse = 3;
  EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters, limits);
  ao.onClientData(cat({epmBind(), eptMapRequest(2, syntax::emsmdb())}));
  ao.onServerData(epmBindAck());
  std::vector<epm::Tower> towers;
  for (uint16_t port = 6001; port < 6005; ++port) {
    towers.push_back(epm::tcpIpTower(syntax::emsmdb(), syntax::ndr(), port, {10, 91, 4, 2}));
  }
  ao.onServerData(eptMapResponse(2, towers));
  CHECK(f.events.taken.size() == 3);
  CHECK(f.counters.totalDynamicRulesInstalled == 3);
}

TEST_CASE("cap: a call stub larger than the decoder's cap stops the AO") {
  Fixture f;
  EpmAoLimits limits;
  limits.stream.maxCallBytes = 256;
  EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters, limits);
  ao.onClientData(epmBind());
  ao.onServerData(epmBindAck());
  // Two fragments of 200 bytes each of one call: 400 > 256.
  ao.onClientData(encode(requestPdu(Endian::Little, 2, pattern(200, 1), 0x01, 3)));
  CHECK(ao.state() == EpmAoState::Active);
  ao.onClientData(encode(requestPdu(Endian::Little, 2, pattern(200, 2), 0x02, 3)));
  CHECK(ao.state() == EpmAoState::Stopped);
  CHECK(f.counters.totalRequestsFailedToParse == 1);
}

TEST_CASE("cap: the default limits hold a whole 500-tower response and no more than 64 KiB") {
  EpmAoLimits limits;
  CHECK(limits.stream.maxCallBytes == 64u << 10);
  CHECK(limits.epm.maxTowers == 500);
  Fixture f;
  EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters);
  ao.onClientData(cat({epmBind(), eptMapRequest(2, syntax::emsmdb())}));
  ao.onServerData(epmBindAck());
  // 70 KB of response fragments: over the stub cap.
  for (int i = 0; i < 14; ++i) {
    ao.onServerData(encode(responsePdu(Endian::Little, 2, pattern(5000, 3),
                                       static_cast<uint8_t>(i == 0 ? 0x01 : 0x00))));
  }
  CHECK(ao.state() == EpmAoState::Stopped);
  CHECK(f.counters.totalResponsesFailedToParse == 1);
}

TEST_CASE("show statistics accelerator epm: text and JSON") {
  EpmCounters c;
  c.totalHandledConnections = 12;
  c.totalRequestsSuccessfullyParsed = 11;
  c.totalResponsesSuccessfullyParsed = 10;
  c.totalResponsesFailedToParse = 1;
  c.totalDynamicRulesInstalled = 9;
  std::string text = epm_ao::showStatisticsAcceleratorEpm(c);
  CAPTURE(text);
  CHECK(text.rfind("EPM:\n", 0) == 0);
  CHECK(text.find("  Total Handled Connections:") != std::string::npos);
  CHECK(text.find("Total Handled Connections:                          12\n") != std::string::npos);
  CHECK(text.find("Total Requests Successfully Parsed:                 11\n") != std::string::npos);
  CHECK(text.find("Total Responses Successfully Parsed:                10\n") != std::string::npos);
  CHECK(text.find("Total Responses Failed to Parse:                    1\n") != std::string::npos);
  CHECK(text.find("Total Dynamic Rules Installed:                      9\n") != std::string::npos);
  auto j = epm_ao::statisticsAcceleratorEpmJson(c);
  CHECK(j["totalHandledConnections"] == 12);
  CHECK(j["totalRequestsSuccessfullyParsed"] == 11);
  CHECK(j["totalResponsesFailedToParse"] == 1);
  CHECK(j["totalDynamicRulesInstalled"] == 9);
}

TEST_CASE("a bind_ack that answers no bind is a protocol violation: the AO stops") {
  Fixture f;
  EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters);
  ao.onServerData(vec("bind_ack_epm"));
  CHECK(ao.state() == EpmAoState::Stopped);
  CHECK(ao.stopReason().rfind("association:", 0) == 0);
  CHECK(f.counters.totalResponsesFailedToParse == 1);
  ao.onClientData(vec("stream_epm_client"));
  ao.onServerData(vec("response_ept_map"));
  CHECK(f.events.taken.empty());
  CHECK(f.counters.totalRequestsSuccessfullyParsed == 0);
}

TEST_CASE("a big-endian client and server (drep 0x00) are followed too") {
  Fixture f;
  EpmAccelerator ao(ip("10.91.4.2"), f.events, f.counters);
  Pdu bind = bindPdu(Endian::Big, 1);
  std::get<Bind>(bind.body).contexts = {{0, 0, syntax::epm(), {syntax::ndr()}}};
  Pdu ack = bindAckPdu(Endian::Big, 1);
  std::get<BindAck>(ack.body).results = {{0, 0, syntax::ndr()}};
  epm::EptMapRequest q;
  q.mapTower.tower = epm::tcpIpTower(syntax::emsmdb(), syntax::ndr(), 135, {0, 0, 0, 0});
  epm::EptMapResponse r;
  r.maxCount = 1;
  r.towers.push_back({3, epm::tcpIpTower(syntax::emsmdb(), syntax::ndr(), 1146, {10, 9, 8, 7})});
  ao.onClientData(encode(bind));
  ao.onServerData(encode(ack));
  ao.onClientData(encode(requestPdu(Endian::Big, 2, *epm::encodeEptMapRequest(q, Endian::Big), 0x03,
                                    epm::kEptMapOpnum)));
  ao.onServerData(encode(responsePdu(Endian::Big, 2, *epm::encodeEptMapResponse(r, Endian::Big))));
  REQUIRE(f.events.taken.size() == 1);
  CHECK(f.events.taken[0].address == ip("10.9.8.7"));
  CHECK(f.events.taken[0].port == 1146);
  // The same stubs read as little-endian would not parse: the AO used the PDU's drep.
  epm::EptMapResponse wrong;
  CHECK_FALSE(
      epm::decodeEptMapResponse(*epm::encodeEptMapResponse(r, Endian::Big), Endian::Little, wrong)
          .ok());
}
