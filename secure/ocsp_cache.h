#pragma once

#include <cstddef>
#include <ctime>
#include <deque>
#include <map>
#include <optional>

#include "common/bytes.h"
#include "secure/ocsp_response.h"

namespace bh::secure {

/// Verified answers keyed by CertID (DER), each valid until its nextUpdate (RFC 5019 section
/// 6.1: a response may be reused until nextUpdate). An answer without nextUpdate is not cached
/// (RFC 6960 section 4.2.2.1: newer information is always available). At most maxEntries
/// answers; the oldest stored goes first.
class OcspCache {
 public:
  explicit OcspCache(size_t maxEntries = 4096) : maxEntries_(maxEntries) {}

  void store(const Bytes& certId, const OcspAnswer& answer, time_t now);
  /// The answer for certId if now is before its nextUpdate; expired entries are dropped.
  std::optional<OcspAnswer> lookup(const Bytes& certId, time_t now);
  size_t size() const { return entries_.size(); }

 private:
  size_t maxEntries_;
  std::map<Bytes, OcspAnswer> entries_;
  std::deque<Bytes> order_;
};

}  // namespace bh::secure
