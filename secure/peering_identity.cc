#include "secure/peering_identity.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cstdio>

namespace bh::secure {

namespace {

std::string bioText(BIO* b) {
  char* p = nullptr;
  long n = BIO_get_mem_data(b, &p);
  return n > 0 ? std::string(p, static_cast<size_t>(n)) : std::string();
}

bool addExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) {
    return false;
  }
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

}  // namespace

Outcome<PeeringIdentity> PeeringIdentity::generateSelfSigned(const std::string& commonName,
                                                             int days) {
  using R = Outcome<PeeringIdentity>;
  PeeringIdentity id;
  id.privateKey.reset(EVP_EC_gen("P-256"));
  if (!id.privateKey) {
    return R::failure("self-signed identity: key generation failed: " + takeOpenSslError());
  }
  id.certificate.reset(X509_new());
  X509* c = id.certificate.get();
  // RFC 5280 section 4.1.2.2: a positive serial of up to 20 octets, random so two devices'
  // default certificates never share issuer+serial.
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  bool ok = bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) != nullptr;
  BN_free(bn);
  ok = ok && X509_set_version(c, 2) == 1;
  ok = ok && X509_gmtime_adj(X509_getm_notBefore(c), -300) != nullptr;
  ok = ok && X509_gmtime_adj(X509_getm_notAfter(c), 86400L * days) != nullptr;
  X509_NAME* name = X509_get_subject_name(c);
  auto add = [&](const char* field, const std::string& v) {
    return X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(v.data()),
                                      static_cast<int>(v.size()), -1, 0) == 1;
  };
  ok = ok && add("O", "Bridgehead") && add("OU", kDefaultSelfSignedUnit) && add("CN", commonName);
  ok = ok && X509_set_issuer_name(c, name) == 1;
  ok = ok && X509_set_pubkey(c, id.privateKey.get()) == 1;
  ok = ok && addExtension(c, NID_basic_constraints, "critical,CA:FALSE");
  ok = ok && addExtension(c, NID_key_usage, "critical,digitalSignature");
  ok = ok && addExtension(c, NID_ext_key_usage, "serverAuth,clientAuth");
  ok = ok && addExtension(c, NID_subject_key_identifier, "hash");
  ok = ok && X509_sign(c, id.privateKey.get(), EVP_sha256()) > 0;
  if (!ok) {
    return R::failure("self-signed identity: certificate creation failed: " + takeOpenSslError());
  }
  id.defaultSelfSigned = true;
  return R::success(std::move(id));
}

std::vector<X509Ptr> readCertificates(const std::string& path, std::string& why) {
  std::vector<X509Ptr> out;
  BioPtr in(BIO_new_file(path.c_str(), "r"));
  if (!in) {
    why = "cannot read " + path;
    ERR_clear_error();
    return out;
  }
  while (X509* x = PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr)) {
    out.emplace_back(x);
  }
  ERR_clear_error();  // the end of the file reads as "no start line"
  if (out.empty()) {
    why = path + ": no PEM certificate";
  }
  return out;
}

Outcome<PeeringIdentity> PeeringIdentity::loadFiles(const PeeringIdentityFiles& files) {
  using R = Outcome<PeeringIdentity>;
  PeeringIdentity id;
  std::string why;
  auto certs = readCertificates(files.certificate, why);
  if (certs.empty()) {
    return R::failure("peering certificate: " + why);
  }
  id.certificate = std::move(certs.front());
  BioPtr keyIn(BIO_new_file(files.privateKey.c_str(), "r"));
  if (!keyIn) {
    ERR_clear_error();
    return R::failure("peering key: cannot read " + files.privateKey);
  }
  id.privateKey.reset(PEM_read_bio_PrivateKey(keyIn.get(), nullptr, nullptr, nullptr));
  if (!id.privateKey) {
    ERR_clear_error();
    return R::failure("peering key: " + files.privateKey + ": no PEM private key");
  }
  if (X509_check_private_key(id.certificate.get(), id.privateKey.get()) != 1) {
    ERR_clear_error();
    return R::failure("peering key: " + files.privateKey + " does not match " + files.certificate);
  }
  if (!files.chain.empty()) {
    id.chain = readCertificates(files.chain, why);
    if (id.chain.empty()) {
      return R::failure("peering chain: " + why);
    }
  }
  if (!files.caBundle.empty()) {
    id.trustAnchors = readCertificates(files.caBundle, why);
    if (id.trustAnchors.empty()) {
      return R::failure("CA bundle: " + why);
    }
  }
  id.defaultSelfSigned = isDefaultSelfSigned(id.certificate.get());
  return R::success(std::move(id));
}

Outcome<PeeringIdentity> PeeringIdentity::fromPem(const std::string& certificatePem,
                                                  const std::string& privateKeyPem) {
  using R = Outcome<PeeringIdentity>;
  PeeringIdentity id;
  BioPtr c(BIO_new_mem_buf(certificatePem.data(), static_cast<int>(certificatePem.size())));
  id.certificate.reset(PEM_read_bio_X509(c.get(), nullptr, nullptr, nullptr));
  BioPtr k(BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size())));
  id.privateKey.reset(PEM_read_bio_PrivateKey(k.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!id.certificate || !id.privateKey) {
    return R::failure("peering identity: certificate or key is not PEM");
  }
  if (X509_check_private_key(id.certificate.get(), id.privateKey.get()) != 1) {
    ERR_clear_error();
    return R::failure("peering identity: key does not match the certificate");
  }
  id.defaultSelfSigned = isDefaultSelfSigned(id.certificate.get());
  return R::success(std::move(id));
}

std::string PeeringIdentity::certificatePem() const {
  BioPtr b(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(b.get(), certificate.get());
  return bioText(b.get());
}

std::string PeeringIdentity::privateKeyPem() const {
  BioPtr b(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(b.get(), privateKey.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return bioText(b.get());
}

bool isDefaultSelfSigned(X509* cert) {
  if (cert == nullptr ||
      X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)) != 0) {
    return false;
  }
  char unit[128] = {};
  int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_organizationalUnitName, unit,
                                    sizeof unit);
  return n > 0 && std::string(unit) == kDefaultSelfSignedUnit;
}

}  // namespace bh::secure
