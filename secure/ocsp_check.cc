#include "secure/ocsp_check.h"

namespace bh::secure {

OcspCheck::OcspCheck(OcspQuery query, const OcspSettings& settings, OcspCache& cache,
                     X509_STORE* trustAnchors, uint64_t startMs, time_t now)
    : query_(std::move(query)),
      settings_(settings),
      cache_(cache),
      trustAnchors_(trustAnchors),
      deadlineMs_(startMs + settings.timeoutMs),
      parser_(settings.maxResponseBytes) {
  if (auto cached = cache_.lookup(query_.certIdKey(), now)) {
    decide(*cached, true);
  }
}

void OcspCheck::decide(const OcspAnswer& answer, bool fromCache) {
  done_ = true;
  verdict_.status = answer.status;
  verdict_.fromCache = fromCache;
  std::string where = " (OCSP, " + query_.url().text + (fromCache ? ", cached)" : ")");
  switch (answer.status) {
    case OcspCertStatus::Good:
      verdict_.accept = true;
      verdict_.detail = "good" + where;
      return;
    case OcspCertStatus::Revoked:
      verdict_.accept = false;
      verdict_.failure = TlsFailure::CertificateRevoked;
      verdict_.detail = "certificate " + query_.certificateName() + " revoked" + where;
      return;
    case OcspCertStatus::Unknown:
      unreachable("responder does not know the certificate" + where);
      return;
    case OcspCertStatus::Error:
      unreachable(answer.error + where);
      return;
  }
}

void OcspCheck::unreachable(const std::string& why) {
  done_ = true;
  bool open = settings_.unreachable == OcspUnreachablePolicy::FailOpen;
  verdict_.accept = open;
  verdict_.failure = open ? TlsFailure::None : TlsFailure::RevocationUnknown;
  verdict_.detail = "certificate " + query_.certificateName() + ": " + why +
                    (open ? "; fail_open lets the peer in" : "; fail_closed refuses it");
}

void OcspCheck::receive(ByteSpan bytes, time_t now) {
  if (done_) {
    return;
  }
  ParseResult r = parser_.feed(bytes);
  if (r.status == ParseStatus::Error) {
    OcspAnswer a;
    a.error = "OCSP responder answer refused: " + r.error;
    decide(a, false);
    return;
  }
  if (r.status == ParseStatus::Done) {
    OcspAnswer a = verifyOcspResponse(parser_.body(), query_, trustAnchors_, now);
    cache_.store(query_.certIdKey(), a, now);
    decide(a, false);
  }
}

void OcspCheck::responderClosed(time_t now) {
  if (done_) {
    return;
  }
  ParseResult r = parser_.finish();
  if (r.status == ParseStatus::Error) {
    OcspAnswer a;
    a.error = r.error;
    decide(a, false);
    return;
  }
  receive({}, now);
}

void OcspCheck::responderUnreachable(const std::string& why) {
  if (!done_) {
    unreachable("OCSP responder " + query_.url().text + " unreachable: " + why);
  }
}

void OcspCheck::expire(uint64_t nowMs) {
  if (!done_ && nowMs >= deadlineMs_) {
    unreachable("OCSP responder " + query_.url().text + " timed out after " +
                std::to_string(settings_.timeoutMs) + " ms");
  }
}

}  // namespace bh::secure
