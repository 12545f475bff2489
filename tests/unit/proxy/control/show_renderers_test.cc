#include <doctest/doctest.h>

#include "proxy/control/show_accelerators.h"
#include "proxy/control/show_device.h"
#include "proxy/control/show_dre.h"
#include "proxy/control/show_peering.h"

using namespace bh::proxy;

// The show commands' text is what operators and the lab tests read: these pin it byte for byte.

TEST_CASE("show statistics peer-routes: one key: value line per field, in key order") {
  PeerRoutesView v;
  v.initialWindowSegments = 864;
  v.routeTable = 51;
  v.routes = 2;
  v.counters.installed = 3;
  v.counters.refreshed = 4;
  v.counters.evicted = 1;
  v.counters.failed = 0;
  auto r = showStatisticsPeerRoutes(v);
  CHECK(r["ok"] == true);
  CHECK(r["text"] ==
        "evicted: 1\nfailed: 0\ninitial_window_segments: 864\ninstalled: 3\nrefreshed: 4\n"
        "route_table: 51\nroutes: 2\n");
  CHECK(r["json"]["initial_window_segments"] == 864);
  CHECK(r["json"]["routes"] == 2);
}

TEST_CASE("show statistics auto-discovery: the SYN-option counters") {
  DiscoveryCounters c;
  c.synsSeen = 10;
  c.optionsAdded = 9;
  c.optionNoRoom = 1;
  c.answersSeen = 8;
  c.malformedOptions = 2;
  c.peerSynsRepeated = 3;
  c.synsWithoutFlow = 4;
  c.notHandled = 7;  // not shown
  auto r = showStatisticsAutoDiscovery(c);
  CHECK(r["text"] ==
        "answers_added: 0\nanswers_seen: 8\nmalformed_options: 2\noption_no_room: 1\n"
        "options_added: 9\npeer_syns_repeated: 3\npeer_syns_seen: 0\nsyns_seen: 10\n"
        "syns_without_flow: 4\n");
  CHECK(r["json"].size() == 9);
}

TEST_CASE("show accelerator: the seed's table, one accelerator or an error naming them all") {
  std::vector<AcceleratorRow> rows = {
      {"epm", true, "Running"}, {"mapi", false, "Shutdown"}, {"generic", true, "Running"}};
  auto all = showAccelerators(rows, "");
  CHECK(all["text"] ==
        "Accelerator      Licensed      Config State  Operational State\n"
        "------------------------------------------------------------------\n"
        "epm              Yes           Enabled       Running\n"
        "mapi             Yes           Disabled      Shutdown\n"
        "generic          Yes           Enabled       Running\n");
  REQUIRE(all["json"].size() == 3);
  CHECK(all["json"][1] == nlohmann::json{{"accelerator", "mapi"},
                                         {"licensed", true},
                                         {"config_state", "Disabled"},
                                         {"operational_state", "Shutdown"}});
  auto one = showAccelerators(rows, "generic");
  CHECK(one["json"].size() == 1);
  CHECK(one["json"][0]["accelerator"] == "generic");
  auto none = showAccelerators(rows, "cifs");
  CHECK(none["ok"] == false);
  CHECK(none["error"] == "no accelerator 'cifs' (epm, mapi, generic)");
}

TEST_CASE("show statistics dre: cache, ledgers, ended flows and the reduction ratio") {
  DreStatistics s;
  auto closed = showStatisticsDre(s);
  CHECK(closed["text"] ==
        "DRE cache: unavailable\nEnded optimized flows: 0\nOriginal bytes (read/written): 0 / 0\n"
        "Optimized bytes (read/written): 0 / 0\nTotal Reduction Ratio: 0.0%\n");
  CHECK(closed["json"]["cache_open"] == false);
  CHECK_FALSE(closed["json"].contains("cache_epoch"));

  s.cacheEpoch = 77;
  s.totals = {2, 3000, 1000, 500, 300};
  s.ledgers = {{"00:1a:64:d3:2f:b8", 12, 4096}};
  auto open = showStatisticsDre(s);
  CHECK(open["text"] ==
        "DRE cache: open\nEnded optimized flows: 2\nOriginal bytes (read/written): 3000 / 1000\n"
        "Optimized bytes (read/written): 500 / 300\nTotal Reduction Ratio: 80.0%\n");
  CHECK(open["json"]["cache_epoch"] == "77");
  CHECK(open["json"]["peers"] == 1);
  CHECK(open["json"]["ledgers"]["00:1a:64:d3:2f:b8"]["chunks"] == 12);
  CHECK(open["json"]["wan_bytes_written"] == 300);

  // More optimized bytes than original (incompressible data plus framing): 0%, not negative.
  s.totals = {1, 100, 0, 150, 0};
  CHECK(showStatisticsDre(s)["text"].get<std::string>().find("Ratio: 0.0%") != std::string::npos);
}

TEST_CASE("show device") {
  auto r = showDevice({"00:1a:64:d3:2f:b8", "edge", 5, 3});
  CHECK(r["text"] == "Device Id: 00:1a:64:d3:2f:b8\nRole: edge\n");
  CHECK(r["json"] == nlohmann::json{{"device_id", "00:1a:64:d3:2f:b8"},
                                    {"role", "edge"},
                                    {"flows", 5},
                                    {"policy_generation", 3}});
}
