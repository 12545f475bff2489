#pragma once

// Who this box is to its peers: the device id in its SYN options and Hellos.

#include <string>

#include "proxy/codec/device_id.h"

namespace bh::proxy {

/// The configured device id (device.id) when it parses, else the box's first non-loopback MAC
/// in interface-name order (distinct per namespace in the lab).
codec::DeviceId deriveDeviceId(const std::string& configured);

}  // namespace bh::proxy
