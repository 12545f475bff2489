#include <doctest/doctest.h>

#include "policy/policy.h"
#include "policy/show_running_config.h"
#include "policy_test_util.h"

using namespace bh::policy;
using bh::policy::test::ip;
using bh::policy::test::shippedConfigText;

namespace {

bool hasLine(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("the shipped config loads and reproduces the seed's defaults") {
  auto r = loadConfig(shippedConfigText());
  REQUIRE_MESSAGE(r.ok(), r.errorText());
  const Config& c = r.value();
  CHECK(c.limits.connectionLimit == 6000);
  CHECK(c.limits.effectiveLimit == 5990);
  CHECK(c.mapi.keepaliveSeconds == 5.0);
  CHECK(c.mapi.readAheadBytes == 4194304);
  CHECK(c.mapi.maxConnections == 4000);
  CHECK(c.mapi.readOptimization);
  CHECK(c.mapi.writeOptimization);
  CHECK(c.epm.enabled);
  CHECK(c.peering.optionKind == 253);
  CHECK(c.interception.mode == InterceptionMode::Inline);
  REQUIRE(c.epmMaps.size() == 1);
  CHECK(c.epmMaps[0].uuid == kEmsmdbUuid);
  CHECK(c.epmMaps[0].application == "Email-and-Messaging");
  CHECK(c.epmMaps[0].action == Action::OptimizeFull);
  CHECK(c.epmMaps[0].accelerate == Accelerator::Mapi);
  REQUIRE(c.policyMap.classes.size() == 2);
  CHECK(c.policyMap.classes.back().name == "class-default");
  CHECK(c.policyMap.classes.back().classifier.empty());
  CHECK(c.policyMap.classes.back().action == Action::OptimizeFull);
}

TEST_CASE("the shipped config's running-config shows the seed's lines") {
  Config c = loadConfig(shippedConfigText()).value();
  std::string run = showRunningConfig(c);
  CAPTURE(run);
  CHECK(hasLine(run, "map adaptor EPM mapi"));
  CHECK(hasLine(run, "name Email-and-Messaging All action optimize full accelerate mapi"));
  CHECK(run.find("classifier MS-EndPointMapper\nmatch dst port eq 135\nexit\n") !=
        std::string::npos);
  CHECK(hasLine(run,
                "name Other classifier MS-EndPointMapper action optimize DRE no compression "
                "none accelerate MS-port-mapper"));
  CHECK(hasLine(run, "map other optimize full"));
}

TEST_CASE("the shipped policy classifies like the seed") {
  auto p = Policy::create(loadConfig(shippedConfigText()).value()).value();
  std::chrono::seconds t{0};
  DynamicRules rules([&t] { return MonoTime(t); }, p->config().epm.maxDynamicRules);

  // Outlook asks the endpoint mapper first: port 135 goes to the EPM AO.
  Decision epm = p->classify({ip("10.10.10.10"), ip("10.10.100.101"), 3773, 135}, &rules);
  CHECK(epm.classifier == "MS-EndPointMapper");
  CHECK(epm.application == "Other");
  CHECK(epm.accelerator == Accelerator::Epm);

  // The EPM AO learns the EMSMDB port; the next connection is MAPI through "Map Default".
  rules.add(*p->epmRule(kEmsmdbUuid, ip("10.10.100.101"), 1146));
  Decision mapi = p->classify({ip("10.10.10.10"), ip("10.10.100.101"), 3774, 1146}, &rules);
  CHECK(mapi.application == "Email-and-Messaging");
  CHECK(mapi.classifier == "**Map Default**");
  CHECK(mapi.mapName == "uuida4f1db00-ca47-1067-b31f-00dd010662da");
  CHECK(actionPolicyDetails(mapi.action) == "TCP_OPTIMIZE + DRE + LZ");
  CHECK(acceleratorDetails(mapi.accelerator) == "MAPI");

  // Everything else: class-default, full optimization.
  Decision other = p->classify({ip("10.10.10.10"), ip("10.10.100.9"), 3775, 445}, &rules);
  CHECK(other.className == "class-default");
  CHECK(other.action == Action::OptimizeFull);
  CHECK(other.accelerator == Accelerator::None);
}

TEST_CASE("configToJson round-trips through the loader") {
  Config c = loadConfig(shippedConfigText()).value();
  std::string json = configToJson(c).dump(2);
  auto again = loadConfig(json);
  REQUIRE_MESSAGE(again.ok(), again.errorText());
  CHECK(configToJson(again.value()) == configToJson(c));
  CHECK(showRunningConfig(again.value()) == showRunningConfig(c));
}

TEST_CASE("inline class matches and WAAS action phrases round-trip") {
  auto r = loadConfig(R"({
    "device": {"id": "0:1a:64:d3:2f:b8", "role": "edge", "hostname": "WAE674"},
    "peering": {"tcp_option_kind": 33},
    "applications": ["Web", "Other"],
    "policy": {"classes": [
      {"name": "web", "match": [{"src_ip": "10.1.0.0/16", "dst_port": "range 80 81"},
                                {"dst_ip": "2001:db8::/32", "both_directions": true,
                                 "dst_port": 443}],
       "application": "Web", "action": "optimize DRE yes compression none"}]}})");
  REQUIRE_MESSAGE(r.ok(), r.errorText());
  CHECK(r.value().policyMap.classes[0].action == Action::OptimizeDre);
  auto again = loadConfig(configToJson(r.value()).dump());
  REQUIRE_MESSAGE(again.ok(), again.errorText());
  CHECK(configToJson(again.value()) == configToJson(r.value()));
  std::string run = showRunningConfig(r.value());
  CAPTURE(run);
  CHECK(hasLine(run, "device id 0:1a:64:d3:2f:b8"));
  CHECK(hasLine(run, "peering tcp-option 0x21"));
  CHECK(hasLine(run, "match src ip 10.1.0.0 0.0.255.255 dst port range 80 81"));
  CHECK(hasLine(run, "match dst ip 2001:db8::/32 dst port eq 443 both-directions"));
  CHECK(hasLine(run, "name Web classifier web action optimize DRE yes compression none"));
}

TEST_CASE("every shipped config file loads") {
  for (const char* name : {"bridgehead.json", "lab-edge.json", "lab-core.json"}) {
    CAPTURE(std::string(name));
    auto r = loadConfigFile(std::string(BH_SOURCE_DIR) + "/config/" + name);
    CHECK_MESSAGE(r.ok(), r.errorText());
  }
  auto edge = loadConfigFile(std::string(BH_SOURCE_DIR) + "/config/lab-edge.json");
  REQUIRE(edge.ok());
  CHECK(edge.value().device.role == DeviceRole::Edge);
  CHECK(edge.value().device.id == "0:1a:64:d3:2f:b8");
}

TEST_CASE("no EPM rule is offered while the EPM accelerator is disabled") {
  Config c = loadConfig(shippedConfigText()).value();
  c.epm.enabled = false;
  auto p = Policy::create(c).value();
  CHECK_FALSE(p->epmRule(kEmsmdbUuid, ip("10.0.0.1"), 1146));
}

TEST_CASE("Policy::create refuses an inconsistent hand-built Config") {
  Config c = loadConfig(shippedConfigText()).value();
  c.limits.effectiveLimit = c.limits.connectionLimit + 1;
  auto p = Policy::create(c);
  REQUIRE_FALSE(p.ok());
  CHECK(bh::policy::test::hasError(p.errors(), "/limits/effective_limit", "exceeds"));
}
