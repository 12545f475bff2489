#include "policy/restart_required.h"

namespace bh::policy {

std::vector<std::string> restartRequired(const Config& a, const Config& b) {
  std::vector<std::string> out;
  auto check = [&out](bool changed, const char* path) {
    if (changed) {
      out.emplace_back(path);
    }
  };
  check(a.device.id != b.device.id, "/device/id");
  check(a.device.role != b.device.role, "/device/role");
  check(a.device.hostname != b.device.hostname, "/device/hostname");
  check(a.interception.mode != b.interception.mode, "/interception/mode");
  check(a.interception.wccp != b.interception.wccp, "/interception/wccp");
  check(a.peering.optionKind != b.peering.optionKind, "/peering/tcp_option_kind");
  check(a.peering.optionExid != b.peering.optionExid, "/peering/tcp_option_exid");
  check(a.peering.listenPort != b.peering.listenPort, "/peering/listen_port");
  check(a.dre.cacheSizeMb != b.dre.cacheSizeMb, "/dre/cache_size_mb");
  check(a.metrics.listen != b.metrics.listen, "/metrics/listen");
  return out;
}

}  // namespace bh::policy
