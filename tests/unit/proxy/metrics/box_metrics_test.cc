// The box's metric families carry the show renderers' data, under names Prometheus accepts.
#include "proxy/metrics/box_metrics.h"

#include <doctest/doctest.h>

#include <set>

#include "accel/metrics_exposition.h"

using namespace bh::proxy;
using bh::accel::MetricType;

namespace {

const bh::accel::MetricFamily* find(const bh::accel::MetricFamilies& f, const std::string& name) {
  for (const auto& x : f) {
    if (x.name == name) {
      return &x;
    }
  }
  return nullptr;
}

}  // namespace

TEST_CASE("box metrics: every family well named, counters end in _total, no name twice") {
  bh::accel::MetricFamilies f;
  ConnectionCounters c;
  c.optimized = 7;
  c.historical = 11;
  bh::policy::LimiterCounters l;
  l.passThroughOverload = 3;
  metrics::addConnectionMetrics(f, c, 1234, l);
  DreStatistics d;
  d.cacheEpoch = 5;
  d.totals.lanRead = 1000;
  d.ledgers.push_back({"0:1:2:3:4:5", 10, 4096});
  metrics::addDreMetrics(f, d);
  DiscoveryCounters dc;
  dc.synsSeen = 9;
  metrics::addDiscoveryMetrics(f, dc);
  metrics::addPeerRouteMetrics(f, PeerRoutesView{});
  MemoryBudget budget;
  metrics::addMemoryMetrics(f, budget);
  metrics::addDeviceMetrics(f, {"0:1:2:3:4:5", "edge", 2, 1});
  WanSecureStatsView ws;
  ws.available = true;
  ws.totals.done = 12;
  ws.totals.resumed = 10;
  ws.totals.earlyAccepted = 9;
  ws.totals.earlyRejected = 1;
  ws.totals.failedBy = {{"unknown-ca", 2}, {"early-data-replay", 1}};
  ws.totals.bytesSealed = 4096;
  ws.totals.bytesOpened = 2048;
  metrics::addWanSecureMetrics(f, ws);
  std::set<std::string> names;
  for (const auto& x : f) {
    INFO(x.name);
    CHECK(bh::accel::validMetricName(x.name));
    CHECK(x.name.starts_with("bridgehead_"));
    CHECK((x.type == MetricType::Counter) == x.name.ends_with("_total"));
    CHECK(names.insert(x.name).second);
  }
  CHECK(find(f, "bridgehead_connections_optimized")->samples[0].value == 7);
  CHECK(find(f, "bridgehead_connections_historical_total")->samples[0].value == 11);
  CHECK(find(f, "bridgehead_connections_buffered_bytes")->samples[0].value == 1234);
  CHECK(find(f, "bridgehead_limiter_pass_through_overload_flows_total")->samples[0].value == 3);
  CHECK(find(f, "bridgehead_dre_cache_open")->samples[0].value == 1);
  CHECK(find(f, "bridgehead_dre_lan_read_bytes_total")->samples[0].value == 1000);
  CHECK(find(f, "bridgehead_dre_ledger_bytes")->samples[0].labels[0].second == "0:1:2:3:4:5");
  CHECK(find(f, "bridgehead_discovery_syns_seen_total")->samples[0].value == 9);
  CHECK(find(f, "bridgehead_wan_secure_running")->samples[0].value == 1);
  CHECK(find(f, "bridgehead_wan_secure_handshakes_total")->samples[0].value == 12);
  CHECK(find(f, "bridgehead_wan_secure_handshakes_resumed_total")->samples[0].value == 10);
  CHECK(find(f, "bridgehead_wan_secure_sealed_bytes_total")->samples[0].value == 4096);
  CHECK(find(f, "bridgehead_wan_secure_opened_bytes_total")->samples[0].value == 2048);
  std::string text = bh::accel::renderExposition(f);
  CHECK(text.find("bridgehead_info{device_id=\"0:1:2:3:4:5\",role=\"edge\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("bridgehead_wan_secure_handshakes_failed_total{reason=\"unknown-ca\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("bridgehead_wan_secure_handshakes_failed_total{reason=\"early-data-replay\"} "
                  "1\n") != std::string::npos);
  CHECK(text.find("bridgehead_wan_secure_early_data_total{result=\"accepted\"} 9\n") !=
        std::string::npos);
  CHECK(text.find("bridgehead_wan_secure_early_data_total{result=\"rejected\"} 1\n") !=
        std::string::npos);
}
