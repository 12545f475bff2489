#include "policy/dynamic_rules.h"

#include <doctest/doctest.h>

#include "policy_test_util.h"

using namespace bh::policy;
using bh::policy::test::ip;
using std::chrono::seconds;

namespace {

struct FakeClock {
  seconds now{1000};
  ClockFn fn() {
    return [this] { return MonoTime(now); };
  }
};

DynamicRule epmRule(const char* dst, uint16_t port, seconds lifetime = seconds(1200)) {
  DynamicRule r;
  r.key = {std::nullopt, ip(dst), port};
  r.application = "Email-and-Messaging";
  r.action = Action::OptimizeFull;
  r.accelerator = Accelerator::Mapi;
  r.userId = "EPM";
  r.mapName = epmMapName("a4f1db00-ca47-1067-b31f-00dd010662da");
  r.lifetime = lifetime;
  return r;
}

}  // namespace

TEST_CASE("add, lookup and the seed's map name") {
  FakeClock clock;
  DynamicRules rules(clock.fn(), 8);
  const DynamicRule& added = rules.add(epmRule("10.10.100.101", 1146));
  CHECK(added.mapName == "uuida4f1db00-ca47-1067-b31f-00dd010662da");
  CHECK(added.created == MonoTime(seconds(1000)));
  const DynamicRule* hit = rules.lookup(ip("10.10.10.10"), ip("10.10.100.101"), 1146);
  REQUIRE(hit != nullptr);
  CHECK(hit->hits == 1);
  CHECK(rules.lookup(ip("10.10.10.10"), ip("10.10.100.101"), 1147) == nullptr);
  CHECK(rules.lookup(ip("10.10.10.10"), ip("10.10.100.102"), 1146) == nullptr);
}

TEST_CASE("a per-client MAPI rule wins over the server-wide EPM rule") {
  FakeClock clock;
  DynamicRules rules(clock.fn(), 8);
  rules.add(epmRule("10.10.100.101", 1146));
  DynamicRule mapi = epmRule("10.10.100.101", 1146);
  mapi.key.src = ip("10.10.10.10");
  mapi.userId = "MAPI";
  rules.add(mapi);
  CHECK(rules.size() == 2);
  CHECK(rules.lookup(ip("10.10.10.10"), ip("10.10.100.101"), 1146)->userId == "MAPI");
  CHECK(rules.lookup(ip("10.10.10.11"), ip("10.10.100.101"), 1146)->userId == "EPM");
}

TEST_CASE("adding at an existing key refreshes it and keeps its counters") {
  FakeClock clock;
  DynamicRules rules(clock.fn(), 8);
  rules.add(epmRule("10.0.0.1", 1146));
  rules.lookup(ip("10.9.9.9"), ip("10.0.0.1"), 1146);
  clock.now += seconds(1000);
  DynamicRule again = epmRule("10.0.0.1", 1146);
  again.application = "Other";
  const DynamicRule& r = rules.add(again);
  CHECK(rules.size() == 1);
  CHECK(rules.allocations() == 1);
  CHECK(r.hits == 1);
  CHECK(r.application == "Other");
  CHECK(r.created == MonoTime(seconds(1000)));
  CHECK(r.expiry() == MonoTime(seconds(2000 + 1200)));
}

TEST_CASE("rules expire after their idle lifetime, never while flows use them") {
  FakeClock clock;
  DynamicRules rules(clock.fn(), 8);
  DynamicRuleKey busy{std::nullopt, ip("10.0.0.1"), 1146};
  DynamicRuleKey idle{std::nullopt, ip("10.0.0.2"), 1146};
  rules.add(epmRule("10.0.0.1", 1146, seconds(60)));
  rules.add(epmRule("10.0.0.2", 1146, seconds(60)));
  CHECK(rules.flowStarted(busy));
  clock.now += seconds(59);
  CHECK(rules.expire() == 0);
  clock.now += seconds(1);
  CHECK(rules.expire() == 1);
  CHECK(rules.find(idle) == nullptr);
  REQUIRE(rules.find(busy) != nullptr);
  CHECK_FALSE(rules.find(busy)->expiry().has_value());
  clock.now += seconds(3600);
  CHECK(rules.expire() == 0);
  // The lifetime restarts when the last flow ends.
  CHECK(rules.flowEnded(busy));
  clock.now += seconds(59);
  CHECK(rules.expire() == 0);
  CHECK(rules.refresh(busy));
  clock.now += seconds(59);
  CHECK(rules.expire() == 0);
  clock.now += seconds(1);
  CHECK(rules.expire() == 1);
  CHECK(rules.size() == 0);
  CHECK_FALSE(rules.flowEnded(busy));
  CHECK_FALSE(rules.refresh(busy));
}

TEST_CASE("the table is capped: the oldest idle rule is evicted first") {
  FakeClock clock;
  DynamicRules rules(clock.fn(), 3);
  rules.add(epmRule("10.0.0.1", 1));
  rules.add(epmRule("10.0.0.2", 1));
  rules.add(epmRule("10.0.0.3", 1));
  rules.flowStarted({std::nullopt, ip("10.0.0.1"), 1});
  rules.add(epmRule("10.0.0.4", 1));
  CHECK(rules.size() == 3);
  CHECK(rules.evictions() == 1);
  // 10.0.0.1 is the oldest but carries a flow, so 10.0.0.2 went.
  CHECK(rules.find({std::nullopt, ip("10.0.0.1"), 1}) != nullptr);
  CHECK(rules.find({std::nullopt, ip("10.0.0.2"), 1}) == nullptr);
  for (int i = 0; i < 100; ++i) {
    rules.add(epmRule("10.1.0.1", static_cast<uint16_t>(100 + i)));
    CHECK(rules.size() <= 3);
  }
  CHECK(rules.size() == 3);
  CHECK(rules.maxInUse() == 3);
  CHECK(rules.allocations() == 104);
  // With every rule busy, the oldest goes anyway: the cap holds.
  for (const DynamicRule* r : rules.rules()) {
    rules.flowStarted(r->key);
  }
  rules.add(epmRule("10.2.0.1", 1));
  CHECK(rules.size() == 3);
}

TEST_CASE("expired rules make room before a live one is evicted") {
  FakeClock clock;
  DynamicRules rules(clock.fn(), 2);
  rules.add(epmRule("10.0.0.1", 1, seconds(10)));
  rules.add(epmRule("10.0.0.2", 1, seconds(100)));
  clock.now += seconds(20);
  rules.add(epmRule("10.0.0.3", 1));
  CHECK(rules.evictions() == 0);
  CHECK(rules.find({std::nullopt, ip("10.0.0.2"), 1}) != nullptr);
}

TEST_CASE("rules() lists in allocation order") {
  FakeClock clock;
  DynamicRules rules(clock.fn(), 8);
  rules.add(epmRule("10.0.0.9", 1));
  rules.add(epmRule("10.0.0.1", 1));
  auto list = rules.rules();
  REQUIRE(list.size() == 2);
  CHECK(list[0]->key.dst == ip("10.0.0.9"));
  CHECK(list[1]->key.dst == ip("10.0.0.1"));
  CHECK(rules.remove(list[0]->key));
  CHECK(rules.size() == 1);
}
