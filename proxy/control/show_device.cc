#include "proxy/control/show_device.h"

#include "proxy/control/reply.h"

namespace bh::proxy {

nlohmann::json showDevice(const DeviceView& d) {
  nlohmann::json j = {{"device_id", d.deviceId},
                      {"role", d.role},
                      {"flows", d.flows},
                      {"policy_generation", d.policyGeneration}};
  return replyOk("Device Id: " + d.deviceId + "\nRole: " + d.role + "\n", j);
}

}  // namespace bh::proxy
