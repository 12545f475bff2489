#pragma once

// An accelerator's connection resource (accel::Admission) over policy's connection limiter:
// the box gives the MAPI AO accelerators.mapi.max_connections with the reserve of
// limits.reserved_mapi_connections for the association groups it accelerates.

#include "accel/accelerator.h"
#include "policy/connection_limiter.h"

namespace bh::box {

class LimiterAdmission : public accel::Admission {
 public:
  explicit LimiterAdmission(const policy::Limits& limits) : limiter_(limits) {}
  void setLimits(const policy::Limits& limits) { limiter_.setLimits(limits); }
  const policy::ConnectionLimiter& limiter() const { return limiter_; }

  Grant admit(uint64_t group, bool knownGroup) override;
  void release(Grant grant) override;
  void endGroup(uint64_t group) override { limiter_.endGroup(group); }
  uint64_t active() const override { return limiter_.counters().active; }

 private:
  policy::ConnectionLimiter limiter_;
};

/// The MAPI AO's own limits from the box's config: new connections stop at
/// accelerators.mapi.max_connections; the groups' reserved connections may go past it (that is
/// what they are for), up to the size of the reserved pool.
policy::Limits mapiLimits(const policy::Config& config);

}  // namespace bh::box
