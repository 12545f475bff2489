#include "proxy/control/show_dre.h"

#include <cstdio>
#include <string>

#include "proxy/control/reply.h"

namespace bh::proxy {

nlohmann::json showStatisticsDre(const DreStatistics& s) {
  const EndedFlowTotals& t = s.totals;
  const bool open = s.cacheEpoch.has_value();
  nlohmann::json j = {{"cache_open", open},          {"ended_optimized_flows", t.flows},
                      {"lan_bytes_read", t.lanRead}, {"lan_bytes_written", t.lanWritten},
                      {"wan_bytes_read", t.wanRead}, {"wan_bytes_written", t.wanWritten},
                      {"peers", s.ledgers.size()}};
  if (open) {
    j["cache_epoch"] = std::to_string(*s.cacheEpoch);
  }
  nlohmann::json ledgers = nlohmann::json::object();
  for (const auto& l : s.ledgers) {
    ledgers[l.peerId] = {{"chunks", l.chunks}, {"bytes", l.bytes}};
  }
  j["ledgers"] = ledgers;
  uint64_t orig = t.lanRead + t.lanWritten;
  uint64_t opt = t.wanRead + t.wanWritten;
  char rr[32];
  std::snprintf(rr, sizeof(rr), "%.1f%%",
                orig ? 100.0 * (orig > opt ? static_cast<double>(orig - opt) : 0.0) /
                           static_cast<double>(orig)
                     : 0.0);
  std::string text = "DRE cache: " + std::string(open ? "open" : "unavailable") +
                     "\nEnded optimized flows: " + std::to_string(t.flows) +
                     "\nOriginal bytes (read/written): " + std::to_string(t.lanRead) + " / " +
                     std::to_string(t.lanWritten) +
                     "\nOptimized bytes (read/written): " + std::to_string(t.wanRead) + " / " +
                     std::to_string(t.wanWritten) + "\nTotal Reduction Ratio: " + rr + "\n";
  return replyOk(text, j);
}

}  // namespace bh::proxy
