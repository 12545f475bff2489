// Fuzz target "config": the configuration loader must turn any byte string into either a
// Config or errors, never a crash or an escaped exception. Valid configs are pushed further:
// built into a Policy, classified against, rendered, and round-tripped through the JSON form.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "policy/config_loader.h"
#include "policy/policy.h"
#include "policy/show_policy_map.h"
#include "policy/show_running_config.h"

using namespace bh::policy;
using bh::IpAddress;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = loadConfig(text);
  if (!loaded.ok()) {
    for (const auto& e : loaded.errors()) {
      // Every error must say why; paths are JSON pointers ("" or starting with '/').
      if (e.message.empty() || (!e.path.empty() && e.path[0] != '/')) {
        std::abort();
      }
    }
    return 0;
  }
  const Config& config = loaded.value();
  auto policy = Policy::create(config);
  if (!policy.ok()) {
    std::abort();  // the loader already validated it
  }
  // A few flows whose fields come from the input, so classification sees fuzzed prefixes.
  std::array<uint8_t, 16> v6{};
  for (size_t i = 0; i < v6.size() && i < size; ++i) {
    v6[i] = data[size - 1 - i];
  }
  FlowKey flows[] = {
      {IpAddress::v4(0x0a0a0a0a), IpAddress::v4(0x0a0a6465), 3774, 135},
      {IpAddress::v6(v6), IpAddress::v6(v6), static_cast<uint16_t>(size), 1146},
      {IpAddress::v4(static_cast<uint32_t>(size) * 2654435761u), IpAddress::v4(0), 0, 65535},
  };
  DynamicRules rules([] { return MonoTime{}; }, 4);
  for (const auto& m : config.epmMaps) {
    if (auto r = policy.value()->epmRule(m.uuid, flows[0].dst, 1146)) {
      rules.add(*r);
    }
  }
  for (const auto& f : flows) {
    (void)policy.value()->classify(f, &rules);
  }
  (void)showRunningConfig(config);
  (void)showPolicyMap(*policy.value());
  (void)showClassMap(*policy.value());
  // What we print as JSON must load again.
  if (!loadConfig(configToJson(config).dump()).ok()) {
    std::abort();
  }
  return 0;
}
