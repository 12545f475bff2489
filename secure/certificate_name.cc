#include "secure/certificate_name.h"

#include <openssl/bio.h>
#include <openssl/bn.h>

namespace bh::secure {

std::string certificateNameOf(X509* certificate) {
  if (certificate == nullptr) {
    return "(no certificate)";
  }
  std::string subject = "?";
  if (BIO* b = BIO_new(BIO_s_mem())) {
    X509_NAME_print_ex(b, X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    subject.assign(data, static_cast<size_t>(n > 0 ? n : 0));
    BIO_free(b);
  }
  std::string serial = "?";
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      serial = std::string("0x") + hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  return "\"" + subject + "\" (serial " + serial + ")";
}

}  // namespace bh::secure
