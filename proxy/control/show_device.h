#pragma once

// `show device`: who this box is (device id, role), how many flows it holds, which policy
// generation runs. Rendered from plain data.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace bh::proxy {

struct DeviceView {
  std::string deviceId;
  std::string role;
  size_t flows = 0;
  uint64_t policyGeneration = 0;
};

nlohmann::json showDevice(const DeviceView& d);

}  // namespace bh::proxy
