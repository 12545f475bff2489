#pragma once

// The Prometheus text exposition format, version 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): for each
// family a "# HELP" and a "# TYPE" line, then its samples. Pure code.

#include <string>

#include "accel/metrics.h"

namespace bh::accel {

/// The Content-Type of a scrape in this format.
inline constexpr const char* kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

/// True when `name` is a valid metric or label name ([a-zA-Z_:][a-zA-Z0-9_:]*; labels without
/// ':').
bool validMetricName(const std::string& name);
bool validLabelName(const std::string& name);

/// Renders every family. A family with an invalid name, or a sample with an invalid label
/// name, is left out (a programming error, caught by the unit tests; never an invalid scrape).
std::string renderExposition(const MetricFamilies& families);

}  // namespace bh::accel
