// The pure decoders of secure/emapi: DER Kerberos messages (AP-REQ, AP-REP and their encrypted
// parts), the DCE/SPNEGO framing of auth_values, the wrap-token parser, RFC 3961 n-fold. Framed
// first and capped: every prefix of a message is need-more, never a misread; what is too large
// is refused from its header.
#include <doctest/doctest.h>

#include "secure/emapi/aes_cts_sealer.h"
#include "secure/emapi/ap_exchange.h"
#include "secure/emapi/dce_auth_token.h"
#include "secure/emapi/wrap_token.h"
#include "tests/unit/secure/emapi/emapi_vectors.h"

using namespace bh;
using namespace bh::secure::emapi;
using namespace bh::secure::emapi::test;

namespace {

ByteSpan authValueOf(const Bytes& pdu) {
  const size_t authLen = pdu[10] | pdu[11] << 8;
  return ByteSpan(pdu).subspan(pdu.size() - authLen);
}

/// A DER element (definite length, short or long form) for building messages in tests.
Bytes tlv(uint8_t tag, const Bytes& content) {
  Bytes out{tag};
  const size_t n = content.size();
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
  } else if (n < 0x100) {
    out.insert(out.end(), {0x81, static_cast<uint8_t>(n)});
  } else if (n < 0x10000) {
    out.insert(out.end(), {0x82, static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)});
  } else {
    out.insert(out.end(), {0x83, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
                           static_cast<uint8_t>(n)});
  }
  out.insert(out.end(), content.begin(), content.end());
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

Bytes integer(uint8_t v) {
  return tlv(0x02, {v});
}

Bytes str(const std::string& s) {
  return tlv(0x1b, Bytes(s.begin(), s.end()));
}

Bytes encData(int etype, size_t cipherLen) {
  return tlv(0x30, cat({tlv(0xa0, integer(static_cast<uint8_t>(etype))), tlv(0xa1, integer(1)),
                        tlv(0xa2, tlv(0x04, Bytes(cipherLen, 0x55)))}));
}

/// An AP-REQ with an sname of `components` parts and a ticket cipher of `cipherLen` bytes.
Bytes apReq(size_t components, size_t cipherLen = 64) {
  Bytes names;
  for (size_t i = 0; i < components; ++i) {
    names = cat({names, str("n" + std::to_string(i))});
  }
  Bytes sname = tlv(0x30, cat({tlv(0xa0, integer(2)), tlv(0xa1, tlv(0x30, names))}));
  Bytes ticket = tlv(0x61, tlv(0x30, cat({tlv(0xa0, integer(5)), tlv(0xa1, str("R")),
                                          tlv(0xa2, sname), tlv(0xa3, encData(18, cipherLen))})));
  return tlv(0x6e, tlv(0x30, cat({tlv(0xa0, integer(5)), tlv(0xa1, integer(14)),
                                  tlv(0xa2, tlv(0x03, {0, 0x20, 0, 0, 0})), tlv(0xa3, ticket),
                                  tlv(0xa4, encData(18, 32))})));
}

}  // namespace

TEST_CASE("emapi n-fold: RFC 3961 A.1's vectors") {
  auto nf = [](const std::string& s, size_t bits) {
    return toHex(nfold(ByteSpan(reinterpret_cast<const uint8_t*>(s.data()), s.size()), bits / 8));
  };
  CHECK(nf("012345", 64) == "be072631276b1955");
  CHECK(nf("password", 56) == "78a07b6caf85fa");
  CHECK(nf("Rough Consensus, and Running Code", 64) == "bb6ed30870b7f0e0");
  CHECK(nf("password", 168) == "59e4a8ca7c0385c3c37b3f6d2000247cb6e6bd5b3e");
  CHECK(nf("MASSACHVSETTS INSTITVTE OF TECHNOLOGY", 192) ==
        "db3b0d8f0b061e603282b308a50841229ad798fab9540c1b");
  CHECK(nf("Q", 168) == "518a54a215a8452a518a54a215a8452a518a54a215");
  CHECK(nf("ba", 168) == "fb25d531ae8974499f52fd92ea9857c4ba24cf297e");
  CHECK(nf("kerberos", 64) == "6b65726265726f73");
}

TEST_CASE("emapi AP-REQ/AP-REP: the captured ones decode; every prefix is need-more") {
  for (const char* name : {"aes_krb5", "aes_spnego", "rc4_krb5", "rc4_spnego"}) {
    const std::string caseName = name;
    CAPTURE(caseName);
    auto conn = loadCase(name)[0];
    const uint8_t authType =
        conn[0].bytes[conn[0].bytes.size() - authValueOf(conn[0].bytes).size() - 8];
    DceAuthToken bind;
    DceAuthToken ack;
    REQUIRE(readDceAuthToken(authType, authValueOf(conn[0].bytes), bind).ok());
    REQUIRE(readDceAuthToken(authType, authValueOf(conn[1].bytes), ack).ok());
    REQUIRE(bind.kind == KrbToken::ApReq);
    REQUIRE(ack.kind == KrbToken::ApRep);
    ApReq req;
    REQUIRE(decodeApReq(bind.message, req).consumed == bind.message.size());
    CHECK(req.serverName == "host/dc1.bhlab.test");
    CHECK(req.ticketRealm == "BHLAB.TEST");
    CHECK(req.ticket.etype == 18);
    CHECK(req.ticket.kvno == 1u);
    CHECK(req.apOptions == 0x20000000u);  // mutual-required (MS-KILE 3.4.5.1)
    CHECK(req.authenticator.etype == (caseName.starts_with("rc4") ? 23 : 18));
    ApRep rep;
    REQUIRE(decodeApRep(ack.message, rep).consumed == ack.message.size());
    for (size_t n = 0; n < bind.message.size(); ++n) {
      ParseResult r = decodeApReq(bind.message.first(n), req);
      REQUIRE(r.status == ParseStatus::NeedMore);
      CHECK(r.needed <= bind.message.size());
      CHECK(r.needed > n);
    }
    for (size_t n = 0; n < ack.message.size(); ++n) {
      REQUIRE(decodeApRep(ack.message.first(n), rep).status == ParseStatus::NeedMore);
    }
    // Every flipped byte: refused, or (the fields Kerberos leaves in the clear: the ticket's
    // realm and sname, ap-options, name-type, kvno) opened to the very same keys. Never a
    // misread, never a crash.
    Krb5Crypto crypto;
    const auto keys = dcKeys();
    OpenedApReq good;
    REQUIRE(openApReq(crypto, bind.message, keys, good).ok());
    size_t refused = 0;
    for (size_t i = 0; i < bind.message.size(); ++i) {
      Bytes bad(bind.message.begin(), bind.message.end());
      bad[i] ^= 0xff;
      OpenedApReq opened;
      if (!openApReq(crypto, bad, keys, opened).ok()) {
        ++refused;
        continue;
      }
      CHECK(opened.sessionKey.value == good.sessionKey.value);
      CHECK(opened.initiatorSubkey->value == good.initiatorSubkey->value);
      CHECK(opened.initiatorSeq == good.initiatorSeq);
    }
    CHECK(refused > bind.message.size() - 64);
  }
}

TEST_CASE("emapi AP-REQ: caps refuse from the header; name components capped; structure checked") {
  ApReq req;
  Bytes ok = apReq(2);
  REQUIRE(decodeApReq(ok, req).ok());
  CHECK(req.serverName == "n0/n1");
  CHECK(req.ticketRealm == "R");
  REQUIRE(decodeApReq(apReq(kMaxNameComponents), req).ok());
  CHECK_FALSE(decodeApReq(apReq(kMaxNameComponents + 1), req).ok());
  // Larger than kMaxApMessage: refused with the header alone, and whole.
  Bytes big = apReq(2, kMaxApMessage);
  REQUIRE(big.size() > kMaxApMessage);
  ParseResult head = decodeApReq(ByteSpan(big).first(5), req);
  CHECK(head.status == ParseStatus::Error);
  CHECK(head.error == "Kerberos message larger than its cap");
  CHECK(decodeApReq(big, req).status == ParseStatus::Error);
  // Just under the cap is read.
  Bytes under = apReq(2, kMaxApMessage - 200);
  REQUIRE(under.size() <= kMaxApMessage);
  CHECK(decodeApReq(under, req).ok());
  // Indefinite length (BER), five length octets, wrong outer tag, wrong msg-type.
  CHECK(decodeApReq(Bytes{0x6e, 0x80, 0x00, 0x00}, req).status == ParseStatus::Error);
  CHECK(decodeApReq(Bytes{0x6e, 0x85, 1, 0, 0, 0, 0}, req).status == ParseStatus::Error);
  CHECK(decodeApReq(Bytes{0x6f, 0x00}, req).status == ParseStatus::Error);
  Bytes wrongType = ok;
  // msg-type [1] INTEGER 14 (a1 03 02 01 0e) made 15.
  for (size_t i = 0; i + 4 < wrongType.size(); ++i) {
    if (wrongType[i] == 0xa1 && wrongType[i + 1] == 3 && wrongType[i + 4] == 14) {
      wrongType[i + 4] = 15;
      break;
    }
  }
  ParseResult r = decodeApReq(wrongType, req);
  CHECK(r.error == "AP-REQ with a wrong pvno or msg-type");
}

TEST_CASE("emapi auth tokens: SPNEGO legs name their MIC; garbage is refused") {
  auto conn = loadCase("aes_spnego")[0];
  // bind, bind_ack, alter_context, alter_context_resp
  REQUIRE(conn[2].ptype() == 14);
  REQUIRE(conn[3].ptype() == 15);
  DceAuthToken t;
  REQUIRE(readDceAuthToken(9, authValueOf(conn[0].bytes), t).ok());
  CHECK(t.kind == KrbToken::ApReq);
  CHECK_FALSE(t.mechListMic);
  REQUIRE(readDceAuthToken(9, authValueOf(conn[1].bytes), t).ok());
  CHECK(t.kind == KrbToken::ApRep);
  CHECK(t.negState == 1);  // accept-incomplete
  REQUIRE(readDceAuthToken(9, authValueOf(conn[2].bytes), t).ok());
  CHECK(t.kind == KrbToken::ApRep);
  CHECK(t.mechListMic);
  REQUIRE(readDceAuthToken(9, authValueOf(conn[3].bytes), t).ok());
  CHECK(t.kind == KrbToken::None);
  CHECK(t.negState == 0);  // accept-completed
  CHECK(t.mechListMic);
  // Every prefix of each leg is refused (a whole auth_value is framed by the PDU), no crash.
  for (int leg = 0; leg < 4; ++leg) {
    ByteSpan v = authValueOf(conn[leg].bytes);
    for (size_t n = 0; n < v.size(); ++n) {
      CHECK_FALSE(readDceAuthToken(9, v.first(n), t).ok());
    }
  }
  CHECK_FALSE(readDceAuthToken(10, authValueOf(conn[0].bytes), t).ok());  // NTLM
  CHECK_FALSE(readDceAuthToken(16, Bytes{0x30, 0x00}, t).ok());
}

TEST_CASE("emapi wrap tokens: the captured ones parse; prefixes, caps and bad fields are refused") {
  struct Want {
    const char* name;
    WrapKind kind;
    size_t size;
  };
  for (Want w :
       {Want{"aes_krb5", WrapKind::CfxWrap, 76}, Want{"rc4_krb5", WrapKind::ArcfourWrap, 45}}) {
    const std::string caseName = w.name;
    CAPTURE(caseName);
    const auto conns = loadCase(w.name);
    for (const VectorPdu& p : conns[0]) {
      if (p.ptype() != 0 && p.ptype() != 2) {
        continue;
      }
      ByteSpan v = authValueOf(p.bytes);
      WrapToken t;
      REQUIRE(parseWrapToken(v, t).ok());
      CHECK(t.kind == w.kind);
      CHECK(t.size == w.size);
      if (w.kind == WrapKind::CfxWrap) {
        CHECK(t.ec == 16);
        CHECK(t.rrc == 28);
        CHECK((t.flags & cfx::kSealed) != 0);
        CHECK(((t.flags & cfx::kSentByAcceptor) != 0) == (p.dir == Direction::FromAcceptor));
      }
      for (size_t n = 0; n < v.size(); ++n) {
        ParseResult r = parseWrapToken(v.first(n), t);
        CHECK(r.status != ParseStatus::Done);
        if (r.status == ParseStatus::NeedMore) {
          CHECK(r.needed > n);
        }
      }
      Bytes longer(v.begin(), v.end());
      longer.push_back(0);
      CHECK(parseWrapToken(longer, t).status == ParseStatus::Error);
    }
  }
  Bytes cfxTok = {0x05, 0x04, 0x06, 0xff, 0x00, 0x10, 0x00, 0x1c, 0, 0, 0, 0, 0, 0, 0, 1};
  cfxTok.resize(76, 0);
  WrapToken t;
  REQUIRE(parseWrapToken(cfxTok, t).ok());
  Bytes ecCap = cfxTok;
  ecCap[5] = static_cast<uint8_t>(cfx::kMaxEc + 16);
  ecCap.resize(16 + cfx::kMaxEc + 16 + 16 + 12 + 16, 0);
  CHECK(parseWrapToken(ecCap, t).error == "RFC 4121 wrap token EC over its cap");
  Bytes ecAtCap = cfxTok;
  ecAtCap[5] = static_cast<uint8_t>(cfx::kMaxEc);
  ecAtCap.resize(16 + cfx::kMaxEc + 16 + 12 + 16, 0);
  CHECK(parseWrapToken(ecAtCap, t).ok());
  Bytes rrc = cfxTok;
  rrc[7] = 0;
  CHECK(parseWrapToken(rrc, t).error == "RFC 4121 wrap token RRC is not 28 (DCE style)");
  Bytes flags = cfxTok;
  flags[2] = 0x08;
  CHECK(parseWrapToken(flags, t).error == "RFC 4121 token with unknown flags");
  Bytes filler = cfxTok;
  filler[3] = 0;
  CHECK(parseWrapToken(filler, t).status == ParseStatus::Error);
  CHECK(parseWrapToken(Bytes{0x06, 0x04, 0, 0}, t).status == ParseStatus::Error);
  Bytes mic = {0x04, 0x04, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 1};
  mic.resize(28, 0);
  REQUIRE(parseWrapToken(mic, t).ok());
  CHECK(t.kind == WrapKind::CfxMic);
}
