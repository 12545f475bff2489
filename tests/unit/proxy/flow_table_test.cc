#include <doctest/doctest.h>

#include "proxy/control/show_connections.h"
#include "proxy/discovery/discovery_table.h"
#include "tests/unit/proxy/flow_info_test_util.h"

using namespace bh::proxy;
using bh::IpAddress;
using bh::policy::FlowKey;
using bh::proxy::test::optimizedFlow;

namespace {

FlowKey flow(uint16_t sport) {
  return {*IpAddress::parse("10.91.1.1"), *IpAddress::parse("10.91.4.2"), sport, 5001};
}

}  // namespace

TEST_CASE("DiscoveryTable is bounded, evicts the oldest, and expires entries") {
  DiscoveryTable t(3, 1000);
  CHECK(t.put(flow(1), {}, 10));
  CHECK(t.put(flow(2), {}, 20));
  CHECK(t.put(flow(3), {}, 30));
  CHECK_FALSE(t.put(flow(4), {}, 40));  // full: the oldest goes
  CHECK(t.size() == 3);
  CHECK(t.evictions() == 1);
  CHECK(t.find(flow(1), 40) == nullptr);
  CHECK(t.find(flow(4), 40) != nullptr);
  // Expiry: an entry older than the lifetime is gone.
  CHECK(t.find(flow(2), 20 + 1001) == nullptr);
  auto taken = t.take(flow(4), 100);
  REQUIRE(taken.has_value());
  CHECK(t.find(flow(4), 100) == nullptr);
  // Same 4-tuple, other family or port: other keys.
  FlowKey v6 = {*IpAddress::parse("fd91:1::1"), *IpAddress::parse("fd91:4::2"), 1, 5001};
  CHECK(DiscoveryTable::keyOf(v6) != DiscoveryTable::keyOf(flow(1)));
}

TEST_CASE("Accel letters and reduction ratio follow the seed's table") {
  using bh::proxy::codec::PolicyBits::Dre;
  using bh::proxy::codec::PolicyBits::Lz;
  using bh::proxy::codec::PolicyBits::TcpOptimize;
  FlowInfo f = optimizedFlow(TcpOptimize);
  CHECK(f.accelLetters() == "T");
  f.policy.applied = TcpOptimize | Dre | Lz;
  CHECK(f.accelLetters() == "TDL");
  f.acceleratorApplied = bh::proxy::codec::Accelerator::Mapi;
  CHECK(f.accelLetters() == "TMDL");
  f.acceleratorApplied = bh::proxy::codec::Accelerator::None;
  f.handedOffToGeneric = true;
  CHECK(f.accelLetters() == "TGDL");
  // The MAPI AO handed the flow off mid-way: its half stays attached, the letters say G.
  f.acceleratorApplied = bh::proxy::codec::Accelerator::Mapi;
  CHECK(f.accelLetters() == "TGDL");
  f.lanBytesRead = 4612;
  f.wanBytesWritten = 1973;
  f.lanBytesWritten = 4086;
  f.wanBytesRead = 2096;
  CHECK(f.reductionRatio() == doctest::Approx(53.2).epsilon(0.01));
  f.state = FlowState::PassThrough;
  CHECK(f.accelLetters().empty());
}

TEST_CASE("show statistics connection prints the seed's counters and table") {
  std::vector<FlowInfo> flows = {optimizedFlow(bh::proxy::codec::PolicyBits::TcpOptimize)};
  FlowInfo pt;
  pt.connId = 343;
  pt.state = FlowState::PassThrough;
  pt.bufferedBytes = 4096;
  flows.push_back(pt);
  flows[0].bufferedBytes = 700;
  bh::policy::LimiterCounters lim;
  lim.reservedUnused = 12;
  ConnectionCounters c = countFlows(flows, 161, lim);
  CHECK(c.optimized == 1);
  CHECK(c.tcpOnly == 1);
  CHECK(c.passThrough == 1);
  ConnectionFilter all;
  std::string text = showConnections(flows, c, all);
  CHECK(text.find("Current Active Optimized Flows:                 1\n") != std::string::npos);
  CHECK(text.find("Current Reserved Flows:                         12\n") != std::string::npos);
  CHECK(text.find("Historical Flows:                               161\n") != std::string::npos);
  CHECK(
      text.find("342     10.56.94.101:4506       10.10.100.100:1456      0:1a:64:d3:2f:b8    T") !=
      std::string::npos);
  ConnectionFilter opt;
  std::string e;
  REQUIRE(ConnectionFilter::parse({"optimized", "detail"}, opt, e));
  std::string detail = showConnections(flows, c, opt);
  CHECK(detail.find("Connection Id:                342") != std::string::npos);
  CHECK(detail.find("Connection Id:                343") == std::string::npos);
  CHECK(detail.find("Peer Id:                      0:1a:64:d3:2f:b8") != std::string::npos);
  CHECK(detail.find("    Applied:                  TCP_OPTIMIZE") != std::string::npos);
  auto j = connectionsJson(flows, c, opt);
  CHECK(j["connections"].size() == 1);
  CHECK(j["counters"]["historical_flows"] == 161);
  // The counter sums every flow (also those the filter leaves out); each entry has its own.
  CHECK(j["counters"]["buffered_bytes"] == 4796);
  CHECK(j["connections"][0]["buffered_bytes"] == 700);
  ConnectionFilter bad;
  CHECK_FALSE(ConnectionFilter::parse({"optimised"}, bad, e));
  CHECK(e.find("optimised") != std::string::npos);
}
