#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace bh::secure {

/// Owning pointers for the OpenSSL objects secure/ keeps (one deleter each, no raw frees).
struct OpenSslFree {
  void operator()(BIO* p) const { BIO_free_all(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(SSL_CTX* p) const { SSL_CTX_free(p); }
  void operator()(SSL* p) const { SSL_free(p); }
  void operator()(SSL_SESSION* p) const { SSL_SESSION_free(p); }
  void operator()(OCSP_REQUEST* p) const { OCSP_REQUEST_free(p); }
  void operator()(OCSP_RESPONSE* p) const { OCSP_RESPONSE_free(p); }
  void operator()(OCSP_BASICRESP* p) const { OCSP_BASICRESP_free(p); }
  void operator()(OCSP_CERTID* p) const { OCSP_CERTID_free(p); }
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};

using BioPtr = std::unique_ptr<BIO, OpenSslFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslFree>;
using SslCtxPtr = std::unique_ptr<SSL_CTX, OpenSslFree>;
using SslPtr = std::unique_ptr<SSL, OpenSslFree>;
using SslSessionPtr = std::unique_ptr<SSL_SESSION, OpenSslFree>;
using OcspRequestPtr = std::unique_ptr<OCSP_REQUEST, OpenSslFree>;
using OcspResponsePtr = std::unique_ptr<OCSP_RESPONSE, OpenSslFree>;
using OcspBasicRespPtr = std::unique_ptr<OCSP_BASICRESP, OpenSslFree>;
using OcspCertIdPtr = std::unique_ptr<OCSP_CERTID, OpenSslFree>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, OpenSslFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslFree>;

/// The reason string of the oldest queued OpenSSL error ("" when none), and the queue cleared.
/// OpenSSL's reason strings name the failing step, never key material, so they may be logged.
std::string takeOpenSslError();

}  // namespace bh::secure
