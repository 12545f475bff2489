#pragma once

#include <cstdint>
#include <ctime>
#include <string>

#include "common/bytes.h"
#include "secure/ocsp_cache.h"
#include "secure/ocsp_http.h"
#include "secure/ocsp_request.h"
#include "secure/tls_failure.h"

namespace bh::secure {

/// What to do when the responder cannot say (unreachable, timeout, garbage, "unknown"): the
/// seed's revocation check either refuses the peer (fail_closed, the default) or lets it in.
enum class OcspUnreachablePolicy { FailClosed, FailOpen };

struct OcspSettings {
  std::string url;  ///< configured responder ("" = the certificate's AIA)
  uint64_t timeoutMs = 5000;
  OcspUnreachablePolicy unreachable = OcspUnreachablePolicy::FailClosed;
  size_t maxResponseBytes = 64 * 1024;
};

/// The outcome of one revocation check: accept, or refuse the session with a reason.
struct OcspVerdict {
  bool accept = false;
  TlsFailure failure = TlsFailure::None;  ///< CertificateRevoked or RevocationUnknown
  OcspCertStatus status = OcspCertStatus::Error;
  bool fromCache = false;
  std::string detail;  ///< "revoked (OCSP, http://...)", "responder timed out after 5000 ms"
};

/// One revocation check of a peer certificate, driven by its owner (the proxy's HTTP leg, or a
/// test): takes the cache's answer at once if it has one, otherwise the owner sends
/// httpRequest() to url(), feeds the answer's bytes to receive(), tells responderClosed() /
/// responderUnreachable(), and calls expire(now) when timeoutMs have passed. Never blocks.
class OcspCheck {
 public:
  /// `cache` and `trustAnchors` must outlive the check.
  OcspCheck(OcspQuery query, const OcspSettings& settings, OcspCache& cache,
            X509_STORE* trustAnchors, uint64_t startMs, time_t now);

  /// Set as soon as the check has its verdict (maybe at construction, from the cache).
  bool done() const { return done_; }
  const OcspVerdict& verdict() const { return verdict_; }

  const OcspUrl& url() const { return query_.url(); }
  Bytes httpRequest() const { return query_.httpRequest(); }
  uint64_t deadlineMs() const { return deadlineMs_; }

  void receive(ByteSpan bytes, time_t now);
  void responderClosed(time_t now);
  void responderUnreachable(const std::string& why);
  /// The timeout: if nowMs reached the deadline and no verdict yet, the policy decides.
  void expire(uint64_t nowMs);

 private:
  void decide(const OcspAnswer& answer, bool fromCache);
  void unreachable(const std::string& why);

  OcspQuery query_;
  OcspSettings settings_;
  OcspCache& cache_;
  X509_STORE* trustAnchors_;
  uint64_t deadlineMs_;
  OcspHttpResponseParser parser_;
  bool done_ = false;
  OcspVerdict verdict_;
};

}  // namespace bh::secure
