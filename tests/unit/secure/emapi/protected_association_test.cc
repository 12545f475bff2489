// KerberosProtectedAssociation (the MAPI AO's ProtectedAssociation, issue 18) against the captures
// of tests/vectors/emapi: every sealed or signed PDU opens to the plain PDU the halves read and
// seals back into what Samba sends (same padding, trailer and token; at integrity the same
// bytes); sealing with a shifted numbering (a local answer, a kept request) gives PDUs an
// independent receiver opens with the numbers it expects; a refused PDU changes nothing; the
// context exported after the bind_ack lets another association observe the third leg itself.
#include <doctest/doctest.h>

#include "secure/emapi/kerberos_protected_association.h"
#include "tests/unit/secure/emapi/emapi_vectors.h"

using namespace bh;
using namespace bh::secure::emapi;
using namespace bh::secure::emapi::test;
using bh::mapi::dcerpc::Sender;

namespace {

struct AssocCase {
  const char* name;
  const char* describe;
  bool privacy;
};

constexpr AssocCase kAssocCases[] = {
    {"aes_krb5", "Kerberos aes256-cts-hmac-sha1-96 packet privacy", true},
    {"aes_spnego", "Kerberos (SPNEGO) aes256-cts-hmac-sha1-96 packet privacy", true},
    {"rc4_krb5", "Kerberos arcfour-hmac packet privacy", true},
    {"rc4_spnego", "Kerberos (SPNEGO) arcfour-hmac packet privacy", true},
    {"aes_krb5_sign", "Kerberos aes256-cts-hmac-sha1-96 packet integrity", false},
    {"rc4_spnego_sign", "Kerberos (SPNEGO) arcfour-hmac packet integrity", false},
};

Sender senderOf(Direction d) {
  return d == Direction::FromInitiator ? Sender::Client : Sender::Server;
}

uint16_t le16(const Bytes& b, size_t at) {
  return static_cast<uint16_t>(b[at] | b[at + 1] << 8);
}

/// The stub (without padding) the capture says a protected PDU carries: tshark's plaintext when
/// sealed, the stub as sent when signed.
Bytes expectedStub(const VectorPdu& p) {
  PduLayout l;
  REQUIRE(locatePdu(p.bytes, l).ok());
  Bytes withPad = l.authLevel == 6 ? p.tsharkPlain
                                   : Bytes(p.bytes.begin() + static_cast<ptrdiff_t>(l.stubAt),
                                           p.bytes.begin() + static_cast<ptrdiff_t>(l.trailerAt));
  REQUIRE(withPad.size() == l.stubLen);
  return Bytes(withPad.begin(), withPad.end() - static_cast<ptrdiff_t>(l.padLen));
}

/// Observes every bind leg of `conn` before its first request.
void observeBind(KerberosProtectedAssociation& a, const VectorConnection& conn) {
  for (const VectorPdu& p : conn) {
    if (isBindLeg(p.ptype())) {
      ParseResult r = a.observeBindLeg(senderOf(p.dir), p.bytes);
      REQUIRE_MESSAGE(r.ok(), r.error);
    }
  }
  REQUIRE(a.established());
}

std::vector<VectorPdu> protectedPdus(const VectorConnection& conn) {
  std::vector<VectorPdu> out;
  for (const VectorPdu& p : conn) {
    if (!isBindLeg(p.ptype())) {
      out.push_back(p);
    }
  }
  return out;
}

/// Opens `pdu` as an independent receiver would: the token's own number.
uint64_t numberIn(const Krb5Crypto& crypto, const KerberosDceSession& s, Direction d,
                  const Bytes& pdu) {
  Bytes plain;
  Unwrapped info;
  ParseResult r = unwrapPdu(crypto, s.keys(), d, pdu, plain, info);
  REQUIRE_MESSAGE(r.ok(), r.error);
  return info.seq;
}

}  // namespace

TEST_CASE("emapi association: every capture unwraps to plain PDUs that seal back as Samba's") {
  Krb5Crypto crypto;
  REQUIRE(crypto.ok());
  for (const AssocCase& c : kAssocCases) {
    const std::string caseName = c.name;
    CAPTURE(caseName);
    size_t opened = 0;
    for (const VectorConnection& conn : loadCase(c.name)) {
      KerberosProtectedAssociation a(crypto, dcKeys());
      CHECK_FALSE(a.keyed());
      CHECK(a.exportContext().empty());  // nothing to hand over before the bind_ack
      for (const VectorPdu& p : conn) {
        const Sender from = senderOf(p.dir);
        if (isBindLeg(p.ptype())) {
          ParseResult r = a.observeBindLeg(from, p.bytes);
          REQUIRE_MESSAGE(r.ok(), r.error);
          CHECK(a.keyed() == (p.ptype() != 11));
          continue;
        }
        REQUIRE(a.established());
        const uint64_t due = a.nextReceived(from);
        CHECK(a.nextSent(from) == due);  // nothing answered or kept: the numberings agree
        CHECK(numberIn(crypto, a.session(), p.dir, p.bytes) == due);
        Bytes plain;
        ParseResult r = a.unwrap(from, p.bytes, plain);
        REQUIRE_MESSAGE(r.ok(), r.error);
        CHECK(a.nextReceived(from) == due + 1);
        // The plain PDU: header as received but the lengths, stub in the clear without padding.
        PduLayout l;
        REQUIRE(locatePdu(p.bytes, l).ok());
        REQUIRE(plain.size() == l.stubAt + expectedStub(p).size());
        CHECK(Bytes(plain.begin() + static_cast<ptrdiff_t>(l.stubAt), plain.end()) ==
              expectedStub(p));
        CHECK(le16(plain, 8) == plain.size());
        CHECK(le16(plain, 10) == 0);
        CHECK(Bytes(plain.begin(), plain.begin() + 8) ==
              Bytes(p.bytes.begin(), p.bytes.begin() + 8));
        CHECK(Bytes(plain.begin() + 12, plain.begin() + static_cast<ptrdiff_t>(l.stubAt)) ==
              Bytes(p.bytes.begin() + 12, p.bytes.begin() + static_cast<ptrdiff_t>(l.stubAt)));
        // Sealed again as this box's next PDU for that sender: Samba's layout (padding to 16,
        // sec_trailer, token size), the same number; at integrity the very same bytes.
        Bytes again;
        REQUIRE(a.seal(from, plain, again));
        CHECK(a.nextSent(from) == due + 1);
        REQUIRE(again.size() == p.bytes.size());
        CHECK(Bytes(again.begin(), again.begin() + static_cast<ptrdiff_t>(l.stubAt)) ==
              Bytes(p.bytes.begin(), p.bytes.begin() + static_cast<ptrdiff_t>(l.stubAt)));
        CHECK(Bytes(again.begin() + static_cast<ptrdiff_t>(l.trailerAt),
                    again.begin() + static_cast<ptrdiff_t>(l.verifierAt)) ==
              Bytes(p.bytes.begin() + static_cast<ptrdiff_t>(l.trailerAt),
                    p.bytes.begin() + static_cast<ptrdiff_t>(l.verifierAt)));
        if (c.privacy) {
          CHECK(again != p.bytes);  // a fresh confounder
        } else {
          CHECK(again == p.bytes);
        }
        CHECK(numberIn(crypto, a.session(), p.dir, again) == due);
        Bytes reopened;
        Unwrapped info;
        REQUIRE(unwrapPdu(crypto, a.session().keys(), p.dir, again, reopened, info).ok());
        PduLayout l2;
        REQUIRE(locatePdu(reopened, l2).ok());
        CHECK(Bytes(reopened.begin() + static_cast<ptrdiff_t>(l2.stubAt),
                    reopened.begin() + static_cast<ptrdiff_t>(l2.trailerAt - l2.padLen)) ==
              expectedStub(p));
        ++opened;
      }
      CHECK(a.describe() == c.describe);
      CHECK(a.why().empty());
    }
    CHECK(opened == 24);  // querydominfo's 14 and enumdomusers' 10
  }
}

TEST_CASE("emapi association: renumbered PDUs open at an independent receiver, AES and RC4") {
  Krb5Crypto crypto;
  for (const char* name : {"aes_krb5", "aes_spnego", "rc4_krb5", "rc4_spnego_sign"}) {
    const std::string caseName = name;
    CAPTURE(caseName);
    const VectorConnection conn = loadCase(name)[0];
    // `box` reads the capture as the middle does; `client` and `server` stand for the two ends:
    // imported from the box's context after the bind, they expect the numbers each end expects.
    KerberosProtectedAssociation box(crypto, dcKeys());
    observeBind(box, conn);
    std::string why;
    auto client = KerberosProtectedAssociation::importContext(crypto, box.exportContext(), why);
    auto server = KerberosProtectedAssociation::importContext(crypto, box.exportContext(), why);
    REQUIRE_MESSAGE(client, why);
    REQUIRE_MESSAGE(server, why);
    REQUIRE(client->established());
    const uint64_t firstResponse = box.nextReceived(Sender::Server);
    const uint64_t firstRequest = box.nextReceived(Sender::Client);
    bool answeredLocally = false;
    bool keptOne = false;
    size_t requests = 0;
    for (const VectorPdu& p : protectedPdus(conn)) {
      const Sender from = senderOf(p.dir);
      Bytes plain;
      REQUIRE(box.unwrap(from, p.bytes, plain).ok());
      if (from == Sender::Client && ++requests == 2 && !keptOne) {
        // The box answers this request itself: it never reaches the server, so every request
        // after it goes out one number lower than it came in.
        keptOne = true;
        continue;
      }
      if (from == Sender::Server && !answeredLocally) {
        // A local answer first (here: the same plain response), one number the server never
        // used; every response after it goes out one number higher than it came in.
        answeredLocally = true;
        Bytes local;
        REQUIRE(box.seal(Sender::Server, plain, local));
        CHECK(numberIn(crypto, box.session(), p.dir, local) == firstResponse);
        Bytes seen;
        ParseResult r = client->unwrap(Sender::Server, local, seen);
        REQUIRE_MESSAGE(r.ok(), r.error);
        CHECK(seen == plain);
        // The server's own response as it came would now be out of sequence at the client.
        r = client->unwrap(Sender::Server, p.bytes, seen);
        CHECK_FALSE(r.ok());
        CHECK(r.error.find("sequence number") != std::string::npos);
      }
      Bytes out;
      REQUIRE(box.seal(from, plain, out));
      const uint64_t shifted = from == Sender::Server ? box.nextReceived(from)  // +1 -1
                                                      : box.nextReceived(from) - (keptOne ? 2 : 1);
      CHECK(numberIn(crypto, box.session(), p.dir, out) == shifted);
      KerberosProtectedAssociation& receiver = from == Sender::Server ? *client : *server;
      Bytes seen;
      ParseResult r = receiver.unwrap(from, out, seen);
      REQUIRE_MESSAGE(r.ok(), r.error);
      CHECK(seen == plain);
    }
    REQUIRE(keptOne);
    REQUIRE(answeredLocally);
    // Seven responses in, eight out; seven requests in, six out.
    CHECK(box.nextReceived(Sender::Server) == firstResponse + 7);
    CHECK(box.nextSent(Sender::Server) == firstResponse + 8);
    CHECK(box.nextReceived(Sender::Client) == firstRequest + 7);
    CHECK(box.nextSent(Sender::Client) == firstRequest + 6);
    CHECK(client->nextReceived(Sender::Server) == box.nextSent(Sender::Server));
    CHECK(server->nextReceived(Sender::Client) == box.nextSent(Sender::Client));
    // The numbers travel with the context: an association imported now continues them.
    auto later = KerberosProtectedAssociation::importContext(crypto, box.exportContext(), why);
    REQUIRE(later);
    CHECK(later->nextReceived(Sender::Server) == box.nextReceived(Sender::Server));
    CHECK(later->nextSent(Sender::Server) == box.nextSent(Sender::Server));
    CHECK(later->nextReceived(Sender::Client) == box.nextReceived(Sender::Client));
    CHECK(later->nextSent(Sender::Client) == box.nextSent(Sender::Client));
  }
}

TEST_CASE("emapi association: a refused PDU changes no number and the next good one opens") {
  Krb5Crypto crypto;
  for (const char* name : {"aes_krb5", "rc4_spnego", "aes_krb5_sign", "rc4_spnego_sign"}) {
    const std::string caseName = name;
    CAPTURE(caseName);
    const VectorConnection conn = loadCase(name)[0];
    KerberosProtectedAssociation a(crypto, dcKeys());
    observeBind(a, conn);
    const auto pdus = protectedPdus(conn);
    const VectorPdu& first = pdus[0];
    REQUIRE(first.dir == Direction::FromInitiator);
    auto numbers = [&] {
      return std::vector<uint64_t>{a.nextReceived(Sender::Client), a.nextSent(Sender::Client),
                                   a.nextReceived(Sender::Server), a.nextSent(Sender::Server)};
    };
    const auto before = numbers();
    PduLayout l;
    REQUIRE(locatePdu(first.bytes, l).ok());
    Bytes plain;
    // A flipped verifier bit, a flipped stub bit, the wrong sender, a PDU in the clear.
    Bytes badVerifier = first.bytes;
    badVerifier[badVerifier.size() - 1] ^= 0x01;
    Bytes badStub = first.bytes;
    badStub[l.stubAt] ^= 0x80;
    Bytes clear(first.bytes.begin(), first.bytes.begin() + static_cast<ptrdiff_t>(l.trailerAt));
    clear[8] = static_cast<uint8_t>(clear.size());
    clear[9] = static_cast<uint8_t>(clear.size() >> 8);
    clear[10] = clear[11] = 0;
    for (const Bytes* bad : {&badVerifier, &badStub, &clear}) {
      CHECK_FALSE(a.unwrap(Sender::Client, *bad, plain).ok());
      CHECK(numbers() == before);
      CHECK(a.established());
      CHECK(a.why().empty());
    }
    CHECK_FALSE(a.unwrap(Sender::Server, first.bytes, plain).ok());
    CHECK(numbers() == before);
    // A later PDU (a number skipped) is refused too, and changes nothing.
    CHECK_FALSE(a.unwrap(Sender::Client, pdus[2].bytes, plain).ok());
    CHECK(numbers() == before);
    // The good PDU still opens, then a replay of it is refused.
    ParseResult r = a.unwrap(Sender::Client, first.bytes, plain);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(a.nextReceived(Sender::Client) == before[0] + 1);
    CHECK(a.nextSent(Sender::Client) == before[1]);
    CHECK_FALSE(a.unwrap(Sender::Client, first.bytes, plain).ok());
    CHECK(a.nextReceived(Sender::Client) == before[0] + 1);
    CHECK(a.unwrap(Sender::Server, pdus[1].bytes, plain).ok());
  }
}

TEST_CASE(
    "emapi association: exported after the bind_ack, the edge observes the third leg itself") {
  Krb5Crypto crypto;
  for (const AssocCase& c : kAssocCases) {
    const std::string caseName = c.name;
    CAPTURE(caseName);
    const VectorConnection conn = loadCase(c.name)[0];
    KerberosProtectedAssociation core(crypto, dcKeys());
    REQUIRE(core.observeBindLeg(Sender::Client, conn[0].bytes).ok());
    CHECK(core.exportContext().empty());
    REQUIRE(core.observeBindLeg(Sender::Server, conn[1].bytes).ok());
    REQUIRE(core.keyed());
    REQUIRE_FALSE(core.established());
    const Bytes ctx = core.exportContext();
    REQUIRE_FALSE(ctx.empty());
    std::string why;
    auto edge = KerberosProtectedAssociation::importContext(crypto, ctx, why);
    REQUIRE_MESSAGE(edge, why);
    CHECK(edge->keyed());
    CHECK_FALSE(edge->established());
    CHECK(edge->describe() == c.describe);
    // Before its third leg the edge opens nothing.
    Bytes plain;
    CHECK_FALSE(edge->unwrap(Sender::Client, protectedPdus(conn)[0].bytes, plain).ok());
    size_t opened = 0;
    for (size_t i = 2; i < conn.size(); ++i) {
      const VectorPdu& p = conn[i];
      if (isBindLeg(p.ptype())) {
        ParseResult r = edge->observeBindLeg(senderOf(p.dir), p.bytes);
        REQUIRE_MESSAGE(r.ok(), r.error);
        continue;
      }
      REQUIRE(edge->established());
      ParseResult r = edge->unwrap(senderOf(p.dir), p.bytes, plain);
      REQUIRE_MESSAGE(r.ok(), r.error);
      CHECK(Bytes(plain.end() - static_cast<ptrdiff_t>(expectedStub(p).size()), plain.end()) ==
            expectedStub(p));
      ++opened;
    }
    CHECK(opened == 14);
  }
}
