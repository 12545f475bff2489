#pragma once

// A lab certificate authority made with the OpenSSL API inside a test: a CA, and certificates
// it issues with a chosen validity and an OCSP responder URL in their AIA (RFC 5280 4.2.2.1).
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "secure/openssl_ptr.h"
#include "secure/peering_identity.h"

namespace bh::secure::test {

inline void addExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

struct LabCa {
  PkeyPtr key;
  X509Ptr cert;
  long nextSerial = 0x1000;

  explicit LabCa(const std::string& name) {
    key.reset(EVP_EC_gen("P-256"));
    cert.reset(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400L * 30);
    X509_NAME* n = X509_get_subject_name(cert.get());
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), n);
    X509_set_pubkey(cert.get(), key.get());
    addExt(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    addExt(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
    addExt(cert.get(), cert.get(), NID_subject_key_identifier, "hash");
    X509_sign(cert.get(), key.get(), EVP_sha256());
  }

  /// A leaf for `cn` valid from now+fromSeconds to now+toSeconds, AIA pointing at ocspUrl.
  PeeringIdentity issue(const std::string& cn, long fromSeconds = -3600,
                        long toSeconds = 86400L * 7, const std::string& ocspUrl = "",
                        bool ocspSigning = false) {
    PeeringIdentity id;
    id.privateKey.reset(EVP_EC_gen("P-256"));
    id.certificate.reset(X509_new());
    X509* c = id.certificate.get();
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), nextSerial++);
    X509_gmtime_adj(X509_getm_notBefore(c), fromSeconds);
    X509_gmtime_adj(X509_getm_notAfter(c), toSeconds);
    X509_NAME* n = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
    X509_set_issuer_name(c, X509_get_subject_name(cert.get()));
    X509_set_pubkey(c, id.privateKey.get());
    addExt(c, cert.get(), NID_basic_constraints, "critical,CA:FALSE");
    if (ocspSigning) {
      addExt(c, cert.get(), NID_ext_key_usage, "OCSPSigning");
    } else {
      addExt(c, cert.get(), NID_ext_key_usage, "serverAuth,clientAuth");
    }
    if (!ocspUrl.empty()) {
      addExt(c, cert.get(), NID_info_access, "OCSP;URI:" + ocspUrl);
    }
    X509_sign(c, key.get(), EVP_sha256());
    id.trustAnchors.emplace_back(X509_dup(cert.get()));
    return id;
  }
};

inline void writePem(const std::filesystem::path& p, X509* x) {
  BioPtr b(BIO_new_file(p.c_str(), "w"));
  PEM_write_bio_X509(b.get(), x);
}

inline void writeKeyPem(const std::filesystem::path& p, EVP_PKEY* k) {
  BioPtr b(BIO_new_file(p.c_str(), "w"));
  PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
}

/// A fresh directory under /tmp removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "bh-secure-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace bh::secure::test
