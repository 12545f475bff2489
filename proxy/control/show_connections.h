#pragma once

// `show statistics connection [optimized|pass-through] [mapi|epm|tfo] [detail]`: the connection
// table and its counters, rendered (text and JSON) from the flows' records (FlowInfo).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "policy/connection_limiter.h"
#include "proxy/flow_info.h"

namespace bh::proxy {

/// Which flows `show statistics connection [optimized|pass-through] [mapi|epm|tfo] [detail]`
/// lists.
struct ConnectionFilter {
  enum class Kind { All, Optimized, PassThrough } kind = Kind::All;
  std::string accelerator;  ///< "mapi", "epm", "tfo" or "" for any
  bool detail = false;
  /// Parses the words after "show statistics connection"; false with `error` on a bad word.
  static bool parse(const std::vector<std::string>& words, ConnectionFilter& out,
                    std::string& error);
  bool matches(const FlowInfo& f) const;
};

struct ConnectionCounters {
  uint64_t optimized = 0;
  uint64_t tcpPlus = 0;  ///< optimized with DRE/LZ or an AO
  uint64_t tcpOnly = 0;  ///< optimized, TFO only
  uint64_t autoDiscovery = 0;
  uint64_t reserved = 0;
  uint64_t passThrough = 0;
  uint64_t historical = 0;
};

ConnectionCounters countFlows(const std::vector<FlowInfo>& flows, uint64_t historical,
                              const policy::LimiterCounters& limiter);

/// The seed's `show statistics connection` text: the counter block, the legend, then the
/// table (ConnID, Source IP:Port, Dest IP:Port, PeerID, Accel, RR); with detail, one block
/// per connection as in `show stat conn opt mapi detail`.
std::string showConnections(const std::vector<FlowInfo>& flows, const ConnectionCounters& c,
                            const ConnectionFilter& filter);
nlohmann::json connectionsJson(const std::vector<FlowInfo>& flows, const ConnectionCounters& c,
                               const ConnectionFilter& filter);

}  // namespace bh::proxy
