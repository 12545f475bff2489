// Golden vectors made by tests/vectors/dcerpc/make_vectors.py with impacket (an independent
// implementation): decode, check the fields impacket was told to write, re-encode identically.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "mapi/dcerpc/association.h"
#include "tests/unit/mapi/dcerpc/test_util.h"

using namespace bh;
using namespace bh::mapi::dcerpc;
using namespace bh::mapi::dcerpc::testing;
using nlohmann::json;

namespace {

json expected(const std::string& name) {
  Bytes raw = readFile(vectorPath("dcerpc", name, "expected.json"));
  return json::parse(std::string(raw.begin(), raw.end()));
}

void checkSyntax(const SyntaxId& s, const json& j) {
  CHECK(s.uuid.toString() == j["uuid"].get<std::string>());
  CHECK(s.versionMajor == j["version"][0].get<int>());
  CHECK(s.versionMinor == j["version"][1].get<int>());
}

void checkPdu(const Pdu& p, const json& j) {
  CHECK(static_cast<int>(p.ptype()) == j["ptype"].get<int>());
  CHECK(p.header.callId == j["call_id"].get<uint32_t>());
  CHECK(p.header.pfcFlags == j["flags"].get<int>());
  CHECK(p.header.fragLength == j["frag_length"].get<int>());
  CHECK(p.header.authLength == j["auth_length"].get<int>());
  CHECK((p.header.endian() == Endian::Little) == j["little_endian"].get<bool>());
  if (const Bind* b = p.bind()) {
    CHECK(b->maxXmitFrag == j["max_xmit_frag"].get<int>());
    CHECK(b->maxRecvFrag == j["max_recv_frag"].get<int>());
    CHECK(b->assocGroupId == j["assoc_group_id"].get<uint32_t>());
    REQUIRE(b->contexts.size() == j["contexts"].size());
    for (size_t i = 0; i < b->contexts.size(); ++i) {
      const json& c = j["contexts"][i];
      CHECK(b->contexts[i].contextId == c["id"].get<int>());
      checkSyntax(b->contexts[i].abstractSyntax, c["abstract"]);
      REQUIRE(b->contexts[i].transferSyntaxes.size() == c["transfer"].size());
      for (size_t t = 0; t < c["transfer"].size(); ++t) {
        checkSyntax(b->contexts[i].transferSyntaxes[t], c["transfer"][t]);
      }
    }
  }
  if (const BindAck* a = p.bindAck()) {
    CHECK(a->maxXmitFrag == j["max_xmit_frag"].get<int>());
    CHECK(a->maxRecvFrag == j["max_recv_frag"].get<int>());
    CHECK(a->assocGroupId == j["assoc_group_id"].get<uint32_t>());
    CHECK(a->port() == j["secondary_address"].get<std::string>());
    REQUIRE(a->results.size() == j["results"].size());
    for (size_t i = 0; i < a->results.size(); ++i) {
      CHECK(a->results[i].result == j["results"][i]["result"].get<int>());
      CHECK(a->results[i].reason == j["results"][i]["reason"].get<int>());
      checkSyntax(a->results[i].transferSyntax, j["results"][i]["transfer"]);
    }
  }
  if (const Request* q = p.request()) {
    CHECK(q->allocHint == j["alloc_hint"].get<uint32_t>());
    CHECK(q->contextId == j["context_id"].get<int>());
    CHECK(q->opnum == j["opnum"].get<int>());
    CHECK(toHex(q->stub) == j["stub_hex"].get<std::string>());
  }
  if (const Response* r = p.response()) {
    CHECK(r->allocHint == j["alloc_hint"].get<uint32_t>());
    CHECK(r->contextId == j["context_id"].get<int>());
    CHECK(r->cancelCount == j["cancel_count"].get<int>());
    CHECK(toHex(r->stub) == j["stub_hex"].get<std::string>());
  }
  if (j.contains("auth")) {
    REQUIRE(p.auth);
    const json& a = j["auth"];
    CHECK(static_cast<int>(p.auth->trailer.authType) == a["type"].get<int>());
    CHECK(static_cast<int>(p.auth->trailer.authLevel) == a["level"].get<int>());
    CHECK(p.auth->trailer.authPadLength == a["pad_length"].get<int>());
    CHECK(p.auth->pad.size() == a["pad_length"].get<size_t>());
    CHECK(p.auth->trailer.authContextId == a["context_id"].get<uint32_t>());
    CHECK(toHex(p.auth->credentials) == a["verifier_hex"].get<std::string>());
  } else {
    CHECK_FALSE(p.auth);
  }
}

const char* kCases[] = {
    "bind_epm",          "bind_emsmdb_ntlm",      "bind_ack_epm",       "request_ept_map",
    "response_ept_map",  "request_ntlm_privacy",  "request_fragmented", "bind_big_endian",
    "stream_epm_client", "stream_cancel_mid_call"};

}  // namespace

TEST_CASE("impacket vectors decode to the expected fields and re-encode byte-identically") {
  for (const char* name : kCases) {
    CAPTURE(name);
    const Bytes input = readFile(vectorPath("dcerpc", name, "input.bin"));
    const json exp = expected(name);
    REQUIRE(input.size() == exp["length"].get<size_t>());
    size_t at = 0;
    size_t i = 0;
    Bytes reencoded;
    while (at < input.size()) {
      Pdu p;
      ParseResult r = decodePdu(ByteSpan(input).subspan(at), p);
      REQUIRE(r.ok());
      REQUIRE(i < exp["pdus"].size());
      checkPdu(p, exp["pdus"][i]);
      Bytes w = encode(p);
      reencoded.insert(reencoded.end(), w.begin(), w.end());
      at += r.consumed;
      ++i;
    }
    CHECK(i == exp["pdus"].size());
    CHECK(reencoded == input);
  }
}

TEST_CASE("impacket vectors through the stream engine at every split") {
  for (const char* name : kCases) {
    CAPTURE(name);
    const Bytes input = readFile(vectorPath("dcerpc", name, "input.bin"));
    const json exp = expected(name);
    for (size_t cut = 0; cut <= input.size(); ++cut) {
      // Which PDUs are calls depends on the sender: a server's stream starts with an answer.
      const PType firstType = static_cast<PType>(input[2]);
      const bool fromServer = firstType == PType::Response || firstType == PType::BindAck ||
                              firstType == PType::AlterContextResp || firstType == PType::Fault ||
                              firstType == PType::BindNak;
      StreamDriver d(fromServer ? Sender::Server : Sender::Client);
      StreamDriver& rec = d;
      REQUIRE(d.onData(ByteSpan(input).first(cut)).ok());
      REQUIRE(d.onData(ByteSpan(input).subspan(cut)).ok());
      REQUIRE(rec.pdus.size() == exp["pdus"].size());
      if (exp.contains("calls")) {
        REQUIRE(rec.calls.size() == exp["calls"].size());
        for (size_t c = 0; c < rec.calls.size(); ++c) {
          CHECK(rec.calls[c].callId == exp["calls"][c]["call_id"].get<uint32_t>());
          CHECK(rec.calls[c].opnum == exp["calls"][c]["opnum"].get<int>());
          CHECK(toHex(rec.calls[c].stub) == exp["calls"][c]["stub_hex"].get<std::string>());
        }
      }
      if (exp.contains("abandoned")) {
        REQUIRE(rec.abandoned.size() == exp["abandoned"].size());
        for (size_t c = 0; c < rec.abandoned.size(); ++c) {
          CHECK(rec.abandoned[c].callId == exp["abandoned"][c]["call_id"].get<uint32_t>());
          CHECK(rec.abandoned[c].fragments.size() ==
                exp["abandoned"][c]["fragments"].get<size_t>());
          CHECK(toHex(rec.abandoned[c].stub) == exp["abandoned"][c]["stub_hex"].get<std::string>());
        }
      }
    }
  }
}

TEST_CASE("the EPM bind and its bind_ack build an association") {
  Pdu bind;
  Pdu ack;
  REQUIRE(decodePdu(readFile(vectorPath("dcerpc", "bind_epm", "input.bin")), bind).ok());
  REQUIRE(decodePdu(readFile(vectorPath("dcerpc", "bind_ack_epm", "input.bin")), ack).ok());
  Association a;
  REQUIRE(a.onClientPdu(bind).ok());
  REQUIRE(a.onServerPdu(ack).ok());
  CHECK(*a.interfaceFor(0) == syntax::epm());
  CHECK(a.assocGroupId() == 0x0001a2b3);
  CHECK(a.secondaryAddress() == "135");
}
