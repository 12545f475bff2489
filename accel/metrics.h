#pragma once

// Counters and gauges as plain data, for the box's Prometheus listener (proxy/metrics/): each
// part of the box (the flow manager, the generic accelerator, the MAPI and EPM accelerators)
// describes its `show statistics` figures as metric families, from the same structs its show
// command renders, and the listener writes them in the text exposition format.
// Names follow the Prometheus naming rules (https://prometheus.io/docs/practices/naming/):
// prefix bridgehead_, snake_case, the unit in the name as a base unit (bytes, seconds),
// counters end in _total. The names are an interface: Grafana dashboards depend on them, so
// a name, once shipped, does not change.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace bh::accel {

enum class MetricType { Counter, Gauge, Summary };

/// One sample of a family: its labels and value. For a summary, `value` is the sum and `count`
/// the number of observations (written as NAME_sum and NAME_count).
struct MetricSample {
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0;
  uint64_t count = 0;
};

struct MetricFamily {
  std::string name;  ///< full sample name, e.g. bridgehead_mapi_handled_connections_total
  std::string help;
  MetricType type = MetricType::Gauge;
  std::vector<MetricSample> samples;
};

using MetricFamilies = std::vector<MetricFamily>;

/// Appends a family with one unlabelled sample.
inline void addMetric(MetricFamilies& out, std::string name, MetricType type, std::string help,
                      double value) {
  out.push_back({std::move(name), std::move(help), type, {{{}, value, 0}}});
}

}  // namespace bh::accel
