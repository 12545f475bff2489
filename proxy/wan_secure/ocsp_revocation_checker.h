#pragma once
// The OCSP transport of WAN secure (issue 16; secure/README.md "OCSP"): secure::OcspCheck decides,
// this class carries its HTTP/1.0 POST (RFC 6960 appendix A.1) to the responder over a libuv TCP
// connection and feeds the answer back. Nothing here waits: name lookups run on libuv's thread
// pool, the timeout is a uv timer, and every handle is freed in its close callback.
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>

#include "common/bytes.h"
#include "proxy/wan_secure/revocation_checker.h"
#include "secure/ocsp_cache.h"
#include "secure/ocsp_check.h"

namespace bh::proxy {

/// How much of the responder the checker may use at once.
struct OcspTransportLimits {
  /// Requests under way at once (a name lookup, a connection, waiting for the answer).
  size_t maxInFlight = 16;
  /// Further certificates waiting for a free slot; their timeout runs while they wait.
  size_t maxQueued = 256;
};

/// RevocationChecker over OCSP. One request per certificate (CertID) at a time: concurrent
/// checks of the same certificate share it. Verified good/revoked answers are cached until their
/// nextUpdate (secure::OcspCache) and answer later checks at once. A check over the caps gets the
/// unreachable policy's verdict at once, named.
///
/// check() calls `done` before it returns (and returns nullptr) for a cached answer, a
/// certificate with no responder URL and a refusal over the caps; otherwise later, on the loop.
/// Destroying a Pending cancels it; the last one of a request closes its connection. Destroying
/// the checker cancels every check (no callback after it; Pendings may be destroyed later); its
/// handles close on the loop's next turn. Loop thread only.
class OcspRevocationChecker : public RevocationChecker {
 public:
  struct Counters {
    uint64_t checks = 0;       ///< check() calls
    uint64_t cacheHits = 0;    ///< answered at once from the cache
    uint64_t coalesced = 0;    ///< joined a request under way for the same certificate
    uint64_t requests = 0;     ///< requests made (one per certificate asked)
    uint64_t connections = 0;  ///< TCP connections opened to a responder
    uint64_t overCap = 0;      ///< refused because maxInFlight + maxQueued were taken
  };

  /// `trustAnchors` (the CA bundle the responses must chain to) must outlive the checker.
  OcspRevocationChecker(uv_loop_t* loop, const secure::OcspSettings& settings,
                        X509_STORE* trustAnchors, OcspTransportLimits limits = {});
  ~OcspRevocationChecker() override;
  OcspRevocationChecker(const OcspRevocationChecker&) = delete;
  OcspRevocationChecker& operator=(const OcspRevocationChecker&) = delete;

  std::unique_ptr<Pending> check(X509* leaf, X509* issuer, Done done) override;

  const Counters& counters() const { return counters_; }
  const secure::OcspSettings& settings() const { return settings_; }
  size_t inFlight() const { return inFlight_; }
  size_t queued() const { return queue_.size(); }
  secure::OcspCache& cache() { return cache_; }

 private:
  class Request;
  class Waiter;

  void finish(Request* request);
  void abandon(Request* request);
  std::unique_ptr<Request> detach(Request* request);
  void startQueued();
  secure::OcspVerdict policyVerdict(const std::string& why) const;

  uv_loop_t* loop_;
  secure::OcspSettings settings_;
  X509_STORE* trustAnchors_;
  OcspTransportLimits limits_;
  secure::OcspCache cache_;
  std::map<Bytes, std::unique_ptr<Request>> requests_;  ///< by CertID: under way or queued
  std::deque<Request*> queue_;                          ///< not started yet, oldest first
  size_t inFlight_ = 0;
  Counters counters_;
  /// Expires with the checker: a callback that destroyed it stops the delivery loop.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace bh::proxy
