// The MAPI AO's hand-offs to the generic accelerator, driven with hand-built PDUs: signed or
// sealed binds, NTLM, unsupported client versions, a stream that is not DCE/RPC. After a
// hand-off every byte must pass unchanged and in order, in both halves, at any split.
#include <doctest/doctest.h>

#include "mapi/emsmdb/client_version.h"
#include "mapi/emsmdb/ec_do_connect_ex.h"
#include "mapi/mapi_ao/core_mapi_ao.h"
#include "mapi/mapi_ao/edge_mapi_ao.h"
#include "tests/unit/mapi/dcerpc/test_util.h"

using namespace bh;
using namespace bh::mapi::dcerpc;
using namespace bh::mapi::mapi_ao;
using bh::mapi::dcerpc::testing::bindAckPdu;
using bh::mapi::dcerpc::testing::bindPdu;
using bh::mapi::dcerpc::testing::encode;
using bh::mapi::dcerpc::testing::requestPdu;

namespace {

struct Recorder : MapiAoEvents {
  std::vector<HandOffReason> handOffs;
  std::vector<std::string> details;
  int bound = 0;
  void onHandOff(HandOffReason r, const std::string& d) override {
    handOffs.push_back(r);
    details.push_back(d);
  }
  void onBound(uint32_t) override { ++bound; }
};

Bytes authBind(AuthType type, AuthLevel level) {
  Pdu p = bindPdu(Endian::Little);
  AuthVerifier v;
  v.trailer.authType = type;
  v.trailer.authLevel = level;
  v.trailer.authContextId = 77;
  v.credentials = Bytes(40, 0x4e);
  v.pad = Bytes(authPadFor(encode(p).size()), 0);
  p.auth = v;
  return encode(p);
}

/// Splits what the edge emitted into records and the raw tail after a HandOff.
void readRecords(const Bytes& toPeer, std::vector<Record>& records, Bytes& raw) {
  RecordReader r;
  REQUIRE(r.feed(toPeer, records, raw).ok());
}

Bytes connectExStub(const std::string& generation, uint32_t ulFlags = 0) {
  bh::mapi::emsmdb::EcDoConnectExRequest req;
  req.ulFlags = ulFlags;
  req.szUserDN = bh::mapi::emsmdb::ndr::AnsiString::of("/o=Lab/ou=Exchange/cn=Recipients/cn=user");
  req.cbLimit = 0;
  req.ulCpid = 1252;
  req.ulLcidString = 1033;
  req.ulLcidSort = 1033;
  bh::mapi::emsmdb::ClientVersion v;
  v.productMajor = generation == "97" ? 8 : generation == "2007" ? 12 : 17;
  v.buildMajor = 4000;
  req.rgwClientVersion = bh::mapi::emsmdb::encodeClientVersion(v, true);
  return bh::mapi::emsmdb::encodeEcDoConnectExRequest(req);
}

}  // namespace

TEST_CASE("edge hands off a sealed or signed bind and relays it and all that follows unchanged") {
  for (AuthLevel level : {AuthLevel::PktIntegrity, AuthLevel::PktPrivacy}) {
    CAPTURE(static_cast<int>(level));
    Bytes bind = authBind(AuthType::Kerberos, level);
    Bytes after = {1, 2, 3, 4, 5, 6, 7};
    Bytes stream = bind;
    stream.insert(stream.end(), after.begin(), after.end());
    for (size_t cut = 0; cut <= stream.size(); cut += 7) {
      Recorder ev;
      EdgeMapiAo edge({}, ev);
      AoOutput o;
      edge.onClientData(ByteSpan(stream).first(cut), o);
      edge.onClientData(ByteSpan(stream).subspan(cut), o);
      REQUIRE(ev.handOffs.size() == 1);
      CHECK(ev.handOffs[0] == HandOffReason::Encrypted);
      CHECK(edge.handedOff());
      std::vector<Record> recs;
      Bytes raw;
      readRecords(o.toPeer, recs, raw);
      REQUIRE(recs.size() == 1);
      CHECK(recs[0].type == RecordType::HandOff);
      CHECK(raw == stream);
      CHECK(o.toLocal.empty());
    }
  }
}

TEST_CASE("edge hands off NTLM even at connect level; Kerberos at connect level is kept") {
  Recorder ev;
  EdgeMapiAo edge({}, ev);
  AoOutput o;
  edge.onClientData(authBind(AuthType::Ntlm, AuthLevel::Connect), o);
  REQUIRE(ev.handOffs.size() == 1);
  CHECK(ev.handOffs[0] == HandOffReason::Ntlm);
  CHECK(ev.details[0].find("NTLM") != std::string::npos);

  Recorder ev2;
  EdgeMapiAo edge2({}, ev2);
  AoOutput o2;
  edge2.onClientData(authBind(AuthType::Kerberos, AuthLevel::Connect), o2);
  CHECK(ev2.handOffs.empty());
  CHECK_FALSE(edge2.handedOff());
}

TEST_CASE("edge hands off clients older than Outlook 2000 and newer than it supports") {
  for (const char* gen : {"97", "future"}) {
    CAPTURE(gen);
    Recorder ev;
    EdgeMapiAo edge({}, ev);
    AoOutput o;
    edge.onClientData(encode(bindPdu(Endian::Little)), o);
    AoOutput back;
    Bytes ackRecords;
    encodeRecord(RecordType::Pdus, encode(bindAckPdu(Endian::Little)), ackRecords);
    edge.onPeerData(ackRecords, back);
    CHECK(ev.bound == 1);
    Bytes connect = encode(requestPdu(Endian::Little, 2, connectExStub(gen), 0x03, 10));
    AoOutput o2;
    edge.onClientData(connect, o2);
    REQUIRE(ev.handOffs.size() == 1);
    CHECK(ev.handOffs[0] == HandOffReason::UnsupportedClient);
    std::vector<Record> recs;
    Bytes raw;
    readRecords(o2.toPeer, recs, raw);
    CHECK(raw == connect);
  }
  Recorder ev;
  EdgeMapiAo edge({}, ev);
  AoOutput o;
  edge.onClientData(encode(bindPdu(Endian::Little)), o);
  Bytes ackRecords;
  encodeRecord(RecordType::Pdus, encode(bindAckPdu(Endian::Little)), ackRecords);
  edge.onPeerData(ackRecords, o);
  edge.onClientData(encode(requestPdu(Endian::Little, 2, connectExStub("2007"), 0x03, 10)), o);
  CHECK(ev.handOffs.empty());
}

TEST_CASE("a stream that is not DCE/RPC is handed off whole, and the core relays it raw") {
  Bytes junk = {'G', 'E', 'T', ' ', '/', 'x',  ' ',  'H',  'T', 'T',
                'P', '/', '1', '.', '1', '\r', '\n', '\r', '\n'};
  Recorder ev, cev;
  EdgeMapiAo edge({}, ev);
  CoreMapiAo core({}, cev);
  Bytes bind = encode(bindPdu(Endian::Little));
  Bytes stream = bind;
  stream.insert(stream.end(), junk.begin(), junk.end());
  AoOutput o;
  edge.onClientData(ByteSpan(stream).first(bind.size() + 3), o);
  edge.onClientData(ByteSpan(stream).subspan(bind.size() + 3), o);
  REQUIRE(ev.handOffs.size() == 1);
  CHECK(ev.handOffs[0] == HandOffReason::ParseError);
  // Byte by byte into the core: what reaches the server is exactly what the client sent.
  Bytes atServer;
  for (uint8_t b : o.toPeer) {
    AoOutput c;
    core.onPeerData(ByteSpan(&b, 1), c);
    REQUIRE_FALSE(c.reset);
    atServer.insert(atServer.end(), c.toLocal.begin(), c.toLocal.end());
  }
  CHECK(atServer == stream);
  // The server's answer now comes back once the core follows with its own HandOff.
  AoOutput c;
  Bytes answer = {'H', 'T', 'T', 'P', '/', '1', '.', '1', ' ', '4', '0', '0'};
  core.onServerData(answer, c);
  AoOutput e;
  edge.onPeerData(c.toPeer, e);
  CHECK_FALSE(e.reset);
  CHECK(e.toLocal == answer);
}

TEST_CASE("an EcDoConnectEx asking for administrator behaviour is Exchange-to-Exchange") {
  Recorder ev;
  EdgeMapiAo edge({}, ev);
  AoOutput o;
  edge.onClientData(encode(bindPdu(Endian::Little)), o);
  Bytes ackRecords;
  encodeRecord(RecordType::Pdus, encode(bindAckPdu(Endian::Little)), ackRecords);
  edge.onPeerData(ackRecords, o);
  Bytes connect = encode(requestPdu(Endian::Little, 2, connectExStub("2007", 1), 0x03, 10));
  AoOutput o2;
  edge.onClientData(connect, o2);
  REQUIRE(ev.handOffs.size() == 1);
  CHECK(ev.handOffs[0] == HandOffReason::ExchangeToExchange);
  std::vector<Record> recs;
  Bytes raw;
  readRecords(o2.toPeer, recs, raw);
  CHECK(raw == connect);
}
