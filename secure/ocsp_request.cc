#include "secure/ocsp_request.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "secure/certificate_name.h"

namespace bh::secure {

std::string ocspUrlOf(X509* certificate) {
  std::string out;
  STACK_OF(OPENSSL_STRING)* urls = X509_get1_ocsp(certificate);
  if (urls != nullptr && sk_OPENSSL_STRING_num(urls) > 0) {
    out = sk_OPENSSL_STRING_value(urls, 0);
  }
  X509_email_free(urls);
  return out;
}

Outcome<OcspQuery> OcspQuery::create(X509* certificate, X509* issuer,
                                     const std::string& configuredUrl, bool useNonce) {
  using R = Outcome<OcspQuery>;
  if (certificate == nullptr || issuer == nullptr) {
    return R::failure("OCSP: no certificate or no issuer to ask about");
  }
  std::string urlText = configuredUrl.empty() ? ocspUrlOf(certificate) : configuredUrl;
  if (urlText.empty()) {
    return R::failure("OCSP: the certificate has no AIA OCSP URL and none is configured");
  }
  auto url = OcspUrl::parse(urlText);
  if (!url.ok()) {
    return R::failure(url.error());
  }
  OcspQuery q;
  q.url_ = std::move(url).value();
  q.useNonce_ = useNonce;
  q.issuer_.reset(X509_dup(issuer));
  q.certificateName_ = certificateNameOf(certificate);
  // SHA-1 CertID: what every responder indexes by (RFC 6960 section 4.1.1; RFC 5019 section 2.1.1).
  q.certId_.reset(OCSP_cert_to_id(nullptr, certificate, issuer));
  q.request_.reset(OCSP_REQUEST_new());
  if (!q.certId_ || !q.request_) {
    return R::failure("OCSP: cannot build the request: " + takeOpenSslError());
  }
  OCSP_CERTID* forRequest = OCSP_CERTID_dup(q.certId_.get());
  if (forRequest == nullptr || OCSP_request_add0_id(q.request_.get(), forRequest) == nullptr) {
    OCSP_CERTID_free(forRequest);
    return R::failure("OCSP: cannot build the request: " + takeOpenSslError());
  }
  if (useNonce && OCSP_request_add1_nonce(q.request_.get(), nullptr, -1) != 1) {
    return R::failure("OCSP: cannot add the nonce: " + takeOpenSslError());
  }
  unsigned char* der = nullptr;
  int n = i2d_OCSP_REQUEST(q.request_.get(), &der);
  unsigned char* id = nullptr;
  int m = i2d_OCSP_CERTID(q.certId_.get(), &id);
  if (n <= 0 || m <= 0) {
    OPENSSL_free(der);
    OPENSSL_free(id);
    return R::failure("OCSP: cannot encode the request: " + takeOpenSslError());
  }
  q.der_.assign(der, der + n);
  q.certIdKey_.assign(id, id + m);
  OPENSSL_free(der);
  OPENSSL_free(id);
  return R::success(std::move(q));
}

}  // namespace bh::secure
