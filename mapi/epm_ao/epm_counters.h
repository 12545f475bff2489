#pragma once

// Counters of the EPM accelerator and their `show statistics accelerator epm` renderers, the
// command the seed's troubleshooting guide uses to check that the EPM AO is functional
// (Total Handled Connections, Total Requests/Responses Successfully Parsed).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace bh::mapi::epm_ao {

/// Accelerator-wide counters, shared by every EpmAccelerator of one event loop.
struct EpmCounters {
  uint64_t totalHandledConnections = 0;
  uint64_t currentActiveConnections = 0;
  uint64_t maximumActiveConnections = 0;
  /// Connections the AO stopped following after a hard parse error or a cap (bytes still flow).
  uint64_t totalConnectionsStopped = 0;
  uint64_t totalRequestsSuccessfullyParsed = 0;
  uint64_t totalResponsesSuccessfullyParsed = 0;
  uint64_t totalRequestsFailedToParse = 0;
  uint64_t totalResponsesFailedToParse = 0;
  /// ept_map responses with a non-zero status, or faults, to a request we parsed.
  uint64_t totalUnsuccessfulLookups = 0;
  uint64_t totalDynamicRulesInstalled = 0;
};

/// The text of `show statistics accelerator epm`.
std::string showStatisticsAcceleratorEpm(const EpmCounters& counters);
/// The same facts for `--json`.
nlohmann::json statisticsAcceleratorEpmJson(const EpmCounters& counters);

}  // namespace bh::mapi::epm_ao
