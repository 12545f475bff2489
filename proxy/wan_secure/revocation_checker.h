#pragma once
// The seam between WAN secure's TLS legs and the OCSP transport (issue 16; secure/README.md
// "OCSP"). Created identically by two helpers; do not change its text.
#include <openssl/x509.h>

#include <functional>
#include <memory>

#include "secure/ocsp_check.h"

namespace bh::proxy {

/// Asks whether a peer's certificate is revoked. Answers on the loop thread, never blocking it.
class RevocationChecker {
 public:
  /// Destroying a pending check cancels it: its callback is then never called.
  class Pending {
   public:
    virtual ~Pending() = default;
  };
  using Done = std::function<void(const secure::OcspVerdict&)>;
  virtual ~RevocationChecker() = default;
  /// Checks `leaf`, issued by `issuer`. `done` is called exactly once unless the returned
  /// Pending is destroyed first. It may be called before check() returns (an answer from the
  /// cache); check() then returns nullptr.
  virtual std::unique_ptr<Pending> check(X509* leaf, X509* issuer, Done done) = 0;
};

}  // namespace bh::proxy
