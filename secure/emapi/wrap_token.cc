#include "secure/emapi/wrap_token.h"

#include <algorithm>

namespace bh::secure::emapi {

namespace {

// 60 len 06 09 2a 86 48 86 f7 12 01 02 02 (RFC 2743 3.1 with the krb5 OID, RFC 1964 1.1).
constexpr std::array<uint8_t, 11> kKrb5OidTlv = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
                                                 0xf7, 0x12, 0x01, 0x02, 0x02};

ParseResult parseCfx(ByteSpan v, WrapToken& out) {
  if (v.size() < cfx::kHeaderSize) {
    return ParseResult::needMore(cfx::kHeaderSize);
  }
  const bool wrap = v[0] == 0x05;
  out.kind = wrap ? WrapKind::CfxWrap : WrapKind::CfxMic;
  out.flags = v[2];
  if ((out.flags & ~(cfx::kSentByAcceptor | cfx::kSealed | cfx::kAcceptorSubkey)) != 0) {
    return ParseResult::fail("RFC 4121 token with unknown flags");
  }
  out.seq = 0;
  for (size_t i = 8; i < 16; ++i) {
    out.seq = out.seq << 8 | v[i];
  }
  if (!wrap) {
    // MIC: 04 04 flags ff ff ff ff ff SND_SEQ, then the checksum (RFC 4121 4.2.6.1).
    if (!std::all_of(v.begin() + 3, v.begin() + 8, [](uint8_t b) { return b == 0xff; })) {
      return ParseResult::fail("RFC 4121 MIC token filler is not ff");
    }
    if ((out.flags & cfx::kSealed) != 0) {
      return ParseResult::fail("RFC 4121 MIC token marked sealed");
    }
    out.ec = out.rrc = 0;
    out.size = cfx::kHeaderSize + cfx::kHmacSize;
  } else {
    if (v[3] != 0xff) {
      return ParseResult::fail("RFC 4121 wrap token filler is not ff");
    }
    out.ec = static_cast<uint16_t>(v[4] << 8 | v[5]);
    out.rrc = static_cast<uint16_t>(v[6] << 8 | v[7]);
    if (out.ec > cfx::kMaxEc) {
      return ParseResult::fail("RFC 4121 wrap token EC over its cap");
    }
    if ((out.flags & cfx::kSealed) == 0) {
      return ParseResult::fail("RFC 4121 wrap token not sealed (integrity uses MIC tokens)");
    }
    // DCE style: the verifier holds the rotated tail E(filler|header copy) and the HMAC, then the
    // encrypted confounder: RRC = 16 + 12 (MS-KILE 3.4.5.4.1, emapi-lab.md 4.5).
    if (out.rrc != cfx::kHeaderSize + cfx::kHmacSize) {
      return ParseResult::fail("RFC 4121 wrap token RRC is not 28 (DCE style)");
    }
    out.size = cfx::kHeaderSize + out.ec + cfx::kHeaderSize + cfx::kHmacSize + cfx::kConfounderSize;
  }
  if (v.size() < out.size) {
    return ParseResult::needMore(out.size);
  }
  if (v.size() != out.size) {
    return ParseResult::fail("RFC 4121 token size does not match its auth_length");
  }
  return ParseResult::done(out.size);
}

ParseResult parseArcfour(ByteSpan v, WrapToken& out) {
  if (v.size() < arcfour::kFramingSize + 2) {
    return ParseResult::needMore(arcfour::kFramingSize + 2);
  }
  if (!std::equal(kKrb5OidTlv.begin(), kKrb5OidTlv.end(), v.begin() + 2)) {
    return ParseResult::fail("RFC 4757 token without the krb5 OID");
  }
  ByteSpan t = v.subspan(arcfour::kFramingSize);
  const bool wrap = t[0] == 0x02 && t[1] == 0x01;
  const bool mic = t[0] == 0x01 && t[1] == 0x01;
  if (!wrap && !mic) {
    return ParseResult::fail("RFC 4757 token with an unknown TOK_ID");
  }
  out.kind = wrap ? WrapKind::ArcfourWrap : WrapKind::ArcfourMic;
  const size_t tokenSize = wrap ? arcfour::kWrapTokenSize : arcfour::kMicTokenSize;
  out.size = arcfour::kFramingSize + tokenSize;
  // The framing's length octet counts the OID TLV and the token (RFC 2743 3.1).
  if (v[1] != out.size - 2) {
    return ParseResult::fail("RFC 4757 token framing length does not match");
  }
  if (v.size() < out.size) {
    return ParseResult::needMore(out.size);
  }
  if (v.size() != out.size) {
    return ParseResult::fail("RFC 4757 token size does not match its auth_length");
  }
  // SGN_ALG 11 00 (HMAC-MD5); SEAL_ALG 10 00 (RC4) for wrap, ff ff for MIC; filler ff ff.
  const bool algOk = t[2] == 0x11 && t[3] == 0x00 &&
                     (wrap ? (t[4] == 0x10 && t[5] == 0x00) : (t[4] == 0xff && t[5] == 0xff)) &&
                     t[6] == 0xff && t[7] == 0xff;
  if (!algOk) {
    return ParseResult::fail("RFC 4757 token with unknown algorithms");
  }
  std::copy_n(t.begin() + 8, 8, out.encryptedSeq.begin());
  std::copy_n(t.begin() + 16, 8, out.checksum.begin());
  out.confounder = {};
  if (wrap) {
    std::copy_n(t.begin() + 24, 8, out.confounder.begin());
  }
  out.flags = 0;
  out.ec = out.rrc = 0;
  out.seq = 0;
  return ParseResult::done(out.size);
}

}  // namespace

ParseResult parseWrapToken(ByteSpan verifier, WrapToken& out) {
  if (verifier.size() < 2) {
    return ParseResult::needMore(2);
  }
  if ((verifier[0] == 0x05 || verifier[0] == 0x04) && verifier[1] == 0x04) {
    return parseCfx(verifier, out);
  }
  if (verifier[0] == 0x60) {
    return parseArcfour(verifier, out);
  }
  return ParseResult::fail("auth_value is not an RFC 4121 or RFC 4757 token");
}

}  // namespace bh::secure::emapi
