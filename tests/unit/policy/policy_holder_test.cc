#include "policy/policy_holder.h"

#include <doctest/doctest.h>

#include "policy/restart_required.h"
#include "policy_test_util.h"

using namespace bh::policy;
using bh::policy::test::hasError;
using bh::policy::test::ip;

namespace {

const char* kOptimizeWeb = R"({
  "applications": ["Web", "Other"],
  "policy": {"classes": [
    {"name": "web", "match": {"dst_port": "eq 80"}, "application": "Web", "action": "optimize full"}
  ]}})";

const char* kPassWeb = R"({
  "applications": ["Web", "Other"],
  "policy": {"name": "second", "classes": [
    {"name": "web", "match": {"dst_port": "eq 80"}, "application": "Web", "action": "pass-through"}
  ]}})";

PolicyHolder holderWith(const char* json) {
  auto p = Policy::create(loadConfig(json).value(), 1);
  REQUIRE(p.ok());
  return PolicyHolder(p.value());
}

}  // namespace

TEST_CASE("a Decision taken before a reload is unchanged after it") {
  PolicyHolder holder = holderWith(kOptimizeWeb);
  FlowKey web{ip("10.0.0.1"), ip("10.0.0.2"), 40000, 80};
  PolicyPtr before = holder.current();
  Decision d = before->classify(web);
  Decision copy = d;
  auto r = holder.reload(kPassWeb);
  REQUIRE(r.ok());
  CHECK(r.value()->generation() == 2);
  CHECK(holder.current() == r.value());
  CHECK(d == copy);
  CHECK(d.action == Action::OptimizeFull);
  CHECK(d.mapName == "WAAS-GLOBAL");
  CHECK(d.policyGeneration == 1);
  // The old policy object stays alive and usable for whoever still holds it.
  CHECK(before->classify(web).action == Action::OptimizeFull);
  Decision after = holder.current()->classify(web);
  CHECK(after.action == Action::PassThrough);
  CHECK(after.mapName == "second");
  CHECK(after.policyGeneration == 2);
}

TEST_CASE("a bad reload keeps the running policy and reports every error") {
  PolicyHolder holder = holderWith(kOptimizeWeb);
  PolicyPtr before = holder.current();
  auto r = holder.reload(R"({"applications": ["Web"], "limits": {"effective_limit": 9000},
                             "policy": {"classes": [{"name": "x", "application": "Wbe",
                                                     "action": "optimize full"}]}})");
  REQUIRE_FALSE(r.ok());
  CHECK(hasError(r.errors(), "/limits/effective_limit", "exceeds connection limit"));
  CHECK(hasError(r.errors(), "/policy/classes/0/application", "did you mean 'Web'?"));
  CHECK(holder.current() == before);
  CHECK(holder.failedReloads() == 1);
  CHECK_FALSE(holder.reload("{ not json").ok());
  CHECK(holder.current() == before);
  CHECK(holder.failedReloads() == 2);
  CHECK_FALSE(holder.reloadFile("/nonexistent/bridgehead.json").ok());
  CHECK(holder.current() == before);
}

TEST_CASE("the shipped file reloads through the holder") {
  PolicyHolder holder = holderWith(kOptimizeWeb);
  auto r = holder.reloadFile(std::string(BH_SOURCE_DIR) + "/config/bridgehead.json");
  REQUIRE(r.ok());
  CHECK(holder.current()->config().epmMaps.size() == 1);
}

TEST_CASE("restartRequired names the settings a reload cannot apply live") {
  Config running = loadConfig(kOptimizeWeb).value();
  Config loaded = loadConfig(kPassWeb).value();
  CHECK(restartRequired(running, loaded).empty());
  loaded.peering.listenPort = 9999;
  loaded.device.role = DeviceRole::Core;
  CHECK(restartRequired(running, loaded) ==
        std::vector<std::string>{"/device/role", "/peering/listen_port"});
}
