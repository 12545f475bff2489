#include <doctest/doctest.h>

#include "policy/show_accelerator.h"
#include "policy/show_dynamic_rules.h"
#include "policy/show_policy_map.h"
#include "policy_test_util.h"

using namespace bh::policy;
using bh::policy::test::ip;
using bh::policy::test::shippedConfigText;

TEST_CASE("show accelerator mapi matches the seed's Policy Engine table") {
  Config c = loadConfig(shippedConfigText()).value();
  std::string out = showAcceleratorMapi(c, AcceleratorStatus{});
  CHECK(out ==
        "Accelerator      Licensed      Config State  Operational State\n"
        "-----------      --------      ------------  -----------------\n"
        "mapi             Yes           Enabled       Running\n"
        "MAPI:\n"
        "Accelerator Config Item      Mode      Value\n"
        "-----------------------      ----      -----\n"
        "Read optimization            User      enabled\n"
        "Write optimization           User      enabled\n"
        "Encryption                   User      enabled\n"
        "Encryption service           User      disabled\n"
        "Policy Engine Config Item    Value\n"
        "-------------------------    -----\n"
        "State                        Registered\n"
        "Default Action\n"
        "Connection Limit             6000\n"
        "Effective Limit              5990\n"
        "Keepalive timeout            5.0 seconds\n");
  c.mapi.writeOptimization = false;
  c.mapi.keepaliveSeconds = 2.5;
  std::string changed = showAcceleratorMapi(c, {true, "Shutdown", false});
  CHECK(changed.find("Write optimization           User      disabled\n") != std::string::npos);
  CHECK(changed.find("Keepalive timeout            2.5 seconds\n") != std::string::npos);
  CHECK(changed.find("State                        Not Registered\n") != std::string::npos);
  CHECK(changed.find("Shutdown\n") != std::string::npos);
  auto j = acceleratorMapiJson(c, AcceleratorStatus{});
  CHECK(j["policy_engine"]["connection_limit"] == 6000);
  CHECK(j["policy_engine"]["effective_limit"] == 5990);
  CHECK(j["policy_engine"]["state"] == "Registered");
  // The shipped mode is auto: sealed sessions' legs are secured, eMAPI opens them.
  CHECK(j["encryption"] == "enabled");
  c.wanSecure.mapiMode = WanSecureMode::Never;
  CHECK(acceleratorMapiJson(c, AcceleratorStatus{})["encryption"] ==
        "disabled (wan_secure mode never)");
  c.wanSecure.mapiMode = WanSecureMode::Always;
  c.encryptionService.enabled = true;
  std::string sealed = showAcceleratorMapi(c, AcceleratorStatus{});
  CHECK(sealed.find("Encryption                   User      enabled\n") != std::string::npos);
  CHECK(sealed.find("Encryption service           User      enabled\n") != std::string::npos);
}

TEST_CASE("show class-map and policy-map count flow matches") {
  auto p = Policy::create(loadConfig(shippedConfigText()).value()).value();
  std::chrono::seconds t{0};
  DynamicRules rules([&t] { return MonoTime(t); }, 16);
  rules.add(*p->epmRule(kEmsmdbUuid, ip("10.10.100.101"), 1146));
  p->classify({ip("10.10.10.10"), ip("10.10.100.101"), 3773, 135}, &rules);
  p->classify({ip("10.10.10.10"), ip("10.10.100.101"), 3774, 1146}, &rules);
  p->classify({ip("10.10.10.10"), ip("10.10.100.101"), 3775, 1146}, &rules);
  p->classify({ip("10.10.10.10"), ip("10.10.100.9"), 3776, 445}, &rules);

  CHECK(showClassMap(*p) ==
        "Class-map type waas match-any MAPI\n"
        "Match tcp destination epm mapi (2 flow-matches)\n"
        "Class-map type waas match-any MS-EndPointMapper\n"
        "Match tcp destination port 135 (1 flow-matches)\n");
  CHECK(showPolicyMap(*p) ==
        "Policy-map type waas WAAS-GLOBAL (4 total)\n"
        "Class MAPI (2 flow-matches)\n"
        "optimize full accelerate mapi application Email-and-Messaging\n"
        "Class MS-EndPointMapper (1 flow-matches)\n"
        "optimize DRE no compression none accelerate MS-port-mapper application Other\n"
        "Class class-default (1 flow-matches)\n"
        "optimize full application Other\n");
  auto pj = policyMapJson(*p);
  CHECK(pj["total"] == 4);
  CHECK(pj["classes"][0]["flow_matches"] == 2);
  CHECK(pj["classes"][2]["name"] == "class-default");
  auto cj = classMapJson(*p);
  CHECK(cj[1]["matches"][0]["flow_matches"] == 1);
}

TEST_CASE("show policy-engine application dynamic prints User Id, Map Name, Flows, expiry") {
  std::chrono::seconds t{5000};
  DynamicRules rules([&t] { return MonoTime(t); }, 32768);
  DynamicRule epm;
  epm.key = {std::nullopt, ip("10.10.100.101"), 1146};
  epm.application = "Email-and-Messaging";
  epm.accelerator = Accelerator::Mapi;
  epm.userId = "EPM";
  epm.mapName = epmMapName(kEmsmdbUuid);
  rules.add(epm);
  DynamicRule mapi = epm;
  mapi.key.src = ip("10.10.10.10");
  mapi.userId = "MAPI";
  mapi.lifetime = std::chrono::seconds(300);
  rules.add(mapi);
  rules.flowStarted(epm.key);
  rules.lookup(ip("10.10.10.11"), ip("10.10.100.101"), 1146);
  t += std::chrono::seconds(100);

  std::string out = showDynamicRules(rules);
  CHECK(out ==
        "Dynamic Match Freelist Information:\n"
        "  Allocated: 32768   In Use: 2   Max In Use: 2   Allocations: 2\n"
        "Dynamic Match Type/Count Information:\n"
        "  None        0\n"
        "  Clean-Up    0\n"
        "  Host->Host  1\n"
        "  Host->Local 0\n"
        "  Local->Host 0\n"
        "  Local->Any  0\n"
        "  Any->Host   1\n"
        "  Any->Local  0\n"
        "  Any->Any    0\n"
        "Individual Dynamic Match Information:\n"
        " Number:    1   Type: Any->Host (6)  User Id: EPM\n"
        "   Src: ANY:ANY                  Dst: 10.10.100.101:1146\n"
        "   Map Name: uuida4f1db00-ca47-1067-b31f-00dd010662da\n"
        "   Flags: TIME_LMT REPLACE FLOW_CNT\n"
        "   Seconds: 1200  Remaining: - NA -\n"
        "   Hits: 1  Flows: 1\n"
        " Number:    2   Type: Host->Host (2)  User Id: MAPI\n"
        "   Src: 10.10.10.10:ANY          Dst: 10.10.100.101:1146\n"
        "   Map Name: uuida4f1db00-ca47-1067-b31f-00dd010662da\n"
        "   Flags: TIME_LMT REPLACE FLOW_CNT\n"
        "   Seconds: 300  Remaining: 200\n"
        "   Hits: 0  Flows: 0\n");
  auto j = dynamicRulesJson(rules);
  REQUIRE(j["rules"].size() == 2);
  CHECK(j["rules"][0]["user_id"] == "EPM");
  CHECK(j["rules"][0]["remaining_seconds"].is_null());
  CHECK(j["rules"][1]["remaining_seconds"] == 200);
  CHECK(j["rules"][1]["age_seconds"] == 100);
  CHECK(j["rules"][1]["src"] == "10.10.10.10");
}

TEST_CASE("limiter counters render as the seed's statistics lines") {
  Limits l;
  ConnectionLimiter limiter(l);
  limiter.admit(FlowKind::NewGroup, 1);
  limiter.admit(FlowKind::NewGroup, 2);
  limiter.admit(FlowKind::NewGroup, 3);
  std::string out = showLimiterCounters(limiter.counters());
  CHECK(out.find("Current Active Optimized Flows:                3\n") != std::string::npos);
  CHECK(out.find("Current Reserved Flows:                        12\n") != std::string::npos);
  CHECK(limiterCountersJson(limiter.counters())["current_reserved_flows"] == 12);
}
