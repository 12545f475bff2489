// The text and JSON of `accelerator mapi verify encryption-settings`, laid out as the seed's
// Step 2 sample output: the part's tag, each check's title, "-----", "      Status: ...", its
// table and `>>` remedies, then the part's summary under "=====".

#include "accel/verify_encryption_settings.h"

namespace bh::accel {

namespace {

constexpr const char* kGood = "Device has proper configuration to accelerate encrypted traffic";
constexpr const char* kBad = "Device has to be properly configured for one or more components";

std::string partText(const VerifyPart& p, const std::string& summaryTail) {
  std::string o = "[" + p.name + ":]\n";
  if (!p.applicable) {
    o += "      Not applicable: " + p.notApplicable + "\n";
  }
  for (const auto& c : p.checks) {
    o += c.title + "\n-----\n      Status: " + checkStatusName(c.status) + "\n";
    for (const auto& l : c.lines) {
      o += l + "\n";
    }
    for (const auto& r : c.remedy) {
      o += ">>" + r + "\n";
    }
  }
  o += "Summary [" + p.name + "]:" + summaryTail + "\n=====\n      ";
  o += !p.applicable ? "Not applicable on this box" : p.ok() ? kGood : kBad;
  return o + "\n";
}

nlohmann::json partJson(const VerifyPart& p) {
  nlohmann::json checks = nlohmann::json::array();
  for (const auto& c : p.checks) {
    checks.push_back({{"check", c.key},
                      {"title", c.title},
                      {"status", checkStatusName(c.status)},
                      {"lines", c.lines},
                      {"remedy", c.remedy}});
  }
  return {{"applicable", p.applicable},
          {"not_applicable", p.notApplicable},
          {"ok", p.applicable && p.ok()},
          {"summary", !p.applicable ? "Not applicable on this box"
                      : p.ok()      ? kGood
                                    : kBad},
          {"checks", checks}};
}

}  // namespace

std::string verifyText(const VerifyReport& report) {
  return partText(report.edge, "") + "\n" + partText(report.core, " Applicable only on CORE WAEs");
}

nlohmann::json verifyJson(const VerifyReport& report) {
  return {{"edge", partJson(report.edge)}, {"core", partJson(report.core)}};
}

}  // namespace bh::accel
