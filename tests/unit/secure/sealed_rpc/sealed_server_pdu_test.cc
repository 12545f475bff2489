// secure/sealed_rpc: the server's half of packet privacy (sealed_server_pdu.h), driven by the
// client association (sealed_association.h, proven against Samba by tests/lab/sealed_rpc_test.sh)
// with the fake provider at both ends (fake_security.h): what the client seals the server
// unseals into a plain fragment, what the server seals the client verifies, with and without
// header signing, in one fragment and in many; every refusal named. The real acceptor
// (gss_dce_acceptor.h) is proven against MIT's initiator and tshark by
// tests/lab/sim_kerberos_test.sh.
#include "secure/sealed_rpc/sealed_server_pdu.h"

#include <doctest/doctest.h>

#include <functional>

#include "mapi/dcerpc/pdu_codec.h"
#include "secure/sealed_rpc/sealed_association.h"
#include "tests/unit/secure/sealed_rpc/fake_server.h"
#include "tests/unit/secure/sealed_rpc/fake_server_security.h"

using namespace bh;
using namespace bh::secure::sealed_rpc;
using namespace bh::secure::sealed_rpc::test;

namespace {

Bytes pattern(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) {
    b[i] = static_cast<uint8_t>(i * 13 + 5);
  }
  return b;
}

/// A client bound to the server's provider through the three legs.
struct Bound {
  FakeSecurity clientSecurity;
  FakeServerSecurity server;
  SealedServerParams params;
  SealedClientAssociation client;
  uint16_t serverMaxFrag;

  explicit Bound(bool headerSigning = true, uint16_t maxFrag = 5840)
      : client(clientSecurity, config(maxFrag)), serverMaxFrag(maxFrag) {
    Bytes bindPdu;
    REQUIRE(client.bind(bindPdu));
    dce::Pdu bind;
    REQUIRE(dce::decodePdu(bindPdu, bind).ok());
    REQUIRE(bind.auth);
    Bytes apRep;
    REQUIRE(server.acceptInitial(bind.auth->credentials, apRep));
    params.authContextId = bind.auth->trailer.authContextId;
    params.headerSigning = headerSigning && bind.header.has(dce::pfc::SupportHeaderSign);
    FakeServer ack;  // only its bind_ack builder
    ack.headerSigning = params.headerSigning;
    ack.maxXmitFrag = maxFrag;
    ack.maxRecvFrag = maxFrag;
    Bytes auth3Pdu;
    REQUIRE(client.onBindAck(ack.bindAck(bind.header.callId, apRep), auth3Pdu).ok());
    dce::Pdu auth3;
    REQUIRE(dce::decodePdu(auth3Pdu, auth3).ok());
    REQUIRE(server.acceptFinal(auth3.auth->credentials));
  }
  static AssociationConfig config(uint16_t maxFrag) {
    AssociationConfig c;
    c.interface = drsuapiSyntax();
    c.maxXmitFrag = maxFrag;
    c.maxRecvFrag = maxFrag;
    return c;
  }

  /// One call: the client's sealed fragments unsealed into plain ones; the plain stub joined.
  Bytes serve(ByteSpan stub, std::vector<Bytes>& plainFragments) {
    std::vector<Bytes> fragments;
    REQUIRE(client.request(7, stub, fragments));
    Bytes joined;
    for (const Bytes& f : fragments) {
      Bytes plain;
      std::string error;
      REQUIRE_MESSAGE(unsealRequestFragment(server, params, f, plain, error), error);
      dce::Pdu p;
      REQUIRE(dce::decodePdu(plain, p).ok());
      CHECK_FALSE(p.auth);
      CHECK(p.header.authLength == 0);
      CHECK(p.header.fragLength == plain.size());
      CHECK(p.header.callId == dce::callIdOf(f));
      CHECK(p.header.pfcFlags == dce::pfcFlagsOf(f));
      REQUIRE(p.request());
      CHECK(p.request()->opnum == 7);
      joined.insert(joined.end(), p.request()->stub.begin(), p.request()->stub.end());
      plainFragments.push_back(std::move(plain));
    }
    return joined;
  }

  /// The server's answer in sealed fragments of at most serverMaxFrag, read by the client.
  Bytes answer(uint32_t callId, ByteSpan stub, size_t* fragmentCount = nullptr) {
    const size_t room = sealedFragmentPayload(serverMaxFrag, server.sealedTokenSize());
    REQUIRE(room > 0);
    size_t off = 0;
    size_t n = 0;
    do {
      const size_t chunk = std::min(room, stub.size() - off);
      dce::Pdu r;
      r.header.ptype = dce::PType::Response;
      r.header.callId = callId;
      r.header.pfcFlags =
          static_cast<uint8_t>((off == 0 ? dce::pfc::FirstFrag : 0) |
                               (off + chunk == stub.size() ? dce::pfc::LastFrag : 0));
      dce::Response body;
      body.allocHint = static_cast<uint32_t>(stub.size() - off);
      body.stub.assign(stub.begin() + static_cast<ptrdiff_t>(off),
                       stub.begin() + static_cast<ptrdiff_t>(off + chunk));
      r.body = std::move(body);
      Bytes wire;
      std::string error;
      REQUIRE_MESSAGE(sealResponseFragment(server, params, std::move(r), wire, error), error);
      CHECK(wire.size() <= serverMaxFrag);
      ParseResult pr = client.onResponse(wire);
      REQUIRE_MESSAGE(pr.ok(), client.error().describe());
      CHECK(pr.consumed == wire.size());
      off += chunk;
      ++n;
    } while (off < stub.size());
    if (fragmentCount != nullptr) {
      *fragmentCount = n;
    }
    REQUIRE(client.responseComplete());
    return client.takeResponse();
  }
};

}  // namespace

TEST_CASE("sealedFragmentPayload: the stub room of a sealed fragment, a multiple of 16") {
  // 5840 - 24 header - 8 sec_trailer - 76 AES token = 5732 -> 5728.
  CHECK(sealedFragmentPayload(5840, 76) == 5728);
  CHECK(sealedFragmentPayload(24 + 8 + 76 + 16, 76) == 16);
  CHECK(sealedFragmentPayload(24 + 8 + 76 + 15, 76) == 0);
  CHECK(sealedFragmentPayload(10, 76) == 0);
}

TEST_CASE("a call round trip: the client's sealed request unsealed, the server's response sealed") {
  for (bool signing : {true, false}) {
    CAPTURE(signing);
    for (size_t size : {size_t{0}, size_t{1}, size_t{16}, size_t{100}, size_t{5000}}) {
      CAPTURE(size);
      Bound b(signing);
      CHECK(b.params.headerSigning == signing);
      const Bytes stub = pattern(size);
      std::vector<Bytes> plain;
      CHECK(b.serve(stub, plain) == stub);
      CHECK(plain.size() == 1);
      const Bytes reply = pattern(size + 3);
      CHECK(b.answer(dce::callIdOf(plain[0]), reply) == reply);
    }
  }
}

TEST_CASE("many fragments each way, each sealed and unsealed on its own, in sequence") {
  Bound b(true, 300);
  const Bytes stub = pattern(4000);
  std::vector<Bytes> plain;
  CHECK(b.serve(stub, plain) == stub);
  CHECK(plain.size() > 10);
  size_t fragments = 0;
  const Bytes reply = pattern(7000);
  CHECK(b.answer(dce::callIdOf(plain[0]), reply, &fragments) == reply);
  // 300 - 24 header - 8 sec_trailer - 32 token = 236 -> 224 stub bytes per fragment.
  CHECK(fragments == (7000 + 223) / 224);
}

namespace {

/// One sealed request fragment of a bound client, and what unsealRequestFragment says of it
/// after `mutate`.
std::string refusal(const std::function<void(Bound&, Bytes&)>& mutate) {
  Bound b;
  std::vector<Bytes> fragments;
  REQUIRE(b.client.request(3, pattern(40), fragments));
  REQUIRE(fragments.size() == 1);
  Bytes f = fragments[0];
  mutate(b, f);
  Bytes plain;
  std::string error;
  if (unsealRequestFragment(b.server, b.params, f, plain, error)) {
    return "accepted";
  }
  CHECK(plain.empty());
  return error;
}

}  // namespace

TEST_CASE("refused: a signed header or trailer changed, a stub changed, a replay, a bad trailer") {
  // The fragment as sent verifies.
  CHECK(refusal([](Bound&, Bytes&) {}) == "accepted");
  // call_id (offset 12) is in the signed header: the checksum fails.
  CHECK(refusal([](Bound&, Bytes& f) { f[12] ^= 1; }).find("GSS_S_BAD_SIG") != std::string::npos);
  // A stub byte changed.
  CHECK(refusal([](Bound&, Bytes& f) { f[30] ^= 1; }).find("GSS_S_BAD_SIG") != std::string::npos);
  // auth_context_id (the sec_trailer's last 4 bytes) is checked against the bind's first.
  CHECK(refusal([](Bound&, Bytes& f) {
          f[f.size() - FakeSecurity::kTokenSize - 1] ^= 1;
        }).find("differs from the bind's") != std::string::npos);
  // Level 5 on a privacy association.
  CHECK(refusal([](Bound&, Bytes& f) {
          f[f.size() - FakeSecurity::kTokenSize - 7] = 5;
        }).find("level 5") != std::string::npos);
  // auth_pad_length past the stub (40 bytes of stub, 8 of pad: 255 claims more than exist):
  // the codec refuses it before any offset is computed from it.
  CHECK(refusal([](Bound&, Bytes& f) {
          f[f.size() - FakeSecurity::kTokenSize - 6] = 255;
        }).find("does not decode: auth_pad_length") != std::string::npos);
  // No verifier at all.
  CHECK(refusal([](Bound&, Bytes& f) {
          dce::Pdu p;
          REQUIRE(dce::decodePdu(f, p).ok());
          p.auth.reset();
          f = *dce::encodePdu(p);
        }).find("unsealed request") != std::string::npos);
  // Not a request.
  CHECK(refusal([](Bound&, Bytes& f) {
          f = FakeServer::fault(1, 5);
        }).find("where a request was expected") != std::string::npos);
  // Truncated.
  CHECK(refusal([](Bound&, Bytes& f) { f.resize(f.size() - 1); }).find("does not decode") !=
        std::string::npos);
}

TEST_CASE("refused: a replayed request fragment (the sequence moved on)") {
  Bound b;
  std::vector<Bytes> fragments;
  REQUIRE(b.client.request(3, pattern(40), fragments));
  Bytes plain;
  std::string error;
  REQUIRE(unsealRequestFragment(b.server, b.params, fragments[0], plain, error));
  CHECK_FALSE(unsealRequestFragment(b.server, b.params, fragments[0], plain, error));
  CHECK(error.find("GSS_S_SEQUENCE") != std::string::npos);
}

TEST_CASE("sealResponseFragment: only responses, only with a token size") {
  Bound b;
  dce::Pdu notResponse;
  notResponse.header.ptype = dce::PType::Request;
  notResponse.body = dce::Request{};
  Bytes out;
  std::string error;
  CHECK_FALSE(sealResponseFragment(b.server, b.params, notResponse, out, error));
  CHECK(error == "only responses are sealed");
}
