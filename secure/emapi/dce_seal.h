#pragma once

// Unwrapping and sealing one DCE/RPC request or response PDU protected by a Kerberos context
// (MS-RPCE 3.3.1.5.2, 2.2.2.11; MS-KILE 3.4.5.4): the stub and its auth padding are what is
// encrypted; with header signing (PFC_SUPPORT_HEADER_SIGN in bind and bind_ack) the bytes before
// the stub and the sec_trailer are signed too. AES: an RFC 4121 Wrap token in DCE layout
// (emapi-lab.md 4.5), opened by MIT's krb5_c_decrypt_iov, sealed by aes_cts_sealer.h; at packet
// integrity an RFC 4121 MIC token (krb5_c_*_checksum_iov). RC4: an RFC 4757 wrap token
// (arcfour_sealer.h). The key per token (RFC 4121 4.1.1, emapi-lab.md 4.3): the acceptor's
// subkey when the token says AcceptorSubkey (RC4: when the acceptor sent one), else the
// initiator's, else the ticket's session key; usages 24/22 (seal), 25/23 (sign).
//
// The round trip the accelerator rests on: unwrapPdu gives the plaintext PDU, the sequence
// number and the confounder; sealPdu of that plaintext with the same three gives back the bytes
// that were received, bit for bit.

#include <cstdint>
#include <optional>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "secure/emapi/kerberos_messages.h"
#include "secure/emapi/krb5_crypto.h"
#include "secure/emapi/wrap_token.h"

namespace bh::secure::emapi {

enum class Direction { FromInitiator, FromAcceptor };

/// The keys of an established context (ap_exchange.h) and what the bind negotiated.
struct ContextKeys {
  KeyBlock sessionKey;
  std::optional<KeyBlock> initiatorSubkey;
  std::optional<KeyBlock> acceptorSubkey;
  bool headerSigning = false;
};

/// Where the parts of a request/response PDU are (offsets into it).
struct PduLayout {
  size_t stubAt = 0;   ///< after the 24-byte header (40 with an object UUID)
  size_t stubLen = 0;  ///< stub and auth padding
  size_t padLen = 0;
  size_t trailerAt = 0;  ///< sec_trailer (8 bytes)
  size_t verifierAt = 0;
  size_t verifierLen = 0;
  uint8_t authType = 0;
  uint8_t authLevel = 0;
};

/// Locates the parts of a framed request (0) or response (2) PDU with an auth trailer.
ParseResult locatePdu(ByteSpan pdu, PduLayout& out);

struct Unwrapped {
  WrapKind kind = WrapKind::CfxWrap;
  uint64_t seq = 0;
  uint8_t flags = 0;  ///< CFX token flags
  uint16_t ec = 0;    ///< CFX EC
  Bytes confounder;   ///< the plaintext confounder (16 AES, 8 RC4); empty for MIC tokens
};

/// Opens one request/response PDU sent in `dir`: `plain` becomes a copy of it with the stub
/// (and padding) in plaintext, everything else as received. Error when it is not Kerberos
/// (auth_type 9/16), not at level 5 or 6, the token does not match the level, direction or key,
/// or the integrity check fails.
ParseResult unwrapPdu(const Krb5Crypto& crypto, const ContextKeys& keys, Direction dir,
                      ByteSpan pdu, Bytes& plain, Unwrapped& info);

/// Protects `pdu` in place: its header fields, stub (plaintext, padded), sec_trailer and the
/// verifier's length are final (frag_length and auth_length count the token); the verifier's
/// bytes are written. `how` gives the token kind, flags, EC, sequence number and confounder.
bool sealPdu(const Krb5Crypto& crypto, const ContextKeys& keys, Direction dir, const Unwrapped& how,
             Bytes& pdu);

/// The auth_length a token of `kind` (with `ec` for CFX wrap) takes.
size_t tokenSize(WrapKind kind, uint16_t ec = 16);

}  // namespace bh::secure::emapi
