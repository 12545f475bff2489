#pragma once

// The per-message tokens in the auth_value of a sealed or signed request/response PDU:
// RFC 4121 4.2.6 tokens (AES, "CFX") - Wrap 05 04 at packet privacy, MIC 04 04 at packet
// integrity - and RFC 4757 7 tokens (arcfour-hmac) - Wrap 02 01 / MIC 01 01 behind RFC 2743's
// framing (60 2b / 60 23 06 09 <krb5 OID>), with the layout DCE style fixes (MS-KILE 3.4.5.4.1:
// EC 16 and RRC 28 for AES wrap). Parsing only: fixed sizes, checked before anything is read.

#include <array>
#include <cstdint>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::secure::emapi {

enum class WrapKind { CfxWrap, CfxMic, ArcfourWrap, ArcfourMic };

/// RFC 4121 4.2.2 flags.
namespace cfx {
inline constexpr uint8_t kSentByAcceptor = 0x01;
inline constexpr uint8_t kSealed = 0x02;
inline constexpr uint8_t kAcceptorSubkey = 0x04;
/// The 16-byte token header.
inline constexpr size_t kHeaderSize = 16;
/// The largest EC accepted (MS-KILE: one block, 16; RFC 4121 allows any, we cap it).
inline constexpr size_t kMaxEc = 64;
/// HMAC-SHA1-96 and the AES confounder (RFC 3962).
inline constexpr size_t kHmacSize = 12;
inline constexpr size_t kConfounderSize = 16;
}  // namespace cfx

namespace arcfour {
/// RFC 2743 framing + OID before the 32-byte (wrap) or 24-byte (MIC) token (RFC 4757 7.3).
inline constexpr size_t kFramingSize = 13;
inline constexpr size_t kWrapTokenSize = 32;
inline constexpr size_t kMicTokenSize = 24;
}  // namespace arcfour

struct WrapToken {
  WrapKind kind = WrapKind::CfxWrap;
  size_t size = 0;  ///< the whole verifier
  // CFX
  uint8_t flags = 0;
  uint16_t ec = 0;
  uint16_t rrc = 0;
  uint64_t seq = 0;  ///< CFX: SND_SEQ as sent (plaintext)
  // RFC 4757: the 8-byte header (TOK_ID SGN_ALG SEAL_ALG filler) and its encrypted fields
  std::array<uint8_t, 8> encryptedSeq{};
  std::array<uint8_t, 8> checksum{};
  std::array<uint8_t, 8> confounder{};  ///< wrap only, encrypted
};

/// Parses the auth_value of a request/response PDU.
/// @return Done(size), NeedMore(size) when the verifier is shorter than its kind's fixed part,
/// or Error: an unknown TOK_ID, framing or algorithm, a CFX wrap token whose RRC is not 28 (DCE
/// style) or whose EC is over kMaxEc, filler that is not ff, a size that does not match.
ParseResult parseWrapToken(ByteSpan verifier, WrapToken& out);

}  // namespace bh::secure::emapi
