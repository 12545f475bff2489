// The peer leg's TLS state machine without sockets: an edge leg (client) and a core leg
// (server) exchange ciphertext in memory, cut as the tests choose. Plaintext handed over before
// the leg opens is held and sealed when it opens; the peer's bytes come out exactly; garbage,
// oversized and truncated records end the leg with a named failure; the revocation check holds
// the leg until a verdict (a recording fake RevocationChecker) and never accepts silently.
#include "proxy/wan_secure/secure_leg.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

#include "tests/unit/secure/lab_ca.h"

using namespace bh;
using namespace bh::proxy;
using bh::secure::PeeringIdentity;
using bh::secure::TlsConfig;
using bh::secure::TlsContext;
using bh::secure::TlsFailure;
using bh::secure::TlsRole;
using Phase = SecureLeg::Phase;

namespace {

PeeringIdentity selfSigned(const char* cn) {
  auto id = PeeringIdentity::generateSelfSigned(cn, 30);
  REQUIRE(id.ok());
  return std::move(id).value();
}

std::unique_ptr<TlsContext> context(TlsRole role, const TlsConfig& cfg, const PeeringIdentity& id) {
  auto c = TlsContext::create(role, cfg, id);
  REQUIRE_MESSAGE(c.ok(), c.error());
  return std::move(c).value();
}

/// A RevocationChecker that records each question and answers now (cached), later, or never.
class FakeChecker : public RevocationChecker {
 public:
  enum class Mode { AnswerNow, AnswerLater };
  Mode mode = Mode::AnswerLater;
  secure::OcspVerdict verdict;
  int asked = 0;
  int cancelled = 0;
  Done pending;

  class FakePending : public Pending {
   public:
    explicit FakePending(FakeChecker& c) : c_(c) {}
    ~FakePending() override {
      if (c_.pending) {
        ++c_.cancelled;
        c_.pending = nullptr;
      }
    }

   private:
    FakeChecker& c_;
  };

  std::unique_ptr<Pending> check(X509* leaf, X509* issuer, Done done) override {
    REQUIRE(leaf != nullptr);
    REQUIRE(issuer != nullptr);
    ++asked;
    if (mode == Mode::AnswerNow) {
      done(verdict);
      return nullptr;
    }
    pending = std::move(done);
    return std::make_unique<FakePending>(*this);
  }
  void answer() {
    Done d = std::move(pending);
    pending = nullptr;
    d(verdict);
  }
};

Bytes bytesOf(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

/// Moves ciphertext both ways, `piece` bytes per receive() (0: whole), collecting plaintext.
void pump(SecureLeg& edge, SecureLeg& core, Bytes& atEdge, Bytes& atCore, size_t piece = 0) {
  for (int i = 0; i < 50; ++i) {
    Bytes ec = edge.takeCiphertext();
    Bytes ce = core.takeCiphertext();
    if (ec.empty() && ce.empty()) {
      return;
    }
    auto feed = [piece](SecureLeg& to, const Bytes& b, Bytes& out) {
      size_t step = piece == 0 ? std::max<size_t>(b.size(), 1) : piece;
      for (size_t off = 0; off < b.size(); off += step) {
        to.receive(ByteSpan(b).subspan(off, std::min(step, b.size() - off)), out);
      }
    };
    feed(core, ec, atCore);
    feed(edge, ce, atEdge);
  }
}

struct Legs {
  std::unique_ptr<TlsContext> clientCtx, serverCtx;
  std::unique_ptr<SecureLeg> edge, core;

  Legs(const TlsConfig& cc, const PeeringIdentity& cid, const TlsConfig& sc,
       const PeeringIdentity& sid, RevocationChecker* edgeChecker = nullptr,
       SecureLeg::Settings edgeSettings = {}, RevocationChecker* coreChecker = nullptr,
       SecureLeg::Settings coreSettings = {})
      : clientCtx(context(TlsRole::Client, cc, cid)), serverCtx(context(TlsRole::Server, sc, sid)) {
    auto e = SecureLeg::create(*clientCtx, "core-1", edgeChecker, edgeSettings);
    auto c = SecureLeg::create(*serverCtx, "edge-1", coreChecker, coreSettings);
    REQUIRE_MESSAGE(e.ok(), e.error());
    REQUIRE_MESSAGE(c.ok(), c.error());
    edge = std::move(e).value();
    core = std::move(c).value();
  }
  Legs() : Legs(TlsConfig{}, selfSigned("edge"), TlsConfig{}, selfSigned("core")) {}
};

}  // namespace

TEST_CASE("secure leg: the Hello handed over before the leg opens is sealed when it opens") {
  Legs l;
  CHECK(l.edge->phase() == Phase::Handshaking);
  REQUIRE(l.edge->send(bytesOf("HELLO-FRAME")));
  // Only the ClientHello may leave before the handshake: the held bytes are not in it.
  Bytes first = l.edge->takeCiphertext();
  REQUIRE_FALSE(first.empty());
  CHECK(first[0] == 22);  // a handshake record (RFC 8446 section 5.1)
  Bytes atEdge, atCore;
  l.core->receive(first, atCore);
  pump(*l.edge, *l.core, atEdge, atCore);
  REQUIRE(l.edge->phase() == Phase::Open);
  REQUIRE(l.core->phase() == Phase::Open);
  CHECK(atCore == bytesOf("HELLO-FRAME"));
  CHECK(l.edge->protocolName() == "TLSv1.3");
  REQUIRE(l.core->send(bytesOf("ACK")));
  pump(*l.edge, *l.core, atEdge, atCore);
  CHECK(atEdge == bytesOf("ACK"));
  CHECK(l.edge->bytesSealed() == 11);
  CHECK(l.core->bytesOpened() == 11);
}

TEST_CASE("secure leg: split delivery, one byte at a time and in odd pieces, is byte-exact") {
  for (size_t piece : {size_t{1}, size_t{7}, size_t{1000}, size_t{16389}}) {
    CAPTURE(piece);
    Legs l;
    std::mt19937 rng(static_cast<uint32_t>(piece));
    Bytes big(300 * 1024);
    for (auto& b : big) {
      b = static_cast<uint8_t>(rng());
    }
    REQUIRE(l.edge->send(bytesOf("H")));
    Bytes atEdge, atCore;
    pump(*l.edge, *l.core, atEdge, atCore, piece);
    REQUIRE(l.core->open());
    // More than TlsSession's maxCiphertextOut (256 KiB) at once: the leg seals all of it.
    REQUIRE(l.edge->send(big));
    REQUIRE(l.core->send(big));
    pump(*l.edge, *l.core, atEdge, atCore, piece);
    Bytes expect = bytesOf("H");
    expect.insert(expect.end(), big.begin(), big.end());
    CHECK(atCore == expect);
    CHECK(atEdge == big);
  }
}

TEST_CASE("secure leg: more plaintext than the cap before the leg opens fails the leg, named") {
  SecureLeg::Settings s;
  s.maxHeldPlaintext = 100;
  Legs l(TlsConfig{}, selfSigned("edge"), TlsConfig{}, selfSigned("core"), nullptr, s);
  CHECK(l.edge->send(Bytes(100, 1)));
  CHECK(l.edge->phase() == Phase::Handshaking);
  CHECK_FALSE(l.edge->send(Bytes(1, 1)));
  CHECK(l.edge->phase() == Phase::Failed);
  CHECK(l.edge->failure() == TlsFailure::BufferCapExceeded);
}

TEST_CASE("secure leg: garbage where a record belongs is a named failure, not a crash") {
  Legs l;
  Bytes plain;
  Bytes garbage = bytesOf("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(l.core->receive(garbage, plain) == Phase::Failed);
  CHECK(l.core->failure() == TlsFailure::BadRecord);
  CHECK(plain.empty());
  CHECK(l.core->failureText().rfind("bad-record", 0) == 0);
  // A failed leg takes nothing more and opens nothing.
  CHECK_FALSE(l.core->send(bytesOf("x")));
  CHECK(l.core->receive(garbage, plain) == Phase::Failed);
}

TEST_CASE("secure leg: an oversized record is record-overflow; a tampered one bad-record-mac") {
  {
    Legs l;
    Bytes atEdge, atCore;
    REQUIRE(l.edge->send(bytesOf("H")));
    pump(*l.edge, *l.core, atEdge, atCore);
    REQUIRE(l.core->open());
    // application_data, TLS 1.2 legacy version, length 2^14 + 256 + 1 (RFC 8446 section 5.2).
    Bytes rec = {23, 3, 3, 0x41, 0x01};
    rec.resize(5 + 0x4101, 0);
    Bytes plain;
    CHECK(l.core->receive(rec, plain) == Phase::Failed);
    CHECK(l.core->failure() == TlsFailure::RecordOverflow);
  }
  {
    Legs l;
    Bytes atEdge, atCore;
    REQUIRE(l.edge->send(bytesOf("H")));
    pump(*l.edge, *l.core, atEdge, atCore);
    REQUIRE(l.edge->send(bytesOf("payload")));
    Bytes rec = l.edge->takeCiphertext();
    REQUIRE(rec.size() > 10);
    rec[rec.size() - 3] ^= 0x40;
    Bytes plain;
    CHECK(l.core->receive(rec, plain) == Phase::Failed);
    CHECK(l.core->failure() == TlsFailure::BadRecordMac);
    CHECK(plain.empty());
  }
}

TEST_CASE("secure leg: the stream ending inside a record or the handshake is a truncation") {
  Legs l;
  Bytes hello = l.edge->takeCiphertext();
  Bytes plain;
  l.core->receive(ByteSpan(hello).first(hello.size() / 2), plain);
  CHECK(l.core->phase() == Phase::Handshaking);
  CHECK(l.core->receiveEnd() == Phase::Failed);
  CHECK(l.core->failure() == TlsFailure::TruncatedRecord);
}

TEST_CASE("secure leg: the peer's alert fails the leg with the alert's name on both ends") {
  // The core verifies and the edge shows a certificate of another CA.
  secure::test::LabCa ca("Lab CA");
  secure::test::LabCa other("Other CA");
  TlsConfig verify;
  verify.peerCertVerify = true;
  Legs l(TlsConfig{}, other.issue("edge"), verify, ca.issue("core"));
  Bytes atEdge, atCore;
  REQUIRE(l.edge->send(bytesOf("HELLO")));
  pump(*l.edge, *l.core, atEdge, atCore);
  CHECK(l.core->phase() == Phase::Failed);
  CHECK(l.core->failure() == TlsFailure::UnknownCa);
  CHECK(l.edge->phase() == Phase::Failed);
  CHECK(l.edge->failure() == TlsFailure::UnknownCa);
  CHECK(atCore.empty());  // the Hello sent after the edge's Finished never reached the core
}

TEST_CASE("secure leg: the revocation check holds the leg until the verdict") {
  secure::test::LabCa ca("Lab CA");
  TlsConfig verify;
  verify.peerCertVerify = true;
  SecureLeg::Settings check;
  check.checkRevocation = true;

  SUBCASE("a good answer later opens the leg and releases the held Hello") {
    FakeChecker fake;
    fake.verdict.accept = true;
    fake.verdict.status = secure::OcspCertStatus::Good;
    Legs l(verify, ca.issue("edge"), verify, ca.issue("core"), &fake, check);
    int changes = 0;
    l.edge->setOnChange([&] { ++changes; });
    Bytes atEdge, atCore;
    REQUIRE(l.edge->send(bytesOf("HELLO")));
    pump(*l.edge, *l.core, atEdge, atCore);
    CHECK(fake.asked == 1);
    CHECK(l.edge->phase() == Phase::CheckingRevocation);
    CHECK(atCore.empty());  // nothing sealed before the verdict
    fake.answer();
    CHECK(changes == 1);
    CHECK(l.edge->phase() == Phase::Open);
    REQUIRE(l.edge->revocationVerdict().has_value());
    pump(*l.edge, *l.core, atEdge, atCore);
    CHECK(atCore == bytesOf("HELLO"));
  }
  SUBCASE("a cached answer inside check() opens the leg at once") {
    FakeChecker fake;
    fake.mode = FakeChecker::Mode::AnswerNow;
    fake.verdict.accept = true;
    Legs l(verify, ca.issue("edge"), verify, ca.issue("core"), &fake, check);
    Bytes atEdge, atCore;
    REQUIRE(l.edge->send(bytesOf("HELLO")));
    pump(*l.edge, *l.core, atEdge, atCore);
    CHECK(l.edge->phase() == Phase::Open);
    CHECK(atCore == bytesOf("HELLO"));
  }
  SUBCASE("revoked fails the leg with the verdict's reason; nothing is sealed") {
    FakeChecker fake;
    fake.verdict.accept = false;
    fake.verdict.failure = TlsFailure::CertificateRevoked;
    fake.verdict.detail = "revoked (OCSP, http://192.0.2.9/)";
    Legs l(verify, ca.issue("edge"), verify, ca.issue("core"), &fake, check);
    Bytes atEdge, atCore;
    REQUIRE(l.edge->send(bytesOf("HELLO")));
    pump(*l.edge, *l.core, atEdge, atCore);
    fake.answer();
    CHECK(l.edge->phase() == Phase::Failed);
    CHECK(l.edge->failure() == TlsFailure::CertificateRevoked);
    CHECK(l.edge->failureText() == "certificate-revoked: revoked (OCSP, http://192.0.2.9/)");
    pump(*l.edge, *l.core, atEdge, atCore);
    CHECK(atCore.empty());
  }
  SUBCASE("no checker: revocation-unknown 'no OCSP transport', never a silent accept") {
    Legs l(verify, ca.issue("edge"), verify, ca.issue("core"), nullptr, check);
    Bytes atEdge, atCore;
    REQUIRE(l.edge->send(bytesOf("HELLO")));
    pump(*l.edge, *l.core, atEdge, atCore);
    CHECK(l.edge->phase() == Phase::Failed);
    CHECK(l.edge->failure() == TlsFailure::RevocationUnknown);
    CHECK(l.edge->failureText() == "revocation-unknown: no OCSP transport");
    CHECK(atCore.empty());
  }
  SUBCASE("a leg that goes while the check is pending cancels it") {
    FakeChecker fake;
    {
      Legs l(verify, ca.issue("edge"), verify, ca.issue("core"), &fake, check);
      Bytes atEdge, atCore;
      pump(*l.edge, *l.core, atEdge, atCore);
      CHECK(fake.asked == 1);
    }
    CHECK(fake.cancelled == 1);
    CHECK_FALSE(fake.pending);
  }
}

TEST_CASE("secure leg: a resumed leg is told so, and checks revocation again") {
  secure::test::LabCa ca("Lab CA");
  TlsConfig verify;
  verify.peerCertVerify = true;
  SecureLeg::Settings check;
  check.checkRevocation = true;
  FakeChecker fake;
  fake.mode = FakeChecker::Mode::AnswerNow;
  fake.verdict.accept = true;
  auto clientCtx = context(TlsRole::Client, verify, ca.issue("edge"));
  auto serverCtx = context(TlsRole::Server, verify, ca.issue("core"));
  for (int round = 0; round < 2; ++round) {
    auto e = SecureLeg::create(*clientCtx, "core-1", &fake, check);
    auto c = SecureLeg::create(*serverCtx, "edge-1", nullptr, {});
    REQUIRE(e.ok());
    REQUIRE(c.ok());
    Bytes atEdge, atCore;
    REQUIRE(e.value()->send(bytesOf("H")));
    pump(*e.value(), *c.value(), atEdge, atCore);
    REQUIRE(e.value()->open());
    CHECK(e.value()->resumed() == (round == 1));
    CHECK(atCore == bytesOf("H"));
  }
  // The revoked-then-resumed case must not slip through: the second leg asked again.
  CHECK(fake.asked == 2);
}

namespace {

// A first (full) handshake between edge and core legs, so the edge's context keeps a ticket.
void firstContact(TlsContext& clientCtx, TlsContext& serverCtx) {
  auto e = SecureLeg::create(clientCtx, "core-1", nullptr, {});
  auto c = SecureLeg::create(serverCtx, "edge-1", nullptr, {});
  REQUIRE(e.ok());
  REQUIRE(c.ok());
  Bytes atEdge, atCore;
  REQUIRE(e.value()->send(bytesOf("H")));
  pump(*e.value(), *c.value(), atEdge, atCore);
  REQUIRE(e.value()->open());
  REQUIRE_FALSE(e.value()->resumed());
}

}  // namespace

TEST_CASE("secure leg 0-RTT: a resumed edge leg's first bytes leave with its ClientHello") {
  Legs l;  // (its own legs unused: the contexts are what matter)
  firstContact(*l.clientCtx, *l.serverCtx);
  auto e = SecureLeg::create(*l.clientCtx, "core-1", nullptr, {});
  auto c = SecureLeg::create(*l.serverCtx, "edge-1", nullptr, {});
  REQUIRE(e.ok());
  REQUIRE(c.ok());
  SecureLeg& edge = *e.value();
  SecureLeg& core = *c.value();
  REQUIRE(edge.earlyRoom() > 0);
  REQUIRE(edge.send(bytesOf("HELLO-FRAME")));
  REQUIRE(edge.send(bytesOf("first request")));
  CHECK(edge.phase() == Phase::Handshaking);
  CHECK(edge.earlyDataMayHaveArrived());
  Bytes atEdge, atCore;
  core.receive(edge.takeCiphertext(), atCore);  // ClientHello + early data: one flight
  // The core opens it before the edge's Finished, and answers at once (0.5-RTT).
  REQUIRE(core.open());
  CHECK(core.resumed());
  CHECK(atCore == bytesOf("HELLO-FRAMEfirst request"));
  REQUIRE(core.send(bytesOf("ACK")));
  edge.receive(core.takeCiphertext(), atEdge);
  REQUIRE(edge.open());
  CHECK(edge.resumed());
  CHECK(edge.earlyData() == secure::EarlyData::Accepted);
  CHECK(atEdge == bytesOf("ACK"));
  // Sent after the window: ordinary data, after the early bytes, never again before them.
  REQUIRE(edge.send(bytesOf(" more")));
  pump(edge, core, atEdge, atCore);
  CHECK(atCore == bytesOf("HELLO-FRAMEfirst request more"));
  CHECK(core.phase() == Phase::Open);
  CHECK(edge.bytesSealed() == 29);
  CHECK(core.bytesOpened() == 29);
}

TEST_CASE(
    "secure leg 0-RTT: early data a restarted core rejects arrives once, after the handshake") {
  Legs l;
  firstContact(*l.clientCtx, *l.serverCtx);
  auto restarted = context(TlsRole::Server, TlsConfig{}, selfSigned("core"));
  auto e = SecureLeg::create(*l.clientCtx, "core-1", nullptr, {});
  auto c = SecureLeg::create(*restarted, "edge-1", nullptr, {});
  REQUIRE(e.ok());
  REQUIRE(c.ok());
  SecureLeg& edge = *e.value();
  SecureLeg& core = *c.value();
  REQUIRE(edge.earlyRoom() > 0);
  REQUIRE(edge.send(bytesOf("HELLO-FRAME")));
  Bytes atEdge, atCore;
  core.receive(edge.takeCiphertext(), atCore);
  CHECK_FALSE(core.open());  // its ticket means nothing here: a full handshake
  CHECK(atCore.empty());
  pump(edge, core, atEdge, atCore);
  REQUIRE(edge.open());
  REQUIRE(core.open());
  CHECK_FALSE(edge.resumed());
  CHECK(edge.earlyData() == secure::EarlyData::Rejected);
  CHECK_FALSE(edge.earlyDataMayHaveArrived());
  CHECK(atCore == bytesOf("HELLO-FRAME"));
}

TEST_CASE("secure leg 0-RTT: a core checking revocation holds early data until the verdict") {
  secure::test::LabCa ca("Lab CA");
  TlsConfig verify;
  verify.peerCertVerify = true;
  auto clientCtx = context(TlsRole::Client, verify, ca.issue("edge"));
  auto serverCtx = context(TlsRole::Server, verify, ca.issue("core"));
  firstContact(*clientCtx, *serverCtx);
  FakeChecker fake;
  fake.verdict.accept = true;
  SecureLeg::Settings check;
  check.checkRevocation = true;
  auto e = SecureLeg::create(*clientCtx, "core-1", nullptr, {});
  auto c = SecureLeg::create(*serverCtx, "edge-1", &fake, check);
  REQUIRE(e.ok());
  REQUIRE(c.ok());
  REQUIRE(e.value()->earlyRoom() > 0);
  REQUIRE(e.value()->send(bytesOf("HELLO-FRAME")));
  Bytes atCore;
  c.value()->receive(e.value()->takeCiphertext(), atCore);
  CHECK(c.value()->phase() == Phase::CheckingRevocation);
  CHECK(fake.asked == 1);
  CHECK(atCore.empty());  // nothing of the edge's reaches the server before the verdict
  fake.answer();
  REQUIRE(c.value()->open());
  c.value()->receive({}, atCore);  // what the flow does when told (setOnChange)
  CHECK(atCore == bytesOf("HELLO-FRAME"));
}
