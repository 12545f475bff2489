#include "proxy/control/show_accelerators.h"

#include <cstdio>

#include "proxy/control/reply.h"

namespace bh::proxy {

nlohmann::json showAccelerators(const std::vector<AcceleratorRow>& all, const std::string& only) {
  std::vector<AcceleratorRow> rows;
  std::string names;
  for (const auto& r : all) {
    names += (names.empty() ? "" : ", ") + r.name;
    if (only.empty() || only == r.name) {
      rows.push_back(r);
    }
  }
  if (rows.empty()) {
    return replyError("no accelerator '" + only + "' (" + names + ")");
  }
  char line[160];
  std::snprintf(line, sizeof(line), "%-17s%-14s%-14s%s\n", "Accelerator", "Licensed",
                "Config State", "Operational State");
  std::string t = line;
  t += "------------------------------------------------------------------\n";
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : rows) {
    std::snprintf(line, sizeof(line), "%-17s%-14s%-14s%s\n", r.name.c_str(), "Yes",
                  r.enabled ? "Enabled" : "Disabled", r.state.c_str());
    t += line;
    j.push_back({{"accelerator", r.name},
                 {"licensed", true},
                 {"config_state", r.enabled ? "Enabled" : "Disabled"},
                 {"operational_state", r.state}});
  }
  return replyOk(t, j);
}

}  // namespace bh::proxy
