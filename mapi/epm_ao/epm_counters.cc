#include "mapi/epm_ao/epm_counters.h"

#include <cstdio>
#include <utility>
#include <vector>

namespace bh::mapi::epm_ao {

namespace {

/// Label/value rows in the order the seed's WAAS output prints them (ours appended last).
std::vector<std::pair<const char*, uint64_t>> rows(const EpmCounters& c) {
  return {
      {"Total Handled Connections", c.totalHandledConnections},
      {"Current Active Connections", c.currentActiveConnections},
      {"Maximum Active Connections", c.maximumActiveConnections},
      {"Total Connections Stopped Parsing", c.totalConnectionsStopped},
      {"Total Requests Successfully Parsed", c.totalRequestsSuccessfullyParsed},
      {"Total Responses Successfully Parsed", c.totalResponsesSuccessfullyParsed},
      {"Total Requests Failed to Parse", c.totalRequestsFailedToParse},
      {"Total Responses Failed to Parse", c.totalResponsesFailedToParse},
      {"Total Unsuccessful Lookups", c.totalUnsuccessfulLookups},
      {"Total Dynamic Rules Installed", c.totalDynamicRulesInstalled},
  };
}

}  // namespace

std::string showStatisticsAcceleratorEpm(const EpmCounters& counters) {
  std::string out = "EPM:\n  Global Statistics\n  -----------------\n";
  char line[128];
  for (const auto& [label, value] : rows(counters)) {
    std::string l = std::string(label) + ":";
    std::snprintf(line, sizeof line, "  %-51s %llu\n", l.c_str(),
                  static_cast<unsigned long long>(value));
    out += line;
  }
  return out;
}

nlohmann::json statisticsAcceleratorEpmJson(const EpmCounters& c) {
  return {
      {"accelerator", "epm"},
      {"totalHandledConnections", c.totalHandledConnections},
      {"currentActiveConnections", c.currentActiveConnections},
      {"maximumActiveConnections", c.maximumActiveConnections},
      {"totalConnectionsStopped", c.totalConnectionsStopped},
      {"totalRequestsSuccessfullyParsed", c.totalRequestsSuccessfullyParsed},
      {"totalResponsesSuccessfullyParsed", c.totalResponsesSuccessfullyParsed},
      {"totalRequestsFailedToParse", c.totalRequestsFailedToParse},
      {"totalResponsesFailedToParse", c.totalResponsesFailedToParse},
      {"totalUnsuccessfulLookups", c.totalUnsuccessfulLookups},
      {"totalDynamicRulesInstalled", c.totalDynamicRulesInstalled},
  };
}

}  // namespace bh::mapi::epm_ao
