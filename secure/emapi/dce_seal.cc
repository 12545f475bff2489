#include "secure/emapi/dce_seal.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <vector>

#include "common/bytes.h"
#include "secure/emapi/aes_cts_sealer.h"
#include "secure/emapi/arcfour_sealer.h"

namespace bh::secure::emapi {

namespace {

constexpr uint8_t kLevelIntegrity = 5;
constexpr uint8_t kLevelPrivacy = 6;
constexpr int32_t kUsageAcceptorSeal = 22;
constexpr int32_t kUsageAcceptorSign = 23;
constexpr int32_t kUsageInitiatorSeal = 24;
constexpr int32_t kUsageInitiatorSign = 25;

const KeyBlock* cfxKey(const ContextKeys& keys, uint8_t flags) {
  if ((flags & cfx::kAcceptorSubkey) != 0) {
    return keys.acceptorSubkey ? &*keys.acceptorSubkey : nullptr;
  }
  return keys.initiatorSubkey ? &*keys.initiatorSubkey : &keys.sessionKey;
}

/// RFC 4757 has no flag: Heimdal, Samba and Windows use the acceptor's subkey when the AP-REP
/// carried one (the context key), else the initiator's, else the session key.
const KeyBlock& arcfourKey(const ContextKeys& keys) {
  if (keys.acceptorSubkey) {
    return *keys.acceptorSubkey;
  }
  return keys.initiatorSubkey ? *keys.initiatorSubkey : keys.sessionKey;
}

bool isCfx(WrapKind k) {
  return k == WrapKind::CfxWrap || k == WrapKind::CfxMic;
}

/// The buffers of the PDU in RFC 4121/MS-KILE order: [SignOnly header] Data stub [SignOnly
/// sec_trailer]; the caller adds the token's own.
void pduBuffers(Bytes& pdu, const PduLayout& l, bool headerSigning, std::vector<CryptoIov>& iov,
                CryptoIov::Type stubType) {
  if (headerSigning) {
    iov.push_back({CryptoIov::Type::SignOnly, pdu.data(), l.stubAt});
  }
  iov.push_back({stubType, pdu.data() + l.stubAt, l.stubLen});
  if (headerSigning) {
    iov.push_back({CryptoIov::Type::SignOnly, pdu.data() + l.trailerAt, 8});
  }
}

void cfxHeader(uint8_t* h, bool wrap, uint8_t flags, uint16_t ec, uint16_t rrc, uint64_t seq) {
  h[0] = wrap ? 0x05 : 0x04;
  h[1] = 0x04;
  h[2] = flags;
  if (wrap) {
    h[3] = 0xff;
    h[4] = static_cast<uint8_t>(ec >> 8);
    h[5] = static_cast<uint8_t>(ec);
    h[6] = static_cast<uint8_t>(rrc >> 8);
    h[7] = static_cast<uint8_t>(rrc);
  } else {
    std::fill(h + 3, h + 8, 0xff);
  }
  for (int i = 0; i < 8; ++i) {
    h[8 + i] = static_cast<uint8_t>(seq >> (56 - 8 * i));
  }
}

}  // namespace

size_t tokenSize(WrapKind kind, uint16_t ec) {
  switch (kind) {
    case WrapKind::CfxWrap:
      return cfx::kHeaderSize + ec + cfx::kHeaderSize + cfx::kHmacSize + cfx::kConfounderSize;
    case WrapKind::CfxMic:
      return cfx::kHeaderSize + cfx::kHmacSize;
    case WrapKind::ArcfourWrap:
      return arcfour::kFramingSize + arcfour::kWrapTokenSize;
    case WrapKind::ArcfourMic:
      return arcfour::kFramingSize + arcfour::kMicTokenSize;
  }
  return 0;
}

ParseResult locatePdu(ByteSpan pdu, PduLayout& out) {
  ByteReader r(pdu);
  if (pdu.size() < 24) {
    return ParseResult::fail("PDU shorter than a request/response header");
  }
  const uint8_t ptype = pdu[2];
  const uint8_t flags = pdu[3];
  r.setEndian((pdu[4] & 0x10) != 0 ? Endian::Little : Endian::Big);
  r.skip(8);
  const size_t fragLen = r.u16();
  const size_t authLen = r.u16();
  if (ptype != 0 && ptype != 2) {
    return ParseResult::fail("not a request or response");
  }
  if (fragLen != pdu.size()) {
    return ParseResult::fail("frag_length does not match the PDU");
  }
  out.stubAt = ptype == 0 && (flags & 0x80) != 0 ? 40 : 24;  // PFC_OBJECT_UUID: 16 more
  if (authLen == 0 || fragLen < out.stubAt + 8 + authLen) {
    return ParseResult::fail("no room for the auth trailer");
  }
  out.verifierLen = authLen;
  out.verifierAt = fragLen - authLen;
  out.trailerAt = out.verifierAt - 8;
  out.authType = pdu[out.trailerAt];
  out.authLevel = pdu[out.trailerAt + 1];
  out.padLen = pdu[out.trailerAt + 2];
  out.stubLen = out.trailerAt - out.stubAt;
  if (out.padLen > out.stubLen) {
    return ParseResult::fail("auth_pad_length over the stub");
  }
  return ParseResult::done(fragLen);
}

ParseResult unwrapPdu(const Krb5Crypto& crypto, const ContextKeys& keys, Direction dir,
                      ByteSpan pdu, Bytes& plain, Unwrapped& info) {
  PduLayout l;
  ParseResult r = locatePdu(pdu, l);
  if (!r.ok()) {
    return r;
  }
  if (l.authType != 16 && l.authType != 9) {
    return ParseResult::fail("not a Kerberos auth_type");
  }
  if (l.authLevel != kLevelPrivacy && l.authLevel != kLevelIntegrity) {
    return ParseResult::fail("auth_level is neither integrity nor privacy");
  }
  WrapToken tok;
  ParseResult t = parseWrapToken(pdu.subspan(l.verifierAt, l.verifierLen), tok);
  if (t.status != ParseStatus::Done) {
    return ParseResult::fail(t.status == ParseStatus::NeedMore ? "token shorter than its kind"
                                                               : t.error);
  }
  const bool wrap = tok.kind == WrapKind::CfxWrap || tok.kind == WrapKind::ArcfourWrap;
  if (wrap != (l.authLevel == kLevelPrivacy)) {
    return ParseResult::fail("token kind does not match the auth_level");
  }
  const bool fromAcceptor = dir == Direction::FromAcceptor;
  plain.assign(pdu.begin(), pdu.end());
  uint8_t* v = plain.data() + l.verifierAt;
  std::vector<CryptoIov> iov;
  info = Unwrapped{};
  info.kind = tok.kind;
  if (isCfx(tok.kind)) {
    if (((tok.flags & cfx::kSentByAcceptor) != 0) != fromAcceptor) {
      return ParseResult::fail("RFC 4121 token from the wrong direction");
    }
    const KeyBlock* key = cfxKey(keys, tok.flags);
    if (key == nullptr) {
      return ParseResult::fail("RFC 4121 token names an acceptor subkey the AP-REP did not carry");
    }
    info.seq = tok.seq;
    info.flags = tok.flags;
    info.ec = tok.ec;
    if (tok.kind == WrapKind::CfxWrap) {
      const size_t ecAt = cfx::kHeaderSize;
      const size_t hmacAt = ecAt + tok.ec + cfx::kHeaderSize;
      const size_t confAt = hmacAt + cfx::kHmacSize;
      iov.push_back({CryptoIov::Type::Header, v + confAt, cfx::kConfounderSize});
      pduBuffers(plain, l, keys.headerSigning, iov, CryptoIov::Type::Data);
      iov.push_back({CryptoIov::Type::Data, v + ecAt, tok.ec + cfx::kHeaderSize});
      iov.push_back({CryptoIov::Type::Trailer, v + hmacAt, cfx::kHmacSize});
      int32_t usage = fromAcceptor ? kUsageAcceptorSeal : kUsageInitiatorSeal;
      if (!crypto.decryptIov(*key, usage, iov)) {
        return ParseResult::fail("RFC 4121 wrap token does not verify");
      }
      // RFC 4121 4.2.4: the encrypted copy of the header, RRC zero, must match the header.
      uint8_t want[cfx::kHeaderSize];
      cfxHeader(want, true, tok.flags, tok.ec, 0, tok.seq);
      if (CRYPTO_memcmp(want, v + ecAt + tok.ec, cfx::kHeaderSize) != 0) {
        return ParseResult::fail("RFC 4121 wrap token's encrypted header does not match");
      }
      info.confounder.assign(v + confAt, v + confAt + cfx::kConfounderSize);
      // Put the verifier back as received: `plain` differs from the PDU in the stub only.
      std::copy(pdu.begin() + static_cast<ptrdiff_t>(l.verifierAt), pdu.end(),
                plain.begin() + static_cast<ptrdiff_t>(l.verifierAt));
    } else {
      // MIC (RFC 4121 4.2.6.1): checksum over the message, then the token header.
      ByteSpan body =
          keys.headerSigning ? pdu.first(l.verifierAt) : pdu.subspan(l.stubAt, l.stubLen);
      Bytes m(body.begin(), body.end());
      m.insert(m.end(), v, v + cfx::kHeaderSize);
      Bytes cks(v + cfx::kHeaderSize, v + cfx::kHeaderSize + cfx::kHmacSize);
      iov = {{CryptoIov::Type::Data, m.data(), m.size()},
             {CryptoIov::Type::Trailer, cks.data(), cks.size()}};
      int32_t usage = fromAcceptor ? kUsageAcceptorSign : kUsageInitiatorSign;
      if (!crypto.verifyChecksumIov(*key, usage, iov)) {
        return ParseResult::fail("RFC 4121 MIC token does not verify");
      }
    }
    return ParseResult::done(pdu.size());
  }
  if (tok.kind == WrapKind::ArcfourMic) {
    // GetMIC over the PDU before the verifier (header signing) or the stub alone.
    ByteSpan body = keys.headerSigning ? pdu.first(l.verifierAt) : pdu.subspan(l.stubAt, l.stubLen);
    Bytes m(body.begin(), body.end());
    iov.assign(1, CryptoIov{CryptoIov::Type::Data, m.data(), m.size()});
    ArcfourMicToken token;
    std::copy_n(v + arcfour::kFramingSize, token.size(), token.begin());
    uint32_t seq = 0;
    if (!arcfourVerifyMicIov(arcfourKey(keys), fromAcceptor, token, iov, seq)) {
      return ParseResult::fail("RFC 4757 MIC token does not verify");
    }
    info.seq = seq;
    return ParseResult::done(pdu.size());
  }
  ArcfourWrapToken token;
  std::copy_n(v + arcfour::kFramingSize, token.size(), token.begin());
  pduBuffers(plain, l, keys.headerSigning, iov, CryptoIov::Type::Data);
  uint32_t seq = 0;
  std::array<uint8_t, 8> conf{};
  if (!arcfourUnsealIov(arcfourKey(keys), fromAcceptor, token, iov, seq, conf)) {
    return ParseResult::fail("RFC 4757 wrap token does not verify");
  }
  info.seq = seq;
  info.confounder.assign(conf.begin(), conf.end());
  return ParseResult::done(pdu.size());
}

bool sealPdu(const Krb5Crypto& crypto, const ContextKeys& keys, Direction dir, const Unwrapped& how,
             Bytes& pdu) {
  PduLayout l;
  if (!locatePdu(pdu, l).ok() || l.verifierLen != tokenSize(how.kind, how.ec)) {
    return false;
  }
  const bool fromAcceptor = dir == Direction::FromAcceptor;
  uint8_t* v = pdu.data() + l.verifierAt;
  std::vector<CryptoIov> iov;
  if (isCfx(how.kind)) {
    uint8_t flags = how.flags;
    if (((flags & cfx::kSentByAcceptor) != 0) != fromAcceptor) {
      return false;
    }
    const KeyBlock* key = cfxKey(keys, flags);
    if (key == nullptr) {
      return false;
    }
    if (how.kind == WrapKind::CfxWrap) {
      const size_t ecAt = cfx::kHeaderSize;
      const size_t hmacAt = ecAt + how.ec + cfx::kHeaderSize;
      const size_t confAt = hmacAt + cfx::kHmacSize;
      cfxHeader(v, true, flags, how.ec, cfx::kHeaderSize + cfx::kHmacSize, how.seq);
      // The encrypted part of the token: EC filler octets (ff, as Heimdal and MIT send), then
      // the header with RRC zero (RFC 4121 4.2.4).
      std::fill(v + ecAt, v + ecAt + how.ec, 0xff);
      cfxHeader(v + ecAt + how.ec, true, flags, how.ec, 0, how.seq);
      iov.push_back({CryptoIov::Type::Header, v + confAt, cfx::kConfounderSize});
      pduBuffers(pdu, l, keys.headerSigning, iov, CryptoIov::Type::Data);
      iov.push_back({CryptoIov::Type::Data, v + ecAt, how.ec + cfx::kHeaderSize});
      iov.push_back({CryptoIov::Type::Trailer, v + hmacAt, cfx::kHmacSize});
      int32_t usage = fromAcceptor ? kUsageAcceptorSeal : kUsageInitiatorSeal;
      return aesCtsSealIov(*key, usage, how.confounder, iov);
    }
    cfxHeader(v, false, flags, 0, 0, how.seq);
    ByteSpan body = keys.headerSigning ? ByteSpan(pdu).first(l.verifierAt)
                                       : ByteSpan(pdu).subspan(l.stubAt, l.stubLen);
    Bytes m(body.begin(), body.end());
    m.insert(m.end(), v, v + cfx::kHeaderSize);
    iov = {{CryptoIov::Type::Data, m.data(), m.size()},
           {CryptoIov::Type::Trailer, v + cfx::kHeaderSize, cfx::kHmacSize}};
    int32_t usage = fromAcceptor ? kUsageAcceptorSign : kUsageInitiatorSign;
    return crypto.makeChecksumIov(*key, usage, iov);
  }
  if (how.seq > UINT32_MAX) {
    return false;
  }
  if (how.kind == WrapKind::ArcfourMic) {
    const uint8_t framing[arcfour::kFramingSize] = {0x60, 0x23, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                                    0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
    std::copy_n(framing, arcfour::kFramingSize, v);
    ByteSpan body = keys.headerSigning ? ByteSpan(pdu).first(l.verifierAt)
                                       : ByteSpan(pdu).subspan(l.stubAt, l.stubLen);
    Bytes m(body.begin(), body.end());
    iov.assign(1, CryptoIov{CryptoIov::Type::Data, m.data(), m.size()});
    ArcfourMicToken token;
    if (!arcfourMicIov(arcfourKey(keys), fromAcceptor, static_cast<uint32_t>(how.seq), iov,
                       token)) {
      return false;
    }
    std::copy(token.begin(), token.end(), v + arcfour::kFramingSize);
    return true;
  }
  // RFC 2743 3.1 framing: 60 2b 06 09 <krb5 OID>.
  const uint8_t framing[arcfour::kFramingSize] = {0x60, 0x2b, 0x06, 0x09, 0x2a, 0x86, 0x48,
                                                  0x86, 0xf7, 0x12, 0x01, 0x02, 0x02};
  std::copy_n(framing, arcfour::kFramingSize, v);
  pduBuffers(pdu, l, keys.headerSigning, iov, CryptoIov::Type::Data);
  ArcfourWrapToken token;
  if (!arcfourSealIov(arcfourKey(keys), fromAcceptor, static_cast<uint32_t>(how.seq),
                      how.confounder, iov, token)) {
    return false;
  }
  std::copy(token.begin(), token.end(), v + arcfour::kFramingSize);
  return true;
}

}  // namespace bh::secure::emapi
