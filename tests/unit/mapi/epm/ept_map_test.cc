#include "mapi/epm/ept_map.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "mapi/dcerpc/well_known.h"
#include "tests/unit/mapi/dcerpc/test_util.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::epm;
using namespace bh::mapi::dcerpc::testing;
using nlohmann::json;

namespace {

json expected(const std::string& name) {
  Bytes raw = readFile(vectorPath("epm", name, "expected.json"));
  return json::parse(std::string(raw.begin(), raw.end()));
}

/// NDR alignment padding may hold anything (impacket writes 0xab/0xbf); we write zeros.
Bytes zeroPads(Bytes b, const json& pads) {
  for (const auto& p : pads) {
    for (size_t i = 0; i < p[1].get<size_t>(); ++i) {
      b[p[0].get<size_t>() + i] = 0;
    }
  }
  return b;
}

void checkTower(const Tower& t, const json& j) {
  CHECK(t.floors.size() == j["floor_count"].get<size_t>());
  auto iface = uuidFloorSyntax(t.floors.at(0));
  REQUIRE(iface);
  CHECK(iface->uuid.toString() == j["interface"]["uuid"].get<std::string>());
  CHECK(iface->versionMajor == j["interface"]["version"][0].get<int>());
  CHECK(iface->versionMinor == j["interface"]["version"][1].get<int>());
  auto transfer = uuidFloorSyntax(t.floors.at(1));
  REQUIRE(transfer);
  CHECK(transfer->uuid.toString() == j["transfer"]["uuid"].get<std::string>());
  CHECK(t.floors.at(2).protocolId() == j["protocol"].get<int>());
  CHECK(*tcpPort(t.floors.at(3)) == j["port"].get<int>());
  auto ip = *ipv4Address(t.floors.at(4));
  std::string dotted = std::to_string(ip[0]) + "." + std::to_string(ip[1]) + "." +
                       std::to_string(ip[2]) + "." + std::to_string(ip[3]);
  CHECK(dotted == j["ipv4"].get<std::string>());
}

EptMapResponse sampleResponse() {
  EptMapResponse r;
  r.maxCount = 4;
  r.towers.push_back(
      {0x20000, tcpIpTower(dcerpc::syntax::emsmdb(), dcerpc::syntax::ndr(), 6001, {10, 1, 2, 3})});
  r.towers.push_back({0, std::nullopt});
  Tower odd;
  odd.floors.push_back(Floor{{0x0d, 1, 2}, {}});  // 3-byte floor: forces alignment padding
  r.towers.push_back({0x20004, odd});
  r.status = 0;
  return r;
}

}  // namespace

TEST_CASE("impacket ept_map request stub decodes and re-encodes") {
  const Bytes stub = readFile(vectorPath("epm", "ept_map_request", "input.bin"));
  const json j = expected("ept_map_request")["request"];
  EptMapRequest q;
  REQUIRE(decodeEptMapRequest(stub, Endian::Little, q).ok());
  REQUIRE(q.object);
  CHECK(q.object->toString() == j["object"].get<std::string>());
  REQUIRE(q.mapTower.tower);
  checkTower(*q.mapTower.tower, j["map_tower"]);
  CHECK(q.maxTowers == j["max_towers"].get<uint32_t>());
  CHECK(q.entryHandle.attributes == j["entry_handle"]["attributes"].get<uint32_t>());
  CHECK(q.entryHandle.uuid.toString() == j["entry_handle"]["uuid"].get<std::string>());
  auto again = encodeEptMapRequest(q, Endian::Little);
  REQUIRE(again);
  CHECK(*again == zeroPads(stub, j["ndr_pad"]));
}

TEST_CASE("impacket ept_map response stub decodes, maps the endpoint and re-encodes") {
  const Bytes stub = readFile(vectorPath("epm", "ept_map_response", "input.bin"));
  const json j = expected("ept_map_response")["response"];
  EptMapResponse r;
  REQUIRE(decodeEptMapResponse(stub, Endian::Little, r).ok());
  CHECK(r.numTowers() == j["num_towers"].get<uint32_t>());
  CHECK(r.maxCount == j["max_count"].get<uint32_t>());
  CHECK(r.status == j["status"].get<uint32_t>());
  REQUIRE(r.towers.size() == 1);
  REQUIRE(r.towers[0].tower);
  checkTower(*r.towers[0].tower, j["towers"][0]);
  auto e = mappedEndpoint(r);
  REQUIRE(e);
  CHECK(e->interfaceId.uuid.toString() == j["mapped"]["interface"].get<std::string>());
  CHECK(e->addressString() == j["mapped"]["ipv4"].get<std::string>() + ":" +
                                  std::to_string(j["mapped"]["port"].get<int>()));
  auto again = encodeEptMapResponse(r, Endian::Little);
  REQUIRE(again);
  CHECK(*again == zeroPads(stub, j["ndr_pad"]));
}

TEST_CASE("ept_map request and response round-trip in both byte orders") {
  for (Endian e : {Endian::Little, Endian::Big}) {
    EptMapRequest q;
    q.object = dcerpc::syntax::epm().uuid;
    q.mapTower.tower = tcpIpTower(dcerpc::syntax::emsmdb(), dcerpc::syntax::ndr(), 0, {0, 0, 0, 0});
    q.entryHandle.attributes = 7;
    q.entryHandle.uuid = dcerpc::syntax::ndr().uuid;
    q.maxTowers = 4;
    auto wire = encodeEptMapRequest(q, e);
    REQUIRE(wire);
    EptMapRequest back;
    REQUIRE(decodeEptMapRequest(*wire, e, back).ok());
    CHECK(back == q);
    EptMapRequest noPointers;
    noPointers.object.reset();
    noPointers.objectReferentId = 0;
    noPointers.mapTower = {0, std::nullopt};
    wire = encodeEptMapRequest(noPointers, e);
    CHECK(wire->size() == 4 + 4 + 20 + 4);
    REQUIRE(decodeEptMapRequest(*wire, e, back).ok());
    CHECK(back == noPointers);

    EptMapResponse r = sampleResponse();
    auto rw = encodeEptMapResponse(r, e);
    REQUIRE(rw);
    EptMapResponse rback;
    REQUIRE(decodeEptMapResponse(*rw, e, rback).ok());
    CHECK(rback == r);
    CHECK(mappedEndpoint(rback)->addressString() == "10.1.2.3:6001");
  }
  Bytes le = *encodeEptMapRequest(EptMapRequest{}, Endian::Little);
  Bytes be = *encodeEptMapRequest(EptMapRequest{}, Endian::Big);
  CHECK(le != be);
  CHECK(toHex(ByteSpan(be).last(4)) == "00000001");  // max_towers follows drep
}

TEST_CASE("mappedEndpoint needs status 0 and a TCP/IP tower") {
  EptMapResponse r = sampleResponse();
  r.status = 0x16c9a0d6;  // EPT_S_NOT_REGISTERED
  CHECK_FALSE(mappedEndpoint(r));
  EptMapResponse none;
  CHECK_FALSE(mappedEndpoint(none));
}

TEST_CASE("every truncated ept_map stub is an error") {
  for (const char* name : {"ept_map_request", "ept_map_response"}) {
    const Bytes stub = readFile(vectorPath("epm", name, "input.bin"));
    const bool isRequest = std::string(name) == "ept_map_request";
    for (size_t n = 0; n < stub.size(); ++n) {
      CAPTURE(n);
      ParseResult res;
      if (isRequest) {
        EptMapRequest q;
        res = decodeEptMapRequest(ByteSpan(stub).first(n), Endian::Little, q);
      } else {
        EptMapResponse r;
        res = decodeEptMapResponse(ByteSpan(stub).first(n), Endian::Little, r);
      }
      CHECK(res.status == ParseStatus::Error);
    }
  }
}

TEST_CASE("malformed ept_map stubs and caps") {
  const Bytes stub = readFile(vectorPath("epm", "ept_map_response", "input.bin"));
  EptMapResponse r;
  auto mutate = [&](size_t at, uint8_t v) {
    Bytes b = stub;
    b[at] = v;
    return decodeEptMapResponse(b, Endian::Little, r);
  };
  CHECK(mutate(20, 2).status == ParseStatus::Error);     // num_towers != actual_count
  CHECK(mutate(24, 0).status == ParseStatus::Error);     // max_count 0 < offset + actual
  CHECK(mutate(28, 1).status == ParseStatus::Error);     // offset 1 pushes past max_count
  CHECK(mutate(40, 0x4a).status == ParseStatus::Error);  // twr_t max_count != tower_length
  Bytes trailing = stub;
  trailing.push_back(0);
  CHECK(decodeEptMapResponse(trailing, Endian::Little, r).status == ParseStatus::Error);
  EpmLimits limits;
  limits.maxTowerLength = 74;
  CHECK(decodeEptMapResponse(stub, Endian::Little, r, limits).status == ParseStatus::Error);
  limits.maxTowerLength = 75;
  CHECK(decodeEptMapResponse(stub, Endian::Little, r, limits).ok());
  limits.maxTowers = 0;
  CHECK(decodeEptMapResponse(stub, Endian::Little, r, limits).status == ParseStatus::Error);
  // A huge actual_count with few bytes must fail before allocating.
  Bytes huge = stub;
  huge[20] = huge[32] = 0xff;
  huge[21] = huge[33] = 0xff;
  huge[24] = huge[25] = 0xff;
  limits = EpmLimits{};
  limits.maxTowers = 1u << 20;
  CHECK(decodeEptMapResponse(huge, Endian::Little, r, limits).status == ParseStatus::Error);
  EptMapResponse bad = sampleResponse();
  bad.maxCount = 2;
  CHECK_FALSE(encodeEptMapResponse(bad, Endian::Little));
}
