#include "secure/tls_failure.h"

namespace bh::secure {

std::string_view tlsFailureName(TlsFailure f) {
  switch (f) {
    case TlsFailure::None:
      return "none";
    case TlsFailure::CertificateVerifyFailed:
      return "certificate-verify-failed";
    case TlsFailure::UnknownCa:
      return "unknown-ca";
    case TlsFailure::DefaultSelfSigned:
      return "peer-default-self-signed";
    case TlsFailure::CertificateExpired:
      return "certificate-expired";
    case TlsFailure::CertificateRevoked:
      return "certificate-revoked";
    case TlsFailure::RevocationUnknown:
      return "revocation-unknown";
    case TlsFailure::NoPeerCertificate:
      return "no-peer-certificate";
    case TlsFailure::ProtocolVersionMismatch:
      return "protocol-version-mismatch";
    case TlsFailure::CipherMismatch:
      return "cipher-mismatch";
    case TlsFailure::BadRecord:
      return "bad-record";
    case TlsFailure::BadRecordMac:
      return "bad-record-mac";
    case TlsFailure::RecordOverflow:
      return "record-overflow";
    case TlsFailure::TruncatedRecord:
      return "truncated-record";
    case TlsFailure::PeerAlert:
      return "peer-alert";
    case TlsFailure::BufferCapExceeded:
      return "buffer-cap-exceeded";
    case TlsFailure::EarlyDataReplay:
      return "early-data-replay";
    case TlsFailure::Internal:
      return "internal";
  }
  return "internal";
}

}  // namespace bh::secure
