#include "policy/listen_address.h"

#include <charconv>

#include "policy/config.h"
#include "policy/json_reader.h"

namespace bh::policy {

bool parseListenAddress(std::string_view text, IpAddress& address, uint16_t& port) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return false;
  }
  std::string_view host = text.substr(0, colon);
  std::string_view portText = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') {
      return false;
    }
    host = host.substr(1, host.size() - 2);
    if (host.find(':') == std::string_view::npos) {
      return false;  // brackets are for IPv6 only
    }
  } else if (host.find(':') != std::string_view::npos) {
    return false;  // a bare IPv6 address is ambiguous with the port: brackets required
  }
  auto a = IpAddress::parse(host);
  unsigned v = 0;
  auto r = std::from_chars(portText.data(), portText.data() + portText.size(), v);
  if (!a || portText.empty() || r.ec != std::errc() || r.ptr != portText.data() + portText.size() ||
      v == 0 || v > 65535) {
    return false;
  }
  address = *a;
  port = static_cast<uint16_t>(v);
  return true;
}

void loadMetrics(const nlohmann::json& j, const std::string& path, Config& c,
                 ConfigErrors& errors) {
  ObjectReader r(j, path, errors);
  r.string("listen", c.metrics.listen);
  IpAddress a;
  uint16_t p = 0;
  if (!c.metrics.listen.empty() && !parseListenAddress(c.metrics.listen, a, p)) {
    r.error("listen",
            "'" + c.metrics.listen + "' is not ADDRESS:PORT (e.g. 127.0.0.1:9464 or [::1]:9464)");
  }
  r.finish();
}

}  // namespace bh::policy
