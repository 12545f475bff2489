// secure/emapi against the captures of tests/vectors/emapi: Samba's rpcclient and the Samba DC
// sealed these SAMR sessions (AES and RC4, auth_type 16 and 9), tshark decrypted them with the
// DC's keytab; our acceptor-side view must open the same bind, recover the same plaintext, follow
// each direction's sequence numbers, and seal the plaintext back into the very same bytes.
#include <doctest/doctest.h>
#include <openssl/rand.h>

#include <algorithm>

#include "secure/emapi/dce_auth_token.h"
#include "secure/emapi/kerberos_dce_session.h"
#include "tests/unit/secure/emapi/emapi_vectors.h"

using namespace bh;
using namespace bh::secure::emapi;
using namespace bh::secure::emapi::test;

namespace {

struct CaseExpect {
  const char* name;
  uint8_t authType;
  int32_t subkeyEtype;  ///< the initiator's and acceptor's subkeys
  int32_t sessionEtype;
  WrapKind kind;
  bool mechListMic;  ///< SPNEGO sessions where each side sent a mechListMIC
};

constexpr CaseExpect kCases[] = {
    {"aes_krb5", 16, 18, 18, WrapKind::CfxWrap, false},
    {"aes_spnego", 9, 18, 18, WrapKind::CfxWrap, true},
    {"rc4_krb5", 16, 23, 23, WrapKind::ArcfourWrap, false},
    {"rc4_spnego", 9, 23, 23, WrapKind::ArcfourWrap, false},
    // Packet integrity: MIC tokens, the stub in the clear.
    {"aes_krb5_sign", 16, 18, 18, WrapKind::CfxMic, false},
    {"rc4_spnego_sign", 9, 23, 23, WrapKind::ArcfourMic, false},
};

bool sealed(WrapKind k) {
  return k == WrapKind::CfxWrap || k == WrapKind::ArcfourWrap;
}

/// The stub of a request/response PDU (with padding) as bytes.
Bytes stubOf(const Bytes& pdu) {
  PduLayout l;
  REQUIRE(locatePdu(pdu, l).ok());
  return Bytes(pdu.begin() + static_cast<ptrdiff_t>(l.stubAt),
               pdu.begin() + static_cast<ptrdiff_t>(l.stubAt + l.stubLen));
}

}  // namespace

TEST_CASE(
    "emapi vectors: every session opens, unwraps to tshark's plaintext and re-seals bit for bit") {
  Krb5Crypto crypto;
  REQUIRE(crypto.ok());
  const auto keys = dcKeys();
  for (const CaseExpect& c : kCases) {
    const std::string caseName = c.name;
    CAPTURE(caseName);
    auto conns = loadCase(c.name);
    REQUIRE(conns.size() == 2);  // querydominfo and enumdomusers each open a connection
    size_t protectedPdus = 0;
    for (const VectorConnection& conn : conns) {
      KerberosDceSession s(crypto, keys);
      uint64_t firstSeq[2] = {0, 0};
      bool seen[2] = {false, false};
      for (const VectorPdu& p : conn) {
        CAPTURE(int(p.ptype()));
        if (isBindLeg(p.ptype())) {
          ParseResult r = s.observeBindLeg(p.dir, p.bytes);
          REQUIRE_MESSAGE(r.ok(), r.error);
          continue;
        }
        REQUIRE(s.established());
        const int d = p.dir == Direction::FromInitiator ? 0 : 1;
        const uint64_t due = s.nextReceived(p.dir);
        Bytes stub;
        Unwrapped info;
        ParseResult r = s.unwrap(p.dir, p.bytes, stub, info);
        REQUIRE_MESSAGE(r.ok(), r.error);
        CHECK(info.kind == c.kind);
        CHECK(info.seq == due);
        if (!seen[d]) {
          firstSeq[d] = info.seq;
          seen[d] = true;
        }
        // tshark's plaintext (stub and padding) is ours; at packet integrity, the stub as sent.
        PduLayout l;
        REQUIRE(locatePdu(p.bytes, l).ok());
        const Bytes want = sealed(c.kind) ? p.tsharkPlain : stubOf(p.bytes);
        REQUIRE(!want.empty());
        Bytes wantStub(want.begin(), want.end() - static_cast<ptrdiff_t>(l.padLen));
        CHECK(stub == wantStub);
        // Round trip: the plaintext PDU sealed again with the same number and confounder.
        Bytes plain;
        Unwrapped again;
        REQUIRE(unwrapPdu(crypto, s.keys(), p.dir, p.bytes, plain, again).ok());
        CHECK(stubOf(plain) == want);
        Bytes resealed = plain;
        REQUIRE(sealPdu(crypto, s.keys(), p.dir, again, resealed));
        CHECK(resealed == p.bytes);
        ++protectedPdus;
      }
      REQUIRE(s.established());
      CHECK(s.authType() == c.authType);
      CHECK(s.apReq().client == "alice@BHLAB.TEST");
      CHECK(s.apReq().server == "host/dc1.bhlab.test@BHLAB.TEST");
      CHECK(s.apReq().ticketEtype == 18);  // DC1$ supports AES: the ticket is AES in every case
      CHECK(s.apReq().ticketKvno == 1);
      CHECK((s.apReq().gssFlags & kGssDceStyle) != 0);
      CHECK(s.keys().sessionKey.enctype == c.sessionEtype);
      REQUIRE(s.keys().initiatorSubkey);
      REQUIRE(s.keys().acceptorSubkey);
      CHECK(s.keys().initiatorSubkey->enctype == c.subkeyEtype);
      CHECK(s.keys().acceptorSubkey->enctype == c.subkeyEtype);
      CHECK(s.keys().headerSigning);
      // Where each direction starts (emapi-lab.md 4.4): the AP exchange's numbers, one further
      // after a mechListMIC.
      REQUIRE(seen[0]);
      REQUIRE(seen[1]);
      const uint64_t mic = c.mechListMic ? 1 : 0;
      CHECK(firstSeq[0] == uint64_t{*s.apReq().initiatorSeq} + mic);
    }
    CHECK(protectedPdus == 24);
  }
}

TEST_CASE(
    "emapi vectors: what we seal with a fresh confounder, MIT (AES) and our RFC 4757 opener read "
    "back") {
  Krb5Crypto crypto;
  const auto keys = dcKeys();
  for (const CaseExpect& c : kCases) {
    if (!sealed(c.kind)) {
      continue;  // a MIC has no confounder: the round trip above covers it
    }
    const std::string caseName = c.name;
    CAPTURE(caseName);
    auto conns = loadCase(c.name);
    KerberosDceSession s(crypto, keys);
    for (const VectorPdu& p : conns[0]) {
      if (isBindLeg(p.ptype())) {
        REQUIRE(s.observeBindLeg(p.dir, p.bytes).ok());
        continue;
      }
      Bytes plain;
      Unwrapped info;
      REQUIRE(unwrapPdu(crypto, s.keys(), p.dir, p.bytes, plain, info).ok());
      Unwrapped fresh = info;
      REQUIRE(RAND_bytes(fresh.confounder.data(), static_cast<int>(fresh.confounder.size())) == 1);
      Bytes sealed = plain;
      REQUIRE(sealPdu(crypto, s.keys(), p.dir, fresh, sealed));
      CHECK(sealed != p.bytes);
      Bytes back;
      Unwrapped read;
      ParseResult r = unwrapPdu(crypto, s.keys(), p.dir, sealed, back, read);
      REQUIRE_MESSAGE(r.ok(), r.error);
      CHECK(stubOf(back) == stubOf(plain));
      CHECK(read.seq == info.seq);
      CHECK(read.confounder == fresh.confounder);
    }
  }
}

TEST_CASE("emapi vectors: MIT's own sealing (krb5_c_encrypt_iov) of a PDU opens with our unwrap") {
  // The other direction of the AES cross-check: MIT seals, with its own confounder, the
  // buffers in the DCE order; unwrapPdu must read it.
  Krb5Crypto crypto;
  const auto keys = dcKeys();
  auto conns = loadCase("aes_krb5");
  KerberosDceSession s(crypto, keys);
  for (const VectorPdu& p : conns[0]) {
    if (isBindLeg(p.ptype())) {
      REQUIRE(s.observeBindLeg(p.dir, p.bytes).ok());
      continue;
    }
    Bytes plain;
    Unwrapped info;
    REQUIRE(unwrapPdu(crypto, s.keys(), p.dir, p.bytes, plain, info).ok());
    // Our seal writes the token header and encrypted header copy; then MIT re-encrypts the same
    // plaintext buffers in place with a confounder of its own.
    Bytes mine = plain;
    REQUIRE(sealPdu(crypto, s.keys(), p.dir, info, mine));
    Bytes viaMit = plain;
    PduLayout l;
    REQUIRE(locatePdu(viaMit, l).ok());
    uint8_t* v = viaMit.data() + l.verifierAt;
    std::copy_n(mine.begin() + static_cast<ptrdiff_t>(l.verifierAt), 16, v);
    std::fill(v + 16, v + 32, 0xff);
    std::copy_n(mine.begin() + static_cast<ptrdiff_t>(l.verifierAt), 16, v + 32);
    v[32 + 6] = v[32 + 7] = 0;  // RRC zero in the encrypted copy
    std::vector<CryptoIov> iov = {
        {CryptoIov::Type::Header, v + 60, 16},
        {CryptoIov::Type::SignOnly, viaMit.data(), l.stubAt},
        {CryptoIov::Type::Data, viaMit.data() + l.stubAt, l.stubLen},
        {CryptoIov::Type::SignOnly, viaMit.data() + l.trailerAt, 8},
        {CryptoIov::Type::Data, v + 16, 32},
        {CryptoIov::Type::Trailer, v + 48, 12},
    };
    const int32_t usage = p.dir == Direction::FromInitiator ? 24 : 22;
    REQUIRE(crypto.encryptIov(*s.keys().acceptorSubkey, usage, iov));
    Bytes back;
    Unwrapped read;
    ParseResult r = unwrapPdu(crypto, s.keys(), p.dir, viaMit, back, read);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(stubOf(back) == stubOf(plain));
  }
}

TEST_CASE(
    "emapi vectors: one flipped bit anywhere in a sealed PDU fails the unwrap, never crashes") {
  Krb5Crypto crypto;
  const auto keys = dcKeys();
  for (const char* name : {"aes_krb5", "rc4_spnego", "aes_krb5_sign", "rc4_spnego_sign"}) {
    const std::string caseName = name;
    CAPTURE(caseName);
    auto conns = loadCase(name);
    KerberosDceSession s(crypto, keys);
    std::vector<VectorPdu> sealedPdus;
    for (const VectorPdu& p : conns[0]) {
      if (isBindLeg(p.ptype())) {
        REQUIRE(s.observeBindLeg(p.dir, p.bytes).ok());
      } else {
        sealedPdus.push_back(p);
      }
    }
    REQUIRE(sealedPdus.size() >= 2);
    for (const VectorPdu& p : {sealedPdus[0], sealedPdus[1]}) {
      Bytes plain;
      Unwrapped info;
      REQUIRE(unwrapPdu(crypto, s.keys(), p.dir, p.bytes, plain, info).ok());
      const uint64_t goodSeq = info.seq;
      size_t failed = 0;
      for (size_t i = 0; i < p.bytes.size(); ++i) {
        Bytes bad = p.bytes;
        bad[i] ^= 0x01;
        if (!unwrapPdu(crypto, s.keys(), p.dir, bad, plain, info).ok()) {
          ++failed;
        } else if (info.kind == WrapKind::ArcfourMic && info.seq != goodSeq) {
          // RFC 4757 7.2: SND_SEQ is outside SGN_CKSUM (encrypted under a key derived from it),
          // so a flipped bit there opens as another number, which the session's sequence
          // check refuses (the real acceptor does the same).
          ++failed;
        } else {
          FAIL_CHECK("byte " << i << " of " << p.bytes.size() << " flipped and still opened");
        }
      }
      CHECK(failed == p.bytes.size());
      // Every truncation is refused (frag_length no longer matches), and so is every truncation
      // with frag_length patched to fit.
      for (size_t n = 0; n < p.bytes.size(); ++n) {
        Bytes cut(p.bytes.begin(), p.bytes.begin() + static_cast<ptrdiff_t>(n));
        CHECK_FALSE(unwrapPdu(crypto, s.keys(), p.dir, cut, plain, info).ok());
        if (n >= 16) {
          cut[8] = static_cast<uint8_t>(n);
          cut[9] = static_cast<uint8_t>(n >> 8);
          CHECK_FALSE(unwrapPdu(crypto, s.keys(), p.dir, cut, plain, info).ok());
        }
      }
      // The wrong direction's usage and flags.
      Direction other =
          p.dir == Direction::FromInitiator ? Direction::FromAcceptor : Direction::FromInitiator;
      CHECK_FALSE(unwrapPdu(crypto, s.keys(), other, p.bytes, plain, info).ok());
    }
  }
}

TEST_CASE("emapi vectors: a replayed, dropped or reordered PDU is out of sequence") {
  Krb5Crypto crypto;
  const auto keys = dcKeys();
  for (const char* name : {"aes_spnego", "rc4_krb5"}) {
    const std::string caseName = name;
    CAPTURE(caseName);
    auto conns = loadCase(name);
    std::vector<VectorPdu> requests;
    for (const VectorPdu& p : conns[0]) {
      if (p.ptype() == 0) {
        requests.push_back(p);
      }
    }
    REQUIRE(requests.size() >= 3);
    auto established = [&](KerberosDceSession& s) {
      for (const VectorPdu& p : conns[0]) {
        if (isBindLeg(p.ptype())) {
          REQUIRE(s.observeBindLeg(p.dir, p.bytes).ok());
        }
      }
    };
    Bytes stub;
    Unwrapped info;
    {
      KerberosDceSession s(crypto, keys);
      established(s);
      const uint64_t sent = s.nextSent(Direction::FromInitiator);
      REQUIRE(s.unwrap(Direction::FromInitiator, requests[0].bytes, stub, info).ok());
      const uint64_t due = s.nextReceived(Direction::FromInitiator);
      CHECK(due == sent + 1);  // receiving does not advance the sent number
      ParseResult r = s.unwrap(Direction::FromInitiator, requests[0].bytes, stub, info);
      CHECK_FALSE(r.ok());
      CHECK(r.error.find("sequence number") != std::string::npos);
      // A refused PDU changes nothing: the caller decides (issue 18).
      CHECK(s.state() == KerberosDceSession::State::Established);
      CHECK(s.nextReceived(Direction::FromInitiator) == due);
      CHECK(s.nextSent(Direction::FromInitiator) == sent);
    }
    {
      KerberosDceSession s(crypto, keys);
      established(s);
      const uint64_t due = s.nextReceived(Direction::FromInitiator);
      CHECK_FALSE(s.unwrap(Direction::FromInitiator, requests[1].bytes, stub, info).ok());
      CHECK(s.nextReceived(Direction::FromInitiator) == due);
      // The PDU that was due still opens.
      CHECK(s.unwrap(Direction::FromInitiator, requests[0].bytes, stub, info).ok());
      CHECK(s.nextReceived(Direction::FromInitiator) == due + 1);
    }
  }
}

TEST_CASE("emapi vectors: the bind legs out of order, a wrong key, an unknown kvno are named") {
  Krb5Crypto crypto;
  auto conns = loadCase("aes_krb5");
  const VectorConnection& c = conns[0];
  REQUIRE(c[0].ptype() == 11);
  REQUIRE(c[1].ptype() == 12);
  {
    KerberosDceSession s(crypto, dcKeys());
    ParseResult r = s.observeBindLeg(Direction::FromAcceptor, c[1].bytes);
    CHECK_FALSE(r.ok());
    CHECK(r.error == "expected a bind from the client");
  }
  {
    auto keys = dcKeys();
    for (auto& k : keys) {
      k.value[0] ^= 1;
    }
    KerberosDceSession s(crypto, keys);
    ParseResult r = s.observeBindLeg(Direction::FromInitiator, c[0].bytes);
    CHECK_FALSE(r.ok());
    CHECK(r.error == "the ticket does not decrypt with the service key (etype 18 kvno 1)");
  }
  {
    auto keys = dcKeys();
    std::erase_if(keys, [](const auto& k) { return k.etype == 18; });
    KerberosDceSession s(crypto, keys);
    ParseResult r = s.observeBindLeg(Direction::FromInitiator, c[0].bytes);
    CHECK(r.error == "no service key for the ticket (etype 18 kvno 1)");
  }
  {
    // A key of another kvno still opens the ticket (AD's kvno can lag a replication).
    auto keys = dcKeys();
    for (auto& k : keys) {
      k.kvno = 7;
    }
    KerberosDceSession s(crypto, keys);
    CHECK(s.observeBindLeg(Direction::FromInitiator, c[0].bytes).ok());
    CHECK(s.apReq().ticketKvno == 7);
  }
  {
    // A bind_ack from the other connection: rpcclient used the same ticket (same session key)
    // for both, so its AP-REP decrypts, but it answers another authenticator.
    auto other = loadCase("aes_krb5")[1];
    KerberosDceSession s(crypto, dcKeys());
    REQUIRE(s.observeBindLeg(Direction::FromInitiator, c[0].bytes).ok());
    ParseResult r = s.observeBindLeg(Direction::FromAcceptor, other[1].bytes);
    CHECK(r.error == "the AP-REP does not answer this AP-REQ (ctime/cusec differ)");
  }
  {
    // The server refuses the bind: bind_nak (reason 1), no auth trailer.
    KerberosDceSession s(crypto, dcKeys());
    REQUIRE(s.observeBindLeg(Direction::FromInitiator, c[0].bytes).ok());
    const Bytes nak = {0x05, 0x00, 0x0d, 0x03, 0x10, 0x00, 0x00, 0x00, 0x12,
                       0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00};
    CHECK(s.observeBindLeg(Direction::FromAcceptor, nak).error == "bind_nak");
    CHECK(s.state() == KerberosDceSession::State::Failed);
  }
  {
    // A bind_ack of another session key (the RC4 capture's): does not decrypt.
    auto other = loadCase("rc4_krb5")[0];
    KerberosDceSession s(crypto, dcKeys());
    REQUIRE(s.observeBindLeg(Direction::FromInitiator, c[0].bytes).ok());
    ParseResult r = s.observeBindLeg(Direction::FromAcceptor, other[1].bytes);
    CHECK(r.error == "the AP-REP does not decrypt with the ticket's session key");
  }
}
