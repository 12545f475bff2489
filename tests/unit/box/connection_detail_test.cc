#include <doctest/doctest.h>

// The connection table with an accelerator's own record on a flow (the MAPI AO's): the proxy
// renders it without knowing MAPI (accel::AcceleratorRecord).

#include "mapi/mapi_ao/mapi_counters.h"
#include "mapi/mapi_ao/mapi_flow_record.h"
#include "proxy/control/show_connections.h"
#include "tests/unit/proxy/flow_info_test_util.h"

using namespace bh::proxy;
using bh::proxy::test::optimizedFlow;

TEST_CASE("show statistics connection optimized mapi detail appends the MAPI block") {
  using namespace bh::proxy::codec::PolicyBits;
  namespace ao = bh::mapi::mapi_ao;
  ao::MapiCounters counters;
  FlowInfo m = optimizedFlow(TcpOptimize | Dre | Lz);
  m.connId = 1830;
  m.acceleratorApplied = bh::proxy::codec::Accelerator::Mapi;
  m.lanBytesRead = 4612;
  m.lanBytesWritten = 4086;
  auto& rec = ao::mapiRecordOf(m).stats;
  rec.associationGroupId = 0x11de4;
  counters.onOptimized(rec);
  counters.onSessionOpened({12, 0, 6423, 0}, &rec);
  counters.recordRemoteResponse(rec, std::chrono::microseconds(89005));
  FlowInfo tcp = optimizedFlow(TcpOptimize);  // not MAPI: filtered out
  std::vector<FlowInfo> flows = {m, tcp};
  ConnectionCounters c = countFlows(flows, 0, {});

  ConnectionFilter table;
  std::string e;
  REQUIRE(ConnectionFilter::parse({"optimized", "mapi"}, table, e));
  std::string t = showConnections(flows, c, table);
  CHECK(
      t.find("1830    10.56.94.101:4506       10.10.100.100:1456      0:1a:64:d3:2f:b8    TMDL") !=
      std::string::npos);
  CHECK(t.find("342     ") == std::string::npos);

  ConnectionFilter detail;
  REQUIRE(ConnectionFilter::parse({"optimized", "mapi", "detail"}, detail, e));
  std::string d = showConnections(flows, c, detail);
  CHECK(d.find("MAPI : 1830\n\n") != std::string::npos);
  CHECK(d.find("Total Bytes Read:                                 4612\n") != std::string::npos);
  CHECK(d.find("Total Bytes Written:                              4086\n") != std::string::npos);
  CHECK(d.find("Remote Response Count:                            1\n") != std::string::npos);
  CHECK(d.find("Average Remote Response Time (usec):              89005\n") != std::string::npos);
  CHECK(d.find("Client Version:                                   12.0.6423.0 (Outlook 2007)\n") !=
        std::string::npos);
  CHECK(d.find("Association Group Id:                             0x11de4\n") != std::string::npos);
  // The MAPI block comes after the flow's byte counts, as in the seed.
  CHECK(d.find("Bytes Written:") < d.find("MAPI : 1830"));

  auto j = connectionsJson(flows, c, detail);
  REQUIRE(j["connections"].size() == 1);
  CHECK(j["connections"][0]["accel"] == "TMDL");
  CHECK(j["connections"][0]["mapi"]["association_group_id"] == 0x11de4);
  CHECK(j["connections"][0]["mapi"]["remote_response_usec"]["count"] == 1);
  ConnectionFilter plain;
  REQUIRE(ConnectionFilter::parse({"optimized", "mapi"}, plain, e));
  CHECK_FALSE(connectionsJson(flows, c, plain)["connections"][0].contains("mapi"));
}
