#pragma once

// `show statistics accelerator epm` as metric families (accel/metrics.h), from EpmCounters.

#include "accel/metrics.h"
#include "mapi/epm_ao/epm_counters.h"

namespace bh::mapi::epm_ao {

accel::MetricFamilies epmMetrics(const EpmCounters& c);

}  // namespace bh::mapi::epm_ao
