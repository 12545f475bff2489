#pragma once

#include <string_view>

namespace bh::secure {

/// Why a TLS session failed, named in RFC 8446's words (alerts of section 6.2 and the record
/// layer of section 5) plus the revocation and identity causes the seed's Problem 4 names. The
/// proxy counts failures per peer and reason, so every cause it must tell apart has its own value.
enum class TlsFailure {
  None,
  CertificateVerifyFailed,  ///< chain does not verify for another reason (bad signature, ...)
  UnknownCa,                ///< unknown_ca: chain does not end in the CA bundle
  DefaultSelfSigned,        ///< the peer shows the default self-signed peering certificate
  CertificateExpired,       ///< certificate_expired (or not yet valid)
  CertificateRevoked,       ///< certificate_revoked (OCSP said revoked, RFC 6960)
  RevocationUnknown,        ///< OCSP unreachable/unknown and the verdict is fail_closed
  NoPeerCertificate,        ///< certificate_required: verify is on and the peer sent none
  ProtocolVersionMismatch,  ///< protocol_version: no TLS version both ends allow
  CipherMismatch,           ///< handshake_failure: no cipher suite / group in common
  BadRecord,                ///< garbage where a TLSPlaintext/TLSCiphertext header belongs
  BadRecordMac,             ///< bad_record_mac: AEAD open failed (tampered record)
  RecordOverflow,           ///< record_overflow: a record longer than section 5.2 allows
  TruncatedRecord,          ///< the stream ended inside a record or without close_notify
  PeerAlert,                ///< the peer sent another fatal alert
  BufferCapExceeded,        ///< more bytes buffered than the session's cap allows
  EarlyDataReplay,          ///< a ClientHello offered early data with a ticket already spent
  Internal,                 ///< OpenSSL failed for a local reason (memory, configuration)
};

/// Stable lower-case name ("unknown-ca", "certificate-revoked", ...) used in counters and logs.
std::string_view tlsFailureName(TlsFailure f);

}  // namespace bh::secure
