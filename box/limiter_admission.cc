#include "box/limiter_admission.h"

namespace bh::box {

accel::Admission::Grant LimiterAdmission::admit(uint64_t group, bool knownGroup) {
  switch (limiter_.admit(knownGroup ? policy::FlowKind::KnownGroup : policy::FlowKind::NewGroup,
                         group)) {
    case policy::Admission::Optimize:
      return Grant::Admitted;
    case policy::Admission::OptimizeFromReserve:
      return Grant::AdmittedFromReserve;
    case policy::Admission::PassThroughOverload:
      return Grant::Refused;
  }
  return Grant::Refused;
}

void LimiterAdmission::release(Grant grant) {
  switch (grant) {
    case Grant::Admitted:
      limiter_.release(policy::Admission::Optimize);
      return;
    case Grant::AdmittedFromReserve:
      limiter_.release(policy::Admission::OptimizeFromReserve);
      return;
    case Grant::Refused:
      return;
  }
}

policy::Limits mapiLimits(const policy::Config& c) {
  policy::Limits l = c.limits;
  l.effectiveLimit = c.mapi.maxConnections;
  l.connectionLimit = c.mapi.maxConnections + c.limits.reservedMapiConnections;
  return l;
}

}  // namespace bh::box
