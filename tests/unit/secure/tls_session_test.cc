#include "secure/tls_session.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "lab_ca.h"
#include "secure/tls_warm_up.h"

using namespace bh;
using namespace bh::secure;
using bh::secure::test::LabCa;

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

std::unique_ptr<TlsSession> session(TlsContext& ctx, const std::string& peer = "192.0.2.1") {
  auto s = TlsSession::create(ctx, peer);
  REQUIRE_MESSAGE(s.ok(), s.error());
  return std::move(s).value();
}

// Moves ciphertext both ways until neither side has any to send.
void pump(TlsSession& a, TlsSession& b) {
  for (int i = 0; i < 20; ++i) {
    Bytes ab = a.takeCiphertext();
    Bytes ba = b.takeCiphertext();
    if (ab.empty() && ba.empty()) {
      return;
    }
    b.receive(ab);
    a.receive(ba);
  }
}

Bytes bytesOf(const std::string& s) {
  return Bytes(s.begin(), s.end());
}
std::string textOf(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

struct Pair {
  std::unique_ptr<TlsContext> clientCtx, serverCtx;
  Pair(const TlsConfig& cc, const PeeringIdentity& cid, const TlsConfig& sc,
       const PeeringIdentity& sid)
      : clientCtx(context(TlsRole::Client, cc, cid)),
        serverCtx(context(TlsRole::Server, sc, sid)) {}
  Pair() : Pair(TlsConfig{}, selfSigned("edge"), TlsConfig{}, selfSigned("core")) {}
};

}  // namespace

TEST_CASE("tls: an in-memory TLS 1.3 handshake, then data both ways") {
  Pair p;
  auto c = session(*p.clientCtx);
  auto s = session(*p.serverCtx);
  pump(*c, *s);
  REQUIRE(c->state() == TlsState::Established);
  REQUIRE(s->state() == TlsState::Established);
  CHECK(c->protocolName() == "TLSv1.3");
  CHECK(c->cipherName() == "TLS_AES_256_GCM_SHA384");
  CHECK_FALSE(c->resumed());

  CHECK(c->write(bytesOf("hello core")) == 10);
  CHECK(s->write(bytesOf("hello edge")) == 10);
  pump(*c, *s);
  CHECK(textOf(s->takePlaintext()) == "hello core");
  CHECK(textOf(c->takePlaintext()) == "hello edge");

  c->close();
  pump(*c, *s);
  CHECK(s->state() == TlsState::Closed);
}

TEST_CASE("tls: the handshake completes when every byte arrives alone") {
  Pair p;
  auto c = session(*p.clientCtx);
  auto s = session(*p.serverCtx);
  for (int round = 0; round < 10; ++round) {
    for (uint8_t b : c->takeCiphertext()) {
      s->receive(ByteSpan(&b, 1));
    }
    for (uint8_t b : s->takeCiphertext()) {
      c->receive(ByteSpan(&b, 1));
    }
  }
  CHECK(c->state() == TlsState::Established);
  CHECK(s->state() == TlsState::Established);
}

TEST_CASE("tls: a record split at every point opens intact") {
  Pair p;
  auto c = session(*p.clientCtx);
  auto s = session(*p.serverCtx);
  pump(*c, *s);
  (void)c->takePlaintext();  // lets the client read the NewSessionTicket
  const std::string msg = "an EMSMDB call, sealed";
  c->write(bytesOf(msg));
  Bytes first = c->takeCiphertext();
  size_t recordLen = first.size();
  s->receive(first);  // record sequence numbers must stay in step (RFC 8446 5.3)
  CHECK(textOf(s->takePlaintext()) == msg);
  for (size_t cut = 0; cut <= recordLen; ++cut) {
    std::string m = msg.substr(0, msg.size() - 1) + std::to_string(cut % 10);  // same length
    REQUIRE(c->write(bytesOf(m)) == m.size());
    Bytes ct = c->takeCiphertext();
    REQUIRE(ct.size() == recordLen);
    s->receive(ByteSpan(ct).first(cut));
    if (cut < recordLen) {
      CHECK(s->pendingPlaintextIn() == 0);
    }
    s->receive(ByteSpan(ct).subspan(cut));
    REQUIRE(s->state() == TlsState::Established);
    CHECK(textOf(s->takePlaintext()) == m);
  }
}

TEST_CASE("tls: a second connection to the same peer resumes with the ticket") {
  Pair p;
  {
    auto c = session(*p.clientCtx, "core-1");
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    (void)c->takePlaintext();  // the NewSessionTicket is read after the handshake
    CHECK_FALSE(c->resumed());
  }
  const size_t issued = TlsConfig{}.ticketsPerHandshake;
  CHECK(p.clientCtx->ticketCount("core-1") == issued);
  auto c = session(*p.clientCtx, "core-1");
  CHECK(p.clientCtx->ticketCount("core-1") == issued - 1);  // tickets are used once
  auto s = session(*p.serverCtx);
  pump(*c, *s);
  REQUIRE(c->state() == TlsState::Established);
  CHECK(c->resumed());
  CHECK(s->resumed());

  // Another peer has no ticket: full handshake.
  auto c2 = session(*p.clientCtx, "core-2");
  auto s2 = session(*p.serverCtx);
  pump(*c2, *s2);
  CHECK_FALSE(c2->resumed());
}

TEST_CASE("tls: the ticket cache keeps at most maxResumptionTickets peers") {
  TlsConfig cc;
  cc.maxResumptionTickets = 2;
  Pair p(cc, selfSigned("edge"), TlsConfig{}, selfSigned("core"));
  for (const char* peer : {"a", "b", "c"}) {
    auto c = session(*p.clientCtx, peer);
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    (void)c->takePlaintext();
  }
  CHECK(p.clientCtx->peerCount() == 2);
  CHECK(p.clientCtx->ticketCount("a") == 0);  // the oldest peer went
  CHECK(p.clientCtx->takeTicket("a") == nullptr);
  CHECK(p.clientCtx->takeTicket("c") != nullptr);
}

TEST_CASE("tls: peer_cert_verify with a lab CA") {
  LabCa ca("Lab CA");
  TlsConfig verify;
  verify.peerCertVerify = true;
  PeeringIdentity edge = ca.issue("edge");

  std::string clientText;  // the client's (verifying the core's certificate) failure text
  auto run = [&](const PeeringIdentity& core) {
    Pair p(verify, edge, verify, core);
    auto c = session(*p.clientCtx);
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    clientText = c->failureText();
    return std::make_pair(c->failure(), s->failure());
  };

  SUBCASE("a certificate of the CA verifies") {
    auto [c, s] = run(ca.issue("core"));
    CHECK(c == TlsFailure::None);
    CHECK(s == TlsFailure::None);
  }
  SUBCASE("another CA's certificate is unknown-ca on both ends") {
    LabCa other("Other CA");
    auto [c, s] = run(other.issue("core"));
    CHECK(c == TlsFailure::UnknownCa);
    CHECK(s == TlsFailure::UnknownCa);
    // The failure names the certificate the chain error concerns: subject and serial.
    CHECK_MESSAGE(clientText.find("certificate \"CN=core\" (serial 0x1000)") != std::string::npos,
                  clientText);
  }
  SUBCASE("an expired certificate is certificate-expired") {
    auto [c, s] = run(ca.issue("core", -7200, -3600));
    CHECK(c == TlsFailure::CertificateExpired);
    CHECK(s == TlsFailure::CertificateExpired);
    CHECK_MESSAGE(clientText.find("certificate has expired: certificate \"CN=core\" (serial "
                                  "0x1001)") != std::string::npos,
                  clientText);
  }
  SUBCASE("the default self-signed certificate is named as such") {
    PeeringIdentity core = selfSigned("core");
    Pair p(verify, edge, verify, core);
    auto c = session(*p.clientCtx);
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    CHECK(c->failure() == TlsFailure::DefaultSelfSigned);
    CHECK(c->failureText().find("default self-signed") != std::string::npos);
  }
  SUBCASE("verify off accepts the default self-signed certificate") {
    Pair p(TlsConfig{}, selfSigned("edge"), TlsConfig{}, selfSigned("core"));
    auto c = session(*p.clientCtx);
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    CHECK(c->state() == TlsState::Established);
  }
}

TEST_CASE("tls: version and cipher mismatches are named") {
  SUBCASE("the peer allows TLS 1.2 at most") {
    Pair p;
    SSL_CTX_set_max_proto_version(p.serverCtx->native(), TLS1_2_VERSION);
    auto c = session(*p.clientCtx);
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    CHECK(c->failure() == TlsFailure::ProtocolVersionMismatch);
    CHECK(s->failure() == TlsFailure::ProtocolVersionMismatch);
  }
  SUBCASE("no TLS 1.3 suite in common") {
    TlsConfig cc, sc;
    cc.ciphersuites = "TLS_AES_128_GCM_SHA256";
    sc.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
    Pair p(cc, selfSigned("edge"), sc, selfSigned("core"));
    auto c = session(*p.clientCtx);
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    CHECK(s->failure() == TlsFailure::CipherMismatch);
    CHECK(c->failure() == TlsFailure::CipherMismatch);
  }
  SUBCASE("a minimum version of TLS 1.2 admits a 1.2 peer, with the configured list") {
    TlsConfig cc;
    cc.minVersion = TLS1_2_VERSION;
    Pair p(cc, selfSigned("edge"), TlsConfig{}, selfSigned("core"));
    SSL_CTX_set_min_proto_version(p.serverCtx->native(), TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(p.serverCtx->native(), TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(p.serverCtx->native(), "ECDHE-ECDSA-CHACHA20-POLY1305");
    auto c = session(*p.clientCtx);
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    REQUIRE(c->state() == TlsState::Established);
    CHECK(c->protocolName() == "TLSv1.2");
    CHECK(c->cipherName() == "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
  }
  SUBCASE("a configured suite is used") {
    TlsConfig cc;
    cc.ciphersuites = "TLS_CHACHA20_POLY1305_SHA256";
    Pair p(cc, selfSigned("edge"), TlsConfig{}, selfSigned("core"));
    auto c = session(*p.clientCtx);
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    CHECK(c->cipherName() == "TLS_CHACHA20_POLY1305_SHA256");
  }
}

TEST_CASE("tls: bad records are named failures") {
  Pair p;
  auto c = session(*p.clientCtx);
  auto s = session(*p.serverCtx);

  SUBCASE("garbage instead of a ClientHello") {
    s->receive(bytesOf("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    CHECK(s->failure() == TlsFailure::BadRecord);
  }
  SUBCASE("after the handshake") {
    pump(*c, *s);
    REQUIRE(s->state() == TlsState::Established);
    SUBCASE("a record longer than 2^14 + 256 (RFC 8446 5.2)") {
      const uint8_t hdr[] = {0x17, 0x03, 0x03, 0xff, 0xff};
      s->receive(hdr);
      CHECK(s->failure() == TlsFailure::RecordOverflow);
    }
    SUBCASE("a tampered record") {
      c->write(bytesOf("payload"));
      Bytes ct = c->takeCiphertext();
      ct[ct.size() - 3] ^= 0x01;
      s->receive(ct);
      CHECK(s->failure() == TlsFailure::BadRecordMac);
    }
    SUBCASE("a tampered record to a client that does not verify (verify off)") {
      // The client saw the self-signed chain fail verification and went on (verify off): a
      // later failure must still be named for what it is.
      s->write(bytesOf("payload"));
      Bytes ct = s->takeCiphertext();
      ct[ct.size() - 3] ^= 0x01;
      c->receive(ct);
      CHECK(c->failure() == TlsFailure::BadRecordMac);
    }
    SUBCASE("the stream ends inside a record") {
      c->write(bytesOf("payload"));
      Bytes ct = c->takeCiphertext();
      s->receive(ByteSpan(ct).first(ct.size() / 2));
      s->receiveEnd();
      CHECK(s->failure() == TlsFailure::TruncatedRecord);
    }
    SUBCASE("the stream ends without close_notify") {
      s->receiveEnd();
      CHECK(s->failure() == TlsFailure::TruncatedRecord);
    }
    SUBCASE("after close_notify the end is clean") {
      c->close();
      pump(*c, *s);
      s->receiveEnd();
      CHECK(s->state() == TlsState::Closed);
    }
  }
}

TEST_CASE("tls: buffered bytes stay under the session's caps") {
  TlsConfig cfg;
  cfg.maxCiphertextIn = 4096;
  cfg.maxPlaintextIn = 8192;
  cfg.maxCiphertextOut = 32768;
  Pair p(cfg, selfSigned("edge"), cfg, selfSigned("core"));
  auto c = session(*p.clientCtx);
  auto s = session(*p.serverCtx);
  pump(*c, *s);
  REQUIRE(s->state() == TlsState::Established);

  SUBCASE("sealed bytes not taken stop write()") {
    Bytes big(100000, 0x5a);
    size_t taken = c->write(big);
    CHECK(taken > 0);
    CHECK(taken < big.size());
    CHECK(c->pendingCiphertextOut() <= cfg.maxCiphertextOut);
    CHECK(c->write(big) == 0);
  }
  SUBCASE("opened bytes not taken stay under maxPlaintextIn; the rest waits sealed") {
    Bytes chunk(2000, 0x33);
    size_t delivered = 0;
    for (int i = 0; i < 20 && s->state() == TlsState::Established; ++i) {
      c->write(chunk);
      Bytes ct = c->takeCiphertext();
      if (s->receive(ct) != TlsState::Established) {
        break;
      }
      delivered += chunk.size();
      CHECK(s->pendingPlaintextIn() <= cfg.maxPlaintextIn);
    }
    CHECK(s->failure() == TlsFailure::BufferCapExceeded);
    CHECK(delivered >= cfg.maxPlaintextIn);
  }
  SUBCASE("one feed that leaves more than maxCiphertextIn unopened is refused") {
    // Fill the plaintext room, then records that cannot be opened now: kept up to the cap.
    Bytes fill(cfg.maxPlaintextIn, 0x33);
    REQUIRE(c->write(fill) == fill.size());
    s->receive(c->takeCiphertext());
    REQUIRE(s->state() == TlsState::Established);
    CHECK(s->pendingPlaintextIn() == cfg.maxPlaintextIn);
    Bytes more(3000, 0x44);
    REQUIRE(c->write(more) == more.size());
    Bytes ct = c->takeCiphertext();
    REQUIRE(ct.size() <= cfg.maxCiphertextIn);
    s->receive(ct);
    CHECK(s->state() == TlsState::Established);
    CHECK(s->pendingCiphertextIn() == ct.size());  // kept, sealed
    REQUIRE(c->write(more) == more.size());
    s->receive(c->takeCiphertext());  // 2 x 3000 sealed bytes > 4096
    CHECK(s->failure() == TlsFailure::BufferCapExceeded);
  }
  SUBCASE("taking the plaintext opens what was kept, in order") {
    Bytes fill(cfg.maxPlaintextIn, 0x33);
    REQUIRE(c->write(fill) == fill.size());
    s->receive(c->takeCiphertext());
    Bytes more(3000, 0x44);
    REQUIRE(c->write(more) == more.size());
    s->receive(c->takeCiphertext());
    CHECK(s->takePlaintext() == fill);
    CHECK(s->pendingCiphertextIn() == 0);
    CHECK(s->takePlaintext() == more);
  }
  SUBCASE("a garbage feed is a bad record, whatever its size") {
    Bytes flood(cfg.maxCiphertextIn * 4, 0x17);
    s->receive(flood);
    CHECK(s->failure() == TlsFailure::BadRecord);
    CHECK(s->pendingCiphertextIn() == 0);
  }
}

namespace {

// A first connection to `peer` whose ticket the client keeps (the NewSessionTicket is read after
// the handshake); both ends close with close_notify.
void firstContact(Pair& p, const std::string& peer) {
  auto c = session(*p.clientCtx, peer);
  auto s = session(*p.serverCtx);
  pump(*c, *s);
  REQUIRE(c->state() == TlsState::Established);
  (void)c->takePlaintext();
  REQUIRE_FALSE(c->resumed());
}

}  // namespace

TEST_CASE("tls 0-RTT: early data reaches the server before the client's Finished") {
  Pair p;
  firstContact(p, "core-1");
  auto c = session(*p.clientCtx, "core-1");
  auto s = session(*p.serverCtx);
  REQUIRE(c->earlyDataRoom() > 0);
  CHECK(c->writeEarly(bytesOf("Hello frame + first request")) == 27);
  Bytes flight = c->takeCiphertext();  // ClientHello + early data
  s->receive(flight);
  CHECK(s->state() == TlsState::Handshaking);
  CHECK(s->earlyDataOpen());
  CHECK(s->resumed());
  CHECK(textOf(s->takePlaintext()) == "Hello frame + first request");
  // 0.5-RTT: the server answers before the client's Finished.
  CHECK(s->write(bytesOf("HelloAck")) == 8);
  c->receive(s->takeCiphertext());
  REQUIRE(c->state() == TlsState::Established);
  CHECK(c->resumed());
  CHECK(c->earlyData() == EarlyData::Accepted);
  CHECK(textOf(c->takePlaintext()) == "HelloAck");
  s->receive(c->takeCiphertext());  // EndOfEarlyData, Finished
  REQUIRE(s->state() == TlsState::Established);
  CHECK(s->earlyData() == EarlyData::Accepted);
  CHECK(c->write(bytesOf("after")) == 5);
  s->receive(c->takeCiphertext());
  CHECK(textOf(s->takePlaintext()) == "after");  // nothing twice
  CHECK(c->earlyDataRoom() == 0);

  SUBCASE("a replay of the same flight to the server: refused, nothing opened") {
    // An attacker on the WAN sends the recorded first flight again (RFC 8446 section 8): the
    // ticket was single-use and is recorded as spent, so the server fails the handshake.
    auto s2 = session(*p.serverCtx);
    s2->receive(flight);
    CHECK_FALSE(s2->earlyDataOpen());
    CHECK(s2->pendingPlaintextIn() == 0);
    CHECK(s2->earlyData() != EarlyData::Accepted);
    CHECK(s2->failure() == TlsFailure::EarlyDataReplay);
  }
}

TEST_CASE("tls 0-RTT: a resumed client awaits the ticket its Finished earns, after close_notify") {
  // The server sends a resumption's NewSessionTicket once it has the client's Finished, a round
  // trip after the client's handshake completed: a short flow is over by then. The proxy keeps
  // the leg open until it came (Flow::maybeFinish), after its close_notify (a TLS 1.3
  // half-close, RFC 8446 section 6.1), so each resumption leaves the peer's pool as it found it.
  Pair p;
  firstContact(p, "core-1");
  const size_t pool = p.clientCtx->ticketCount("core-1");
  auto c = session(*p.clientCtx, "core-1");
  auto s = session(*p.serverCtx);
  CHECK_FALSE(c->awaitingTicket());  // not established yet
  CHECK(c->writeEarly(bytesOf("request")) == 7);
  s->receive(c->takeCiphertext());
  CHECK(s->write(bytesOf("answer")) == 6);
  c->receive(s->takeCiphertext());
  REQUIRE(c->state() == TlsState::Established);
  CHECK(textOf(c->takePlaintext()) == "answer");
  CHECK(c->awaitingTicket());
  CHECK(p.clientCtx->ticketCount("core-1") == pool - 1);
  Bytes finished = c->takeCiphertext();  // EndOfEarlyData, Finished
  c->close();                            // the flow is complete: close_notify
  Bytes notify = c->takeCiphertext();
  finished.insert(finished.end(), notify.begin(), notify.end());
  s->receive(finished);
  REQUIRE(s->state() == TlsState::Closed);
  c->receive(s->takeCiphertext());  // the NewSessionTicket (and the server's close_notify)
  CHECK_FALSE(c->awaitingTicket());
  CHECK(p.clientCtx->ticketCount("core-1") == pool);
  CHECK(s->failure() == TlsFailure::None);
  CHECK(c->failure() == TlsFailure::None);

  SUBCASE("a client that keeps no tickets awaits none") {
    TlsConfig none;
    none.maxTicketsPerPeer = 0;
    auto ctx = context(TlsRole::Client, none, selfSigned("edge"));
    auto c2 = session(*ctx, "core-1");
    auto s2 = session(*p.serverCtx);
    pump(*c2, *s2);
    REQUIRE(c2->state() == TlsState::Established);
    CHECK_FALSE(c2->awaitingTicket());
  }
}

TEST_CASE("tls 0-RTT: a copy accepted first makes the original fail, not resend (section 8.2)") {
  // The attacker delivers a copy of the edge's first flight before the original (on a
  // connection of its own): the copy's early data is accepted once. The original, offering the
  // same spent ticket, must fail, so the client resets instead of sending the bytes again after
  // a rejection (which would reach the server twice).
  Pair p;
  firstContact(p, "core-1");
  auto c = session(*p.clientCtx, "core-1");
  REQUIRE(c->writeEarly(bytesOf("submit message")) == 14);
  Bytes flight = c->takeCiphertext();
  auto copy = session(*p.serverCtx);
  copy->receive(flight);
  CHECK(textOf(copy->takePlaintext()) == "submit message");
  CHECK(p.serverCtx->spentCount() == 1);
  auto original = session(*p.serverCtx);
  original->receive(flight);
  CHECK(original->failure() == TlsFailure::EarlyDataReplay);
  CHECK(original->pendingPlaintextIn() == 0);
  c->receive(original->takeCiphertext());  // the alert
  CHECK(c->state() == TlsState::Failed);
  CHECK(c->earlyDataMayHaveArrived());  // so the proxy resets the flow, never resends
}

TEST_CASE("tls 0-RTT: spent ticket identities are capped at maxServerSessions") {
  TlsConfig sc;
  sc.maxServerSessions = 2;
  Pair p(TlsConfig{}, selfSigned("edge"), sc, selfSigned("core"));
  for (const char* peer : {"a", "b", "c"}) {
    firstContact(p, peer);
    auto c = session(*p.clientCtx, peer);
    REQUIRE(c->writeEarly(bytesOf("x")) == 1);
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    REQUIRE(c->earlyData() == EarlyData::Accepted);
  }
  CHECK(p.serverCtx->spentCount() == 2);
}

TEST_CASE("tls 0-RTT: early data the server rejects is sent again after the handshake, once") {
  Pair p;
  firstContact(p, "core-1");
  // The core restarted: its session cache (and ticket keys) are gone; a new context.
  auto restarted = context(TlsRole::Server, TlsConfig{}, selfSigned("core"));
  auto c = session(*p.clientCtx, "core-1");
  auto s = session(*restarted);
  REQUIRE(c->earlyDataRoom() > 0);
  REQUIRE(c->writeEarly(bytesOf("first request")) == 13);
  CHECK(c->earlyDataMayHaveArrived());
  s->receive(c->takeCiphertext());
  CHECK_FALSE(s->earlyDataOpen());
  CHECK(s->pendingPlaintextIn() == 0);
  pump(*c, *s);
  REQUIRE(c->state() == TlsState::Established);
  REQUIRE(s->state() == TlsState::Established);
  CHECK_FALSE(c->resumed());
  CHECK(c->earlyData() == EarlyData::Rejected);
  CHECK_FALSE(c->earlyDataMayHaveArrived());
  CHECK(c->write(bytesOf(" and the rest")) == 13);
  pump(*c, *s);
  CHECK(textOf(s->takePlaintext()) == "first request and the rest");
}

TEST_CASE("tls 0-RTT: a core without early data issues tickets that allow none") {
  TlsConfig none;
  none.maxEarlyData = 0;
  Pair p(TlsConfig{}, selfSigned("edge"), none, selfSigned("core"));
  firstContact(p, "core-1");
  auto c = session(*p.clientCtx, "core-1");
  CHECK(c->earlyDataRoom() == 0);  // an ordinary resumption
  auto s = session(*p.serverCtx);
  pump(*c, *s);
  CHECK(c->resumed());
  CHECK(c->earlyData() == EarlyData::None);
}

TEST_CASE("tls 0-RTT: early data is capped by the ticket's allowance") {
  TlsConfig sc;
  sc.maxEarlyData = 1000;
  Pair p(TlsConfig{}, selfSigned("edge"), sc, selfSigned("core"));
  firstContact(p, "core-1");
  auto c = session(*p.clientCtx, "core-1");
  REQUIRE(c->earlyDataRoom() == 1000);
  Bytes big(3000, 0x61);
  CHECK(c->writeEarly(big) == 1000);
  CHECK(c->earlyDataRoom() == 0);
  CHECK(c->writeEarly(big) == 0);
  auto s = session(*p.serverCtx);
  pump(*c, *s);
  REQUIRE(s->state() == TlsState::Established);
  CHECK(s->takePlaintext() == Bytes(1000, 0x61));
}

TEST_CASE("tls 0-RTT: an edge configured without early data resumes in 1-RTT") {
  TlsConfig cc;
  cc.earlyData = false;
  Pair p(cc, selfSigned("edge"), TlsConfig{}, selfSigned("core"));
  firstContact(p, "core-1");
  auto c = session(*p.clientCtx, "core-1");
  CHECK(c->earlyDataRoom() == 0);
  auto s = session(*p.serverCtx);
  pump(*c, *s);
  CHECK(c->resumed());
  CHECK(c->earlyData() == EarlyData::None);
}

TEST_CASE("tls: tickets per peer are capped at maxTicketsPerPeer, across handshakes") {
  TlsConfig cc, sc;
  cc.maxTicketsPerPeer = 4;
  sc.ticketsPerHandshake = 6;
  Pair p(cc, selfSigned("edge"), sc, selfSigned("core"));
  firstContact(p, "core-1");
  CHECK(p.clientCtx->ticketCount("core-1") == 4);
  firstContact(p, "core-2");
  {
    auto c = session(*p.clientCtx, "core-1");  // resumes, and brings 6 more
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    (void)c->takePlaintext();
    REQUIRE(c->resumed());
  }
  CHECK(p.clientCtx->ticketCount("core-1") == 4);
  CHECK(p.clientCtx->ticketCount() == 8);
  for (int i = 0; i < 4; ++i) {
    CHECK(p.clientCtx->takeTicket("core-1") != nullptr);
  }
  CHECK(p.clientCtx->takeTicket("core-1") == nullptr);
  CHECK(p.clientCtx->peerCount() == 1);
}

TEST_CASE(
    "tls 0-RTT: simultaneous new flows to one peer each resume with early data, one ticket each") {
  // An edge opening several flows to one core at once (Outlook's EMSMDB, AsyncEMSMDB, NSPI, RFR
  // connections): each takes a ticket of its own, so each sends its first bytes as early data.
  Pair p;
  firstContact(p, "core-1");
  const size_t n = TlsConfig{}.ticketsPerHandshake;
  REQUIRE(n >= 2);
  REQUIRE(p.clientCtx->ticketCount("core-1") == n);
  std::vector<std::unique_ptr<TlsSession>> clients, servers;
  for (size_t i = 0; i <= n; ++i) {  // one more than there are tickets, all before any completes
    clients.push_back(session(*p.clientCtx, "core-1"));
    servers.push_back(session(*p.serverCtx));
  }
  CHECK(p.clientCtx->ticketCount("core-1") == 0);
  for (size_t i = 0; i < n; ++i) {
    REQUIRE(clients[i]->earlyDataRoom() > 0);
    std::string first = "first request of flow " + std::to_string(i);
    REQUIRE(clients[i]->writeEarly(bytesOf(first)) == first.size());
    servers[i]->receive(clients[i]->takeCiphertext());
    CHECK(servers[i]->earlyDataOpen());
    CHECK(textOf(servers[i]->takePlaintext()) == first);
  }
  CHECK(clients[n]->earlyDataRoom() == 0);  // no ticket left: a full handshake
  for (size_t i = 0; i <= n; ++i) {
    pump(*clients[i], *servers[i]);
    REQUIRE(clients[i]->state() == TlsState::Established);
    (void)clients[i]->takePlaintext();  // the NewSessionTickets
    CHECK(clients[i]->resumed() == (i < n));
    CHECK(clients[i]->earlyData() == (i < n ? EarlyData::Accepted : EarlyData::None));
    CHECK(servers[i]->earlyData() == (i < n ? EarlyData::Accepted : EarlyData::None));
  }
  // Each accepted ticket is spent (single use: section 8.1 and 8.2 as before). The flows brought
  // new tickets: OpenSSL sends one after a resumption (it replaces the one used) and
  // ticketsPerHandshake after a full handshake, so the pool grows to the bursts a peer sees,
  // up to the cap.
  CHECK(p.serverCtx->spentCount() == n);
  CHECK(p.clientCtx->ticketCount("core-1") == std::min(TlsConfig{}.maxTicketsPerPeer, n + n));
}

TEST_CASE("tls 0-RTT: the server's session cache is capped") {
  TlsConfig sc;
  sc.maxServerSessions = 2;
  Pair p(TlsConfig{}, selfSigned("edge"), sc, selfSigned("core"));
  for (const char* peer : {"a", "b", "c"}) {
    firstContact(p, peer);
  }
  CHECK(SSL_CTX_sess_number(p.serverCtx->native()) <= 2);
  // The oldest ticket's session went: no early data for it (a full handshake instead).
  auto c = session(*p.clientCtx, "a");
  REQUIRE(c->earlyDataRoom() > 0);
  c->writeEarly(bytesOf("x"));
  auto s = session(*p.serverCtx);
  pump(*c, *s);
  CHECK(c->earlyData() == EarlyData::Rejected);
  CHECK(textOf(s->takePlaintext()) == "x");
}

TEST_CASE("identity: configured PEM files (certificate, key, chain, CA bundle)") {
  bh::secure::test::TempDir t;
  LabCa ca("Lab CA");
  PeeringIdentity core = ca.issue("core");
  PeeringIdentity other = ca.issue("other");
  bh::secure::test::writePem(t.path / "core.pem", core.certificate.get());
  bh::secure::test::writeKeyPem(t.path / "core.key", core.privateKey.get());
  bh::secure::test::writeKeyPem(t.path / "other.key", other.privateKey.get());
  bh::secure::test::writePem(t.path / "ca.pem", ca.cert.get());
  PeeringIdentityFiles f;
  f.certificate = (t.path / "core.pem").string();
  f.privateKey = (t.path / "core.key").string();
  f.chain = (t.path / "ca.pem").string();
  f.caBundle = (t.path / "ca.pem").string();

  auto id = PeeringIdentity::loadFiles(f);
  REQUIRE_MESSAGE(id.ok(), id.error());
  CHECK_FALSE(id.value().defaultSelfSigned);
  CHECK(id.value().chain.size() == 1);
  CHECK(id.value().trustAnchors.size() == 1);

  SUBCASE("a key of another certificate") {
    f.privateKey = (t.path / "other.key").string();
    auto bad = PeeringIdentity::loadFiles(f);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().find("does not match") != std::string::npos);
  }
  SUBCASE("a missing CA bundle") {
    f.caBundle = (t.path / "nowhere.pem").string();
    CHECK_FALSE(PeeringIdentity::loadFiles(f).ok());
  }
  SUBCASE("a key file that is not PEM") {
    f.privateKey = f.caBundle;
    CHECK_FALSE(PeeringIdentity::loadFiles(f).ok());
  }
  SUBCASE("the loaded identity verifies against a peer with the same CA") {
    TlsConfig verify;
    verify.peerCertVerify = true;
    Pair p(verify, ca.issue("edge"), verify, id.value());
    auto c = session(*p.clientCtx);
    auto s = session(*p.serverCtx);
    pump(*c, *s);
    CHECK(c->state() == TlsState::Established);
    CHECK(s->state() == TlsState::Established);
    REQUIRE(c->peerCertificate() != nullptr);
  }
}

TEST_CASE("tls warm-up: a handshake with itself at start, on contexts of its own") {
  PeeringIdentity id = selfSigned("edge");
  TlsConfig cfg;
  cfg.peerCertVerify = true;  // our own certificate is not in a CA bundle: not verified here
  auto warm = warmUpTls(cfg, id);
  REQUIRE_MESSAGE(warm.ok(), warm.error());
  CHECK(warm.value() == "TLS_AES_256_GCM_SHA384");

  SUBCASE("settings no handshake can meet fail it, named") {
    TlsConfig bad;
    bad.ciphersuites = "TLS_NO_SUCH_SUITE";
    auto w = warmUpTls(bad, id);
    CHECK_FALSE(w.ok());
    CHECK_FALSE(w.error().empty());
  }
}
