#include "secure/ocsp_response.h"

#include <openssl/err.h>

#include <climits>

namespace bh::secure {

namespace {

OcspAnswer failed(std::string why) {
  OcspAnswer a;
  a.error = std::move(why);
  ERR_clear_error();
  return a;
}

time_t timeOf(const ASN1_GENERALIZEDTIME* t) {
  struct tm tm {};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) {
    return 0;
  }
  return timegm(&tm);
}

}  // namespace

std::string_view ocspCertStatusName(OcspCertStatus s) {
  switch (s) {
    case OcspCertStatus::Good:
      return "good";
    case OcspCertStatus::Revoked:
      return "revoked";
    case OcspCertStatus::Unknown:
      return "unknown";
    case OcspCertStatus::Error:
      return "error";
  }
  return "error";
}

OcspAnswer verifyOcspResponse(ByteSpan der, const OcspQuery& query, X509_STORE* trustAnchors,
                              time_t now, long skewSeconds) {
  if (der.empty() || der.size() > INT_MAX) {
    return failed("empty OCSP response");
  }
  const unsigned char* p = der.data();
  OcspResponsePtr resp(d2i_OCSP_RESPONSE(nullptr, &p, static_cast<long>(der.size())));
  if (!resp || p != der.data() + der.size()) {
    return failed("OCSP response is not DER (garbage from the responder)");
  }
  int rs = OCSP_response_status(resp.get());
  if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return failed(std::string("OCSP responseStatus ") + OCSP_response_status_str(rs));
  }
  OcspBasicRespPtr basic(OCSP_response_get1_basic(resp.get()));
  if (!basic) {
    return failed("OCSP response has no BasicOCSPResponse");
  }
  if (query.usesNonce() && OCSP_check_nonce(query.request(), basic.get()) != 1) {
    return failed("OCSP nonce missing or different (replayed or stale response)");
  }
  STACK_OF(X509)* issuer = sk_X509_new_null();
  sk_X509_push(issuer, query.issuer());
  int v = OCSP_basic_verify(basic.get(), issuer, trustAnchors, 0);
  sk_X509_free(issuer);
  if (v != 1) {
    return failed("OCSP response signature does not verify: " + takeOpenSslError());
  }
  int status = 0;
  int reason = 0;
  ASN1_GENERALIZEDTIME* revokedAt = nullptr;
  ASN1_GENERALIZEDTIME* thisUpd = nullptr;
  ASN1_GENERALIZEDTIME* nextUpd = nullptr;
  if (OCSP_resp_find_status(basic.get(), query.certId(), &status, &reason, &revokedAt, &thisUpd,
                            &nextUpd) != 1) {
    return failed("OCSP response does not answer for the queried certificate");
  }
  OcspAnswer a;
  a.thisUpdate = timeOf(thisUpd);
  a.nextUpdate = nextUpd != nullptr ? timeOf(nextUpd) : 0;
  // RFC 6960 section 4.2.2.1 / RFC 5019 section 4: thisUpdate in the future or nextUpdate in
  // the past make the response unusable.
  if (a.thisUpdate == 0 || a.thisUpdate > now + skewSeconds) {
    return failed("OCSP thisUpdate is in the future");
  }
  if (nextUpd != nullptr && a.nextUpdate + skewSeconds < now) {
    return failed("OCSP nextUpdate has passed (stale response)");
  }
  switch (status) {
    case V_OCSP_CERTSTATUS_GOOD:
      a.status = OcspCertStatus::Good;
      break;
    case V_OCSP_CERTSTATUS_REVOKED:
      a.status = OcspCertStatus::Revoked;
      break;
    default:
      a.status = OcspCertStatus::Unknown;
      break;
  }
  return a;
}

}  // namespace bh::secure
