#pragma once

// RFC 4757 7.3's GSS wrap for arcfour-hmac keys, DCE style (no GSS padding: DCE pads the stub;
// MS-KILE 3.4.5.4.1), both ways, with the confounder given by the caller. These derivations are
// GSS-specific (not RFC 3961 key usages), so MIT's krb5_c_* API has nothing for them: HMAC-MD5
// and MD5 from OpenSSL, RC4 from OpenSSL's legacy provider, loaded into a library context of our
// own (the process's default context is left as it is).
//
//   Ksign  = HMAC-MD5(K, "signaturekey\0")
//   SGN_CKSUM = HMAC-MD5(Ksign, MD5(LE32(13) | token[0..8) | confounder | buffers))[0..8)
//            buffers: the Data (plaintext) and SignOnly buffers in order (header signing)
//   Kseq   = HMAC-MD5(HMAC-MD5(K, LE32(0)), SGN_CKSUM);  SND_SEQ = RC4(Kseq, BE32(seq) | dir)
//            dir 00000000 from the initiator, ffffffff from the acceptor
//   Kcrypt = HMAC-MD5(HMAC-MD5(K xor F0.., LE32(0)), BE32(seq));  RC4(Kcrypt) over
//            confounder | Data as one key stream
//
// GetMIC (packet integrity, RFC 4757 7.2) is the same without confounder and encryption, with
// usage 15 in the checksum.

#include <array>
#include <cstdint>
#include <span>

#include "common/bytes.h"
#include "secure/emapi/kerberos_messages.h"
#include "secure/emapi/krb5_crypto.h"

namespace bh::secure::emapi {

/// The 32-byte wrap token (TOK_ID .. confounder, without RFC 2743 framing).
using ArcfourWrapToken = std::array<uint8_t, 32>;
/// The 24-byte MIC token (RFC 4757 7.2: TOK_ID 01 01, SGN_ALG, filler, SND_SEQ, SGN_CKSUM).
using ArcfourMicToken = std::array<uint8_t, 24>;

/// Seals the Data buffers in place and fills `token`. False when RC4 is unavailable or the key
/// is not a 16-byte arcfour-hmac key.
bool arcfourSealIov(const KeyBlock& key, bool fromAcceptor, uint32_t seq, ByteSpan confounder,
                    std::span<CryptoIov> iov, ArcfourWrapToken& token);

/// Opens what arcfourSealIov seals: the sequence number (its direction must be `fromAcceptor`),
/// the plaintext in place, the confounder; false when the checksum does not verify (the Data
/// buffers are then garbage: the caller works on a copy).
bool arcfourUnsealIov(const KeyBlock& key, bool fromAcceptor, const ArcfourWrapToken& token,
                      std::span<CryptoIov> iov, uint32_t& seq, std::array<uint8_t, 8>& confounder);

/// GetMIC over the buffers (Data and SignOnly alike are signed): fills `token`.
bool arcfourMicIov(const KeyBlock& key, bool fromAcceptor, uint32_t seq, std::span<CryptoIov> iov,
                   ArcfourMicToken& token);

/// VerifyMIC: the sequence number (direction checked), false when the checksum does not verify.
bool arcfourVerifyMicIov(const KeyBlock& key, bool fromAcceptor, const ArcfourMicToken& token,
                         std::span<CryptoIov> iov, uint32_t& seq);

}  // namespace bh::secure::emapi
