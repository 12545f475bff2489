#include "redirect/wccp/gre_receive.h"

#include <algorithm>

#include "redirect/wccp/gre_redirect.h"

namespace bh::redirect::wccp {

GreReceived receiveGre(ByteSpan datagram, const std::function<bool(uint32_t)>& isRouter,
                       const std::vector<uint8_t>& services) {
  GreReceived out;
  const size_t ihl = datagram.size() >= 20 ? size_t(datagram[0] & 0xf) * 4 : 0;
  if (ihl < 20 || ihl > datagram.size() || (datagram[0] >> 4) != 4) {
    out.why = "not an IPv4 datagram";
    return out;
  }
  out.source = (uint32_t(datagram[12]) << 24) | (uint32_t(datagram[13]) << 16) |
               (uint32_t(datagram[14]) << 8) | datagram[15];
  if (!isRouter(out.source)) {
    out.drop = GreDrop::UnknownRouter;
    out.why = "GRE from an address that is no router of a service group";
    return out;
  }
  GreRedirect g;
  ParseResult r = decodeGreRedirect(datagram.subspan(ihl), g);
  if (!r.ok()) {
    out.why = r.error;
    return out;
  }
  if (g.hasRedirectHeader &&
      std::find(services.begin(), services.end(), g.header.serviceId) == services.end()) {
    out.drop = GreDrop::OtherService;
    out.why = "redirect header names service " + std::to_string(g.header.serviceId);
    return out;
  }
  out.drop = GreDrop::None;
  out.inner = g.inner;
  return out;
}

}  // namespace bh::redirect::wccp
