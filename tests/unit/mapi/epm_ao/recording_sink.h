#pragma once

// An EndpointSink for the EPM AO's tests: it wants the interfaces it is given (as a policy with
// an EPM map for each would; the shipped policy maps EMSMDB only) and records what it is
// offered and what it took. The policy's side is box/epm_dynamic_rules.h, tested in
// tests/unit/box/epm_dynamic_rules_test.cc.

#include <set>
#include <string>
#include <vector>

#include "mapi/epm_ao/endpoint_sink.h"

namespace bh::mapi::epm_ao::testing {

inline constexpr const char* kEmsmdbUuid = "a4f1db00-ca47-1067-b31f-00dd010662da";

class RecordingSink : public EndpointSink {
 public:
  explicit RecordingSink(std::set<std::string> wanted = {kEmsmdbUuid})
      : wanted_(std::move(wanted)) {}
  bool onMappedEndpoint(const MappedEndpoint& endpoint) override {
    offered.push_back(endpoint);
    if (wanted_.count(endpoint.interfaceUuid) == 0) {
      return false;
    }
    taken.push_back(endpoint);
    return true;
  }
  /// Every endpoint the AO handed over, in order.
  std::vector<MappedEndpoint> offered;
  /// Those that led to a rule.
  std::vector<MappedEndpoint> taken;

 private:
  std::set<std::string> wanted_;
};

}  // namespace bh::mapi::epm_ao::testing
