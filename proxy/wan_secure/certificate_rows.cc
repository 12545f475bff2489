#include "proxy/wan_secure/certificate_rows.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>

#include <ctime>

#include "secure/peering_identity.h"

namespace bh::proxy {

namespace {

std::string nameText(const X509_NAME* name) {
  BIO* b = BIO_new(BIO_s_mem());
  if (b == nullptr) {
    return "";
  }
  // RFC 2253 order and escaping, one line.
  X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<size_t>(n > 0 ? n : 0));
  BIO_free(b);
  return s;
}

std::string timeText(const ASN1_TIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return "?";
  }
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

}  // namespace

CertificateRow certificateRow(X509* cert, const std::string& owner) {
  CertificateRow r;
  r.owner = owner;
  r.subject = nameText(X509_get_subject_name(cert));
  r.issuer = nameText(X509_get_issuer_name(cert));
  r.notBefore = timeText(X509_get0_notBefore(cert));
  r.notAfter = timeText(X509_get0_notAfter(cert));
  r.defaultSelfSigned = secure::isDefaultSelfSigned(cert);
  return r;
}

}  // namespace bh::proxy
