#include "proxy/control/show_peering.h"

#include <string>

#include "proxy/control/reply.h"

namespace bh::proxy {

namespace {

nlohmann::json keyValueLines(nlohmann::json j) {
  std::string t;
  for (auto& [k, v] : j.items()) {
    t += k + ": " + v.dump() + "\n";
  }
  return replyOk(t, std::move(j));
}

}  // namespace

nlohmann::json showStatisticsPeerRoutes(const PeerRoutesView& v) {
  return keyValueLines({{"initial_window_segments", v.initialWindowSegments},
                        {"route_table", v.routeTable},
                        {"routes", v.routes},
                        {"installed", v.counters.installed},
                        {"refreshed", v.counters.refreshed},
                        {"evicted", v.counters.evicted},
                        {"failed", v.counters.failed}});
}

nlohmann::json showStatisticsAutoDiscovery(const DiscoveryCounters& c) {
  return keyValueLines({{"syns_seen", c.synsSeen},
                        {"options_added", c.optionsAdded},
                        {"option_no_room", c.optionNoRoom},
                        {"peer_syns_seen", c.peerSynsSeen},
                        {"peer_syns_repeated", c.peerSynsRepeated},
                        {"syns_without_flow", c.synsWithoutFlow},
                        {"answers_added", c.answersAdded},
                        {"answers_seen", c.answersSeen},
                        {"malformed_options", c.malformedOptions}});
}

}  // namespace bh::proxy
