// Fuzz target `route_answer`: parseRouteAnswer on arbitrary bytes (what the kernel answers a
// peer-route lookup). Asserts: no read out of bounds (ASan); an accepted answer is a unicast
// path with an interface, and the host route built from it parses back to the same path.
#include <cstdint>
#include <cstdlib>

#include "redirect/route_netlink.h"

using namespace bh::redirect;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ResolvedRoute r;
  int code = 0;
  if (parseRouteAnswer(bh::ByteSpan(data, size), r, &code) != RouteAnswer::Ok) {
    return 0;
  }
  PeerHostRoute route;
  route.table = 28;
  route.via = r;
  route.initialWindowSegments = 864;
  ResolvedRoute back;
  if (parseRouteAnswer(buildReplaceRoute(route, 1), back) != RouteAnswer::Ok ||
      back.destination != r.destination || back.gateway != r.gateway ||
      back.outputInterface != r.outputInterface || back.mtu != r.mtu || back.advmss != r.advmss) {
    std::abort();
  }
  return 0;
}
