// Arbitrary bytes as the DER body of an OCSP answer: verification must refuse anything that is
// not a response signed for the query, and never crash. The query is for a fixed self-signed
// certificate (its own issuer), made once.
#include <cstdlib>
#include <ctime>

#include "secure/ocsp_response.h"
#include "secure/peering_identity.h"

using namespace bh;
using namespace bh::secure;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static PeeringIdentity id = PeeringIdentity::generateSelfSigned("fuzz", 30).value();
  static OcspQuery query =
      OcspQuery::create(id.certificate.get(), id.certificate.get(), "http://127.0.0.1/", false)
          .value();
  static X509_STORE* anchors = [] {
    X509_STORE* s = X509_STORE_new();
    X509_STORE_add_cert(s, id.certificate.get());
    return s;
  }();
  OcspAnswer a = verifyOcspResponse(ByteSpan(data, size), query, anchors, std::time(nullptr));
  // Nothing but the fixed key signs for this query, and the fuzzer cannot forge ECDSA.
  if (a.status != OcspCertStatus::Error) {
    std::abort();
  }
  return 0;
}
