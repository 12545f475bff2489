#pragma once

#include <openssl/x509.h>

#include <ctime>
#include <string>

#include "common/bytes.h"
#include "secure/ocsp_request.h"

namespace bh::secure {

/// CertStatus of RFC 6960 section 4.2.1, plus Error: the response could not be used (malformed,
/// not successful, bad signature, nonce mismatch, stale or not yet valid).
enum class OcspCertStatus { Good, Revoked, Unknown, Error };

std::string_view ocspCertStatusName(OcspCertStatus s);

/// What a verified response says about the queried certificate.
struct OcspAnswer {
  OcspCertStatus status = OcspCertStatus::Error;
  time_t thisUpdate = 0;
  time_t nextUpdate = 0;  ///< 0: the responder gave none (RFC 6960 4.2.2.1: newer info always)
  std::string error;      ///< why (Error)
};

/// Checks a DER OCSPResponse against `query` (RFC 6960 section 3.2): responseStatus successful,
/// a BasicOCSPResponse signed by the issuer or by a responder certificate the issuer delegated
/// (id-kp-OCSPSigning, section 4.2.2.2) chaining to `trustAnchors`, the nonce echoed if one was
/// sent, a SingleResponse for the queried CertID, thisUpdate not in the future and nextUpdate
/// not in the past at `now` (with `skewSeconds` allowed).
OcspAnswer verifyOcspResponse(ByteSpan der, const OcspQuery& query, X509_STORE* trustAnchors,
                              time_t now, long skewSeconds = 300);

}  // namespace bh::secure
