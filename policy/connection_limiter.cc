#include "policy/connection_limiter.h"

#include <algorithm>

namespace bh::policy {

ConnectionLimiter::ConnectionLimiter(const Limits& limits) : limits_(limits) {}

void ConnectionLimiter::setLimits(const Limits& limits) {
  limits_ = limits;
}

bool ConnectionLimiter::underEffectiveLimit() const {
  return counters_.active + counters_.reservedUnused < limits_.effectiveLimit;
}

bool ConnectionLimiter::overloaded() const {
  return !underEffectiveLimit();
}

void ConnectionLimiter::take(Admission how) {
  ++counters_.active;
  ++counters_.admitted;
  if (how == Admission::OptimizeFromReserve) {
    ++counters_.admittedFromReserve;
  }
  counters_.maxActive = std::max(counters_.maxActive, counters_.active);
}

Admission ConnectionLimiter::admit(FlowKind kind, uint64_t group) {
  if (kind == FlowKind::KnownGroup) {
    auto it = groupReserve_.find(group);
    // Use the reserve only when needed: under the limit the reservation stays for later.
    if (!underEffectiveLimit() && it != groupReserve_.end() && it->second > 0 &&
        counters_.active < limits_.connectionLimit) {
      --it->second;
      --counters_.reservedUnused;
      take(Admission::OptimizeFromReserve);
      return Admission::OptimizeFromReserve;
    }
  }
  if (!underEffectiveLimit() || counters_.active >= limits_.connectionLimit) {
    ++counters_.passThroughOverload;
    return Admission::PassThroughOverload;
  }
  take(Admission::Optimize);
  if (kind == FlowKind::NewGroup && groupReserve_.count(group) == 0) {
    uint64_t room = limits_.reservedMapiConnections > counters_.reservedUnused
                        ? limits_.reservedMapiConnections - counters_.reservedUnused
                        : 0;
    // Group count is bounded by the pool: a group with no reserve is not tracked.
    uint32_t grant = static_cast<uint32_t>(std::min<uint64_t>(room, limits_.mapiReservePerGroup));
    if (grant > 0) {
      groupReserve_[group] = grant;
      counters_.reservedUnused += grant;
      counters_.groups = groupReserve_.size();
    } else {
      ++counters_.reserveRefused;
    }
  }
  return Admission::Optimize;
}

void ConnectionLimiter::release(Admission how) {
  if (how == Admission::PassThroughOverload || counters_.active == 0) {
    return;
  }
  --counters_.active;
}

void ConnectionLimiter::endGroup(uint64_t group) {
  auto it = groupReserve_.find(group);
  if (it == groupReserve_.end()) {
    return;
  }
  counters_.reservedUnused -= std::min<uint64_t>(counters_.reservedUnused, it->second);
  groupReserve_.erase(it);
  counters_.groups = groupReserve_.size();
}

}  // namespace bh::policy
