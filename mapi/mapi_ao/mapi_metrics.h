#pragma once

// `show statistics accelerator mapi` as metric families (accel/metrics.h), from the same
// MapiGlobalStats its text and JSON render. Sizes in bytes, times in seconds (the show
// command's microseconds / 1e6); each sampled figure (Synch Get Buffer, Read Stream,
// Accumulated Read Ahead, Local/Remote Response) is a summary (_sum, _count; the average is
// _sum / _count) with its minimum and maximum as gauges.

#include "accel/metrics.h"
#include "mapi/mapi_ao/mapi_counters.h"

namespace bh::mapi::mapi_ao {

accel::MetricFamilies mapiMetrics(const MapiGlobalStats& s);

}  // namespace bh::mapi::mapi_ao
