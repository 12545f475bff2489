// EcDoConnectEx / EcDoRpcExt2 / EcDoDisconnect stubs (MS-OXCRPC 3.1.4.1-3.1.4.3) against the
// hand-built NDR vectors of tests/vectors/emsmdb/make_vectors.py.
#include <doctest/doctest.h>

#include "mapi/emsmdb/client_version.h"
#include "mapi/emsmdb/ec_do_connect_ex.h"
#include "mapi/emsmdb/ec_do_disconnect.h"
#include "mapi/emsmdb/ec_do_rpc_ext2.h"
#include "mapi/emsmdb/rpc_header_ext.h"
#include "mapi/rop/rop_buffer.h"
#include "tests/unit/mapi/emsmdb/emsmdb_test_util.h"

using namespace bh;
using namespace bh::mapi::emsmdb;
using bh::mapi::emsmdb::testing::manifest;
using bh::mapi::emsmdb::testing::readVector;

namespace {

nlohmann::json fieldsOf(const std::string& name) {
  for (const auto& v : manifest("emsmdb")) {
    if (v["name"] == name) {
      return v["fields"];
    }
  }
  FAIL("no vector " << name);
  return {};
}

// Every strict prefix of a stub must be need-more or error, never a success.
template <class Msg, class Decode>
void checkPrefixes(const Bytes& wire, Decode decode) {
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    Msg m;
    ParseResult r = decode(ByteSpan(wire).first(cut), m);
    CHECK_MESSAGE(r.status != ParseStatus::Done, "prefix " << cut << " of " << wire.size());
  }
}

}  // namespace

TEST_CASE("EcDoConnectEx request vectors decode and re-encode identically") {
  for (const char* name : {"connect_ex_request_2003", "connect_ex_request_2010"}) {
    CAPTURE(name);
    Bytes wire = readVector("emsmdb", std::string(name) + ".bin");
    auto f = fieldsOf(name);
    EcDoConnectExRequest req;
    ParseResult r = decodeEcDoConnectExRequest(wire, req);
    REQUIRE(r.ok());
    CHECK(r.consumed == wire.size());
    CHECK(req.szUserDN.text == f["user_dn"].get<std::string>());
    CHECK(req.ulCpid == f["cpid"].get<uint32_t>());
    CHECK(req.rgbAuxIn.size() == f["aux_in"].get<size_t>());
    for (int i = 0; i < 3; ++i) {
      CHECK(req.rgwClientVersion[i] == f["client_version"][i].get<uint16_t>());
    }
    CHECK(encodeEcDoConnectExRequest(req) == wire);
    checkPrefixes<EcDoConnectExRequest>(
        wire, [](ByteSpan s, EcDoConnectExRequest& m) { return decodeEcDoConnectExRequest(s, m); });
  }
  EcDoConnectExRequest req;
  REQUIRE(
      decodeEcDoConnectExRequest(readVector("emsmdb", "connect_ex_request_2003.bin"), req).ok());
  ClientVersion v = decodeClientVersion(req.rgwClientVersion);
  CHECK(v.toString() == "11.0.8217.0");
  CHECK(sessionClass(v) == SessionClass::Outlook2003);
  REQUIRE(
      decodeEcDoConnectExRequest(readVector("emsmdb", "connect_ex_request_2010.bin"), req).ok());
  v = decodeClientVersion(req.rgwClientVersion);
  CHECK(v.toString() == "14.0.4760.1000");
  CHECK(outlookVersion(v) == OutlookVersion::Outlook2010);
  CHECK(sessionClass(v) == SessionClass::HigherThan2007);
  // The aux buffer is itself an extended buffer.
  std::vector<ExtendedPiece> aux;
  REQUIRE(decodeExtendedBuffer(req.rgbAuxIn, aux).ok());
  CHECK(aux.size() == 1);
}

TEST_CASE("EcDoConnectEx response vector decodes and re-encodes identically") {
  Bytes wire = readVector("emsmdb", "connect_ex_response.bin");
  auto f = fieldsOf("connect_ex_response");
  EcDoConnectExResponse resp;
  REQUIRE(decodeEcDoConnectExResponse(wire, resp).ok());
  CHECK(resp.pcmsPollsMax == f["polls_max"].get<uint32_t>());
  CHECK(resp.pcRetry == f["retry"].get<uint32_t>());
  CHECK(resp.hasDisplayName);
  CHECK(resp.szDisplayName.text == f["display_name"].get<std::string>());
  CHECK(resp.returnValue == 0);
  CHECK(!resp.pcxh.isNull());
  CHECK(decodeClientVersion(resp.rgwServerVersion).toString() == "14.0.755.1");
  CHECK(encodeEcDoConnectExResponse(resp) == wire);
  checkPrefixes<EcDoConnectExResponse>(
      wire, [](ByteSpan s, EcDoConnectExResponse& m) { return decodeEcDoConnectExResponse(s, m); });
  // A NULL szDNPrefix (referent 0) round-trips too.
  resp.hasDNPrefix = false;
  resp.dnPrefixReferent = 0;
  resp.szDNPrefix = {};
  Bytes noPrefix = encodeEcDoConnectExResponse(resp);
  EcDoConnectExResponse back;
  REQUIRE(decodeEcDoConnectExResponse(noPrefix, back).ok());
  CHECK(back == resp);
}

TEST_CASE("EcDoRpcExt2 request carries an XOR-obfuscated ROP request buffer") {
  Bytes wire = readVector("emsmdb", "rpc_ext2_request.bin");
  EcDoRpcExt2Request req;
  REQUIRE(decodeEcDoRpcExt2Request(wire, req).ok());
  CHECK(req.pcbOut == 0x40000);
  CHECK(encodeEcDoRpcExt2Request(req) == wire);
  std::vector<ExtendedPiece> pieces;
  REQUIRE(decodeExtendedBuffer(req.rgbIn, pieces).ok());
  REQUIRE(pieces.size() == 1);
  CHECK(pieces[0].header.xorMagic());
  CHECK(pieces[0].plain == readVector("rop", "req_attachment_read.bin"));
  mapi::rop::RopRequestBuffer rops;
  REQUIRE(mapi::rop::decodeRequestBuffer(pieces[0].plain, rops).ok());
  CHECK(rops.rops.size() == 5);
  checkPrefixes<EcDoRpcExt2Request>(
      wire, [](ByteSpan s, EcDoRpcExt2Request& m) { return decodeEcDoRpcExt2Request(s, m); });
}

TEST_CASE("EcDoRpcExt2 response carries compressed and plain rgbOut pieces") {
  Bytes wire = readVector("emsmdb", "rpc_ext2_response.bin");
  EcDoRpcExt2Response resp;
  REQUIRE(decodeEcDoRpcExt2Response(wire, resp).ok());
  CHECK(resp.pulTransTime == 15);
  CHECK(resp.outHeader.maxCount == 0x40000);
  CHECK(encodeEcDoRpcExt2Response(resp) == wire);
  std::vector<ExtendedPiece> pieces;
  REQUIRE(decodeExtendedBuffer(resp.rgbOut, pieces).ok());
  REQUIRE(pieces.size() == 2);
  CHECK(pieces[0].header.compressed());
  CHECK(pieces[0].header.xorMagic());
  CHECK(pieces[0].plain == readVector("rop", "resp_props_receive_hierarchy.bin"));
  CHECK(pieces[1].plain == readVector("rop", "resp_stream_ops.bin"));
  checkPrefixes<EcDoRpcExt2Response>(
      wire, [](ByteSpan s, EcDoRpcExt2Response& m) { return decodeEcDoRpcExt2Response(s, m); });
  // The accelerator's own answer, built from the request, decodes to what it put in.
  EcDoRpcExt2Request req;
  REQUIRE(decodeEcDoRpcExt2Request(readVector("emsmdb", "rpc_ext2_request.bin"), req).ok());
  Bytes rgbOut;
  REQUIRE(encodeExtendedPayloads({pieces[1].plain}, {true, true}, rgbOut).ok());
  EcDoRpcExt2Response mine = makeEcDoRpcExt2Response(req, rgbOut);
  EcDoRpcExt2Response back;
  REQUIRE(decodeEcDoRpcExt2Response(encodeEcDoRpcExt2Response(mine), back).ok());
  CHECK(back == mine);
  CHECK(back.pcxh == req.pcxh);
}

TEST_CASE("EcDoDisconnect stubs") {
  Bytes wire = readVector("emsmdb", "disconnect_request.bin");
  EcDoDisconnectRequest req;
  REQUIRE(decodeEcDoDisconnectRequest(wire, req).ok());
  CHECK(!req.pcxh.isNull());
  CHECK(encodeEcDoDisconnectRequest(req) == wire);
  wire = readVector("emsmdb", "disconnect_response.bin");
  EcDoDisconnectResponse resp;
  REQUIRE(decodeEcDoDisconnectResponse(wire, resp).ok());
  CHECK(resp.pcxh.isNull());
  CHECK(encodeEcDoDisconnectResponse(resp) == wire);
  checkPrefixes<EcDoDisconnectResponse>(wire, [](ByteSpan s, EcDoDisconnectResponse& m) {
    return decodeEcDoDisconnectResponse(s, m);
  });
}

TEST_CASE("EcDoRpcExt2 and EcDoConnectEx reject malformed stubs and enforce caps") {
  Bytes wire = readVector("emsmdb", "rpc_ext2_request.bin");
  EcDoRpcExt2Request req;
  StubLimits tight;
  tight.maxRopBuffer = 16;  // rgbIn is bigger: rejected before its bytes are copied
  CHECK(decodeEcDoRpcExt2Request(wire, req, tight).status == ParseStatus::Error);
  // cbIn disagreeing with the array's MaxCount.
  Bytes bad = wire;
  size_t cbInAt = 24 + 4 + req.rgbIn.size();
  REQUIRE(decodeEcDoRpcExt2Request(wire, req).ok());
  cbInAt = 24 + 4 + ((req.rgbIn.size() + 3) & ~size_t{3});
  bad[cbInAt] ^= 1;
  CHECK(decodeEcDoRpcExt2Request(bad, req).status == ParseStatus::Error);
  // A MaxCount far beyond the stub: need-more unless above the cap (then error at once).
  Bytes huge = wire;
  huge[24] = 0xff;
  huge[25] = 0xff;
  huge[26] = 0x03;  // 0x3ffff <= 0x40000
  CHECK(decodeEcDoRpcExt2Request(huge, req).status == ParseStatus::NeedMore);
  huge[26] = 0x05;
  CHECK(decodeEcDoRpcExt2Request(huge, req).status == ParseStatus::Error);

  Bytes connect = readVector("emsmdb", "connect_ex_request_2003.bin");
  EcDoConnectExRequest c;
  StubLimits shortDn;
  shortDn.maxUserDn = 10;
  CHECK(decodeEcDoConnectExRequest(connect, c, shortDn).status == ParseStatus::Error);
  Bytes noNul = connect;
  uint32_t n = noNul[0] | (noNul[1] << 8);
  noNul[12 + n - 1] = 'x';  // the string's terminator
  CHECK(decodeEcDoConnectExRequest(noNul, c).status == ParseStatus::Error);
  Bytes offset = connect;
  offset[4] = 1;  // Offset of a [string] must be 0
  CHECK(decodeEcDoConnectExRequest(offset, c).status == ParseStatus::Error);
}
