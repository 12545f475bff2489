#include "mapi/epm_ao/epm_metrics.h"

namespace bh::mapi::epm_ao {

accel::MetricFamilies epmMetrics(const EpmCounters& c) {
  using accel::MetricType;
  accel::MetricFamilies out;
  auto add = [&out](const char* name, MetricType type, const char* help, uint64_t v) {
    accel::addMetric(out, name, type, help, static_cast<double>(v));
  };
  add("bridgehead_epm_handled_connections_total", MetricType::Counter,
      "EPM: Total Handled Connections.", c.totalHandledConnections);
  add("bridgehead_epm_active_connections", MetricType::Gauge, "EPM: Current Active Connections.",
      c.currentActiveConnections);
  add("bridgehead_epm_max_active_connections", MetricType::Gauge,
      "EPM: Maximum Active Connections.", c.maximumActiveConnections);
  add("bridgehead_epm_stopped_connections_total", MetricType::Counter,
      "EPM: connections the accelerator stopped following (parse error or cap).",
      c.totalConnectionsStopped);
  add("bridgehead_epm_parsed_requests_total", MetricType::Counter,
      "EPM: Total Requests Successfully Parsed.", c.totalRequestsSuccessfullyParsed);
  add("bridgehead_epm_parsed_responses_total", MetricType::Counter,
      "EPM: Total Responses Successfully Parsed.", c.totalResponsesSuccessfullyParsed);
  add("bridgehead_epm_failed_requests_total", MetricType::Counter,
      "EPM: requests that failed to parse.", c.totalRequestsFailedToParse);
  add("bridgehead_epm_failed_responses_total", MetricType::Counter,
      "EPM: responses that failed to parse.", c.totalResponsesFailedToParse);
  add("bridgehead_epm_unsuccessful_lookups_total", MetricType::Counter,
      "EPM: ept_map answers with a non-zero status, or faults.", c.totalUnsuccessfulLookups);
  add("bridgehead_epm_dynamic_rules_installed_total", MetricType::Counter,
      "EPM: dynamic rules installed from ept_map answers.", c.totalDynamicRulesInstalled);
  return out;
}

}  // namespace bh::mapi::epm_ao
