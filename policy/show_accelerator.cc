#include "policy/show_accelerator.h"

#include <cstdio>

#include "common/text_column.h"

namespace bh::policy {
namespace {

using nlohmann::json;

std::string enabled(bool v) {
  return v ? "enabled" : "disabled";
}

std::string keepalive(double seconds) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.1f seconds", seconds);
  return buf;
}

/// "enabled", or why sealed MAPI is handed off on this box.
std::string encryptionValue(const Config& c) {
  if (!c.mapi.enabled) {
    return "disabled (MAPI accelerator disabled)";
  }
  if (c.wanSecure.mapiMode == WanSecureMode::Never) {
    return "disabled (wan_secure mode " + wanSecureModeName(c.wanSecure.mapiMode) + ")";
  }
  return "enabled";
}

std::string counterLine(const std::string& name, uint64_t value) {
  return padRight(name + ":", 47) + std::to_string(value) + "\n";
}

}  // namespace

std::string showAcceleratorMapi(const Config& c, const AcceleratorStatus& s) {
  std::string o;
  o += "Accelerator      Licensed      Config State  Operational State\n";
  o += "-----------      --------      ------------  -----------------\n";
  o += padRight("mapi", 17) + padRight(s.licensed ? "Yes" : "No", 14) +
       padRight(c.mapi.enabled ? "Enabled" : "Disabled", 14) + s.operationalState + "\n";
  o += "MAPI:\n";
  o += "Accelerator Config Item      Mode      Value\n";
  o += "-----------------------      ----      -----\n";
  o += padRight("Read optimization", 29) + padRight("User", 10) + enabled(c.mapi.readOptimization) +
       "\n";
  o += padRight("Write optimization", 29) + padRight("User", 10) +
       enabled(c.mapi.writeOptimization) + "\n";
  // eMAPI (issue 18): sealed sessions are opened when the keys can reach the edge (a secured
  // peer leg: wan_secure mode auto or always) and, on the core, the encryption service gives them.
  o += padRight("Encryption", 29) + padRight("User", 10) + encryptionValue(c) + "\n";
  o += padRight("Encryption service", 29) + padRight("User", 10) +
       enabled(c.encryptionService.enabled) + "\n";
  o += "Policy Engine Config Item    Value\n";
  o += "-------------------------    -----\n";
  o += padRight("State", 29) + (s.registered ? "Registered" : "Not Registered") + "\n";
  // The seed prints this item without a value: the action comes from the policy map.
  o += "Default Action\n";
  o += padRight("Connection Limit", 29) + std::to_string(c.limits.connectionLimit) + "\n";
  o += padRight("Effective Limit", 29) + std::to_string(c.limits.effectiveLimit) + "\n";
  o += padRight("Keepalive timeout", 29) + keepalive(c.mapi.keepaliveSeconds) + "\n";
  return o;
}

json acceleratorMapiJson(const Config& c, const AcceleratorStatus& s) {
  return {{"accelerator", "mapi"},
          {"licensed", s.licensed},
          {"config_state", c.mapi.enabled ? "Enabled" : "Disabled"},
          {"operational_state", s.operationalState},
          {"read_optimization", c.mapi.readOptimization},
          {"write_optimization", c.mapi.writeOptimization},
          {"read_ahead_bytes", c.mapi.readAheadBytes},
          {"encryption", encryptionValue(c)},
          {"encryption_service", c.encryptionService.enabled},
          {"policy_engine",
           {{"state", s.registered ? "Registered" : "Not Registered"},
            {"default_action", nullptr},
            {"connection_limit", c.limits.connectionLimit},
            {"effective_limit", c.limits.effectiveLimit},
            {"keepalive_timeout_seconds", c.mapi.keepaliveSeconds}}}};
}

std::string showLimiterCounters(const LimiterCounters& k) {
  std::string o;
  o += counterLine("Current Active Optimized Flows", k.active);
  o += counterLine("Current Reserved Flows", k.reservedUnused);
  o += counterLine("Maximum Active Optimized Flows", k.maxActive);
  o += counterLine("Total Optimized Admissions", k.admitted);
  o += counterLine("Total Admissions From Reserved Pool", k.admittedFromReserve);
  o += counterLine("Total Pass-Through Flows (Overload)", k.passThroughOverload);
  o += counterLine("Association Groups With Reservation", k.groups);
  o += counterLine("Reservations Refused (Pool Full)", k.reserveRefused);
  return o;
}

json limiterCountersJson(const LimiterCounters& k) {
  return {{"current_active_optimized_flows", k.active},
          {"current_reserved_flows", k.reservedUnused},
          {"max_active_optimized_flows", k.maxActive},
          {"admitted", k.admitted},
          {"admitted_from_reserve", k.admittedFromReserve},
          {"pass_through_overload", k.passThroughOverload},
          {"groups_with_reservation", k.groups},
          {"reservations_refused", k.reserveRefused}};
}

}  // namespace bh::policy
