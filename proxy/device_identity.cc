#include "proxy/device_identity.h"

#include <dirent.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <vector>

namespace bh::proxy {

codec::DeviceId deriveDeviceId(const std::string& configured) {
  if (!configured.empty()) {
    if (auto id = codec::DeviceId::fromString(configured)) {
      return *id;
    }
  }
  codec::DeviceId id;
  DIR* d = opendir("/sys/class/net");
  if (d == nullptr) {
    return id;
  }
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != ".." && n != "lo") {
      names.push_back(n);
    }
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::ifstream in("/sys/class/net/" + n + "/address");
    std::string mac;
    in >> mac;
    if (auto parsed = codec::DeviceId::fromString(mac)) {
      if (parsed->bytes != std::array<uint8_t, 6>{}) {
        return *parsed;
      }
    }
  }
  return id;
}

}  // namespace bh::proxy
