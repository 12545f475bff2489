#pragma once

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include <string>

#include "common/bytes.h"
#include "secure/ocsp_http.h"
#include "secure/openssl_ptr.h"
#include "secure/outcome.h"

namespace bh::secure {

/// One question to a responder (RFC 6960 section 4.1): the status of one certificate, named by
/// its CertID (hash of the issuer's name and key, and the serial; section 4.1.1), with a nonce
/// (section 4.4.1) so a replayed older answer is refused.
class OcspQuery {
 public:
  /// `configuredUrl` (the seed's "ocsp url") wins; otherwise the certificate's AIA OCSP
  /// accessLocation (RFC 5280 section 4.2.2.1). Fails if neither gives a usable URL.
  static Outcome<OcspQuery> create(X509* certificate, X509* issuer,
                                   const std::string& configuredUrl, bool useNonce = true);

  const OcspUrl& url() const { return url_; }
  /// The DER OCSPRequest.
  const Bytes& der() const { return der_; }
  /// The HTTP/1.0 POST to send to url() (ocsp_http.h).
  Bytes httpRequest() const { return buildOcspHttpRequest(url_, der_); }
  /// The CertID in DER: the cache key (ocsp_cache.h).
  const Bytes& certIdKey() const { return certIdKey_; }
  OCSP_CERTID* certId() const { return certId_.get(); }
  OCSP_REQUEST* request() const { return request_.get(); }
  bool usesNonce() const { return useNonce_; }
  X509* issuer() const { return issuer_.get(); }
  /// The certificate asked about, as verdicts and logs name it: "\"CN=core,O=bhlab\" (serial
  /// 0x1002)" (its subject, RFC 2253, and serial; the CertID alone names nothing a reader knows).
  const std::string& certificateName() const { return certificateName_; }

 private:
  OcspUrl url_;
  Bytes der_;
  Bytes certIdKey_;
  OcspCertIdPtr certId_;
  OcspRequestPtr request_;
  X509Ptr issuer_;
  std::string certificateName_;
  bool useNonce_ = true;
};

/// The responder URL of a certificate's AIA extension, or "".
std::string ocspUrlOf(X509* certificate);

}  // namespace bh::secure
