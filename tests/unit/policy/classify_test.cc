#include <doctest/doctest.h>

#include "policy/policy.h"
#include "policy_test_util.h"

using namespace bh::policy;
using bh::policy::test::ip;

namespace {

PolicyPtr policyFrom(const char* json) {
  auto c = loadConfig(json);
  if (!c.ok()) {
    FAIL(c.errorText());
  }
  auto p = Policy::create(std::move(c).value());
  REQUIRE(p.ok());
  return p.value();
}

const char* kClasses = R"({
  "applications": ["Email-and-Messaging", "Web", "Remote-Desktop", "File-System", "Other"],
  "classifiers": [
    {"name": "Branch-Web", "match": {"src_ip": "10.1.0.0/16", "dst_port": "eq 80"}},
    {"name": "Any-Web", "match": [{"dst_port": "eq 80"}, {"dst_port": "eq 8080"}]},
    {"name": "RDP-V6", "match": {"dst_ip": "2001:db8:100::/40", "dst_port": "eq 3389"}},
    {"name": "High-Ports", "match": {"dst_port": "range 5000 5100"}},
    {"name": "NFS-Both", "match": {"dst_ip": "192.0.2.10", "dst_port": 2049,
                                   "both_directions": true}}
  ],
  "policy": {"name": "WAAS-GLOBAL", "classes": [
    {"name": "BW", "classifier": "Branch-Web", "application": "Web", "action": "optimize lz"},
    {"name": "AW", "classifier": "Any-Web", "application": "Web", "action": "optimize full"},
    {"name": "RDP", "classifier": "RDP-V6", "application": "Remote-Desktop",
     "action": "optimize tcp"},
    {"name": "HP", "classifier": "High-Ports", "application": "Other", "action": "pass-through"},
    {"name": "NFS", "classifier": "NFS-Both", "application": "File-System",
     "action": "optimize dre"}
  ]},
  "epm_maps": [{"name": "mapi", "uuid": "a4f1db00-ca47-1067-b31f-00dd010662da",
                "application": "Email-and-Messaging", "action": "optimize full",
                "accelerate": "mapi"}]
})";

FlowKey flow(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
  return {ip(src), ip(dst), sport, dport};
}

}  // namespace

TEST_CASE("first matching class wins, in class order") {
  auto p = policyFrom(kClasses);
  Decision branch = p->classify(flow("10.1.2.3", 40000, "10.9.9.9", 80));
  CHECK(branch.className == "BW");
  CHECK(branch.classifier == "Branch-Web");
  CHECK(branch.action == Action::OptimizeLz);
  CHECK(branch.mapName == "WAAS-GLOBAL");
  // Same port from elsewhere falls to the second class; its second clause matches too.
  CHECK(p->classify(flow("10.2.2.3", 40000, "10.9.9.9", 80)).className == "AW");
  CHECK(p->classify(flow("10.2.2.3", 40000, "10.9.9.9", 8080)).className == "AW");
  CHECK(p->classMatches(0) == 1);
  CHECK(p->classMatches(1) == 2);
  CHECK(p->clauseMatches(1, 0) == 1);
  CHECK(p->clauseMatches(1, 1) == 1);
  CHECK(p->totalMatches() == 3);
}

TEST_CASE("port ranges are inclusive at both ends") {
  auto p = policyFrom(kClasses);
  CHECK(p->classify(flow("10.0.0.1", 1, "10.0.0.2", 5000)).className == "HP");
  CHECK(p->classify(flow("10.0.0.1", 1, "10.0.0.2", 5100)).className == "HP");
  CHECK_FALSE(p->classify(flow("10.0.0.1", 1, "10.0.0.2", 4999)).matched());
  CHECK_FALSE(p->classify(flow("10.0.0.1", 1, "10.0.0.2", 5101)).matched());
}

TEST_CASE("IPv6 prefixes match IPv6 flows only") {
  auto p = policyFrom(kClasses);
  Decision in = p->classify(flow("2001:db8:1::5", 50000, "2001:db8:1ff::9", 3389));
  CHECK(in.className == "RDP");
  CHECK(in.application == "Remote-Desktop");
  CHECK(in.action == Action::OptimizeTcp);
  CHECK_FALSE(p->classify(flow("2001:db8:1::5", 50000, "2001:db8:200::9", 3389)).matched());
  CHECK_FALSE(p->classify(flow("10.0.0.1", 50000, "10.0.0.2", 3389)).matched());
}

TEST_CASE("v4-mapped flow addresses classify as IPv4") {
  auto p = policyFrom(kClasses);
  CHECK(p->classify(flow("::ffff:10.1.2.3", 40000, "::ffff:10.9.9.9", 80)).className == "BW");
}

TEST_CASE("both_directions matches the flow opened from the other end") {
  auto p = policyFrom(kClasses);
  CHECK(p->classify(flow("10.0.0.1", 900, "192.0.2.10", 2049)).className == "NFS");
  CHECK(p->classify(flow("192.0.2.10", 2049, "10.0.0.1", 900)).className == "NFS");
  // One-way clauses do not: the reversed branch web flow is not web.
  CHECK_FALSE(p->classify(flow("10.9.9.9", 80, "10.1.2.3", 40000)).matched());
}

TEST_CASE("an unmatched flow is passed through as Other") {
  auto p = policyFrom(kClasses);
  Decision d = p->classify(flow("10.0.0.1", 1, "10.0.0.2", 22));
  CHECK_FALSE(d.matched());
  CHECK(d.application == "Other");
  CHECK(d.action == Action::PassThrough);
  CHECK(d.accelerator == Accelerator::None);
}

TEST_CASE("dynamic rules are consulted before the static classes") {
  auto p = policyFrom(kClasses);
  std::chrono::seconds t{0};
  DynamicRules rules([&t] { return MonoTime(t); }, 16);
  // Port 80 is statically Web; an EPM-learned rule for this server port takes precedence.
  auto rule = p->epmRule("a4f1db00-ca47-1067-b31f-00dd010662da", ip("10.10.100.101"), 80);
  REQUIRE(rule);
  rules.add(*rule);
  Decision d = p->classify(flow("10.10.10.10", 3774, "10.10.100.101", 80), &rules);
  CHECK(d.classifier == "**Map Default**");
  CHECK(d.mapName == "uuida4f1db00-ca47-1067-b31f-00dd010662da");
  CHECK(d.application == "Email-and-Messaging");
  CHECK(d.action == Action::OptimizeFull);
  CHECK(d.accelerator == Accelerator::Mapi);
  CHECK(d.className == "mapi");
  REQUIRE(d.dynamicKey);
  CHECK(*d.dynamicKey == rule->key);
  CHECK(p->epmMapMatches(0) == 1);
  // Other servers still go by the static map; without the table too.
  CHECK(p->classify(flow("10.10.10.10", 3774, "10.10.100.102", 80), &rules).className == "AW");
  CHECK(p->classify(flow("10.10.10.10", 3774, "10.10.100.101", 80)).className == "AW");
  // An unknown interface yields no rule.
  CHECK_FALSE(p->epmRule("00000000-0000-0000-0000-000000000000", ip("10.0.0.1"), 1));
}

TEST_CASE("an expired dynamic rule no longer classifies") {
  auto p = policyFrom(kClasses);
  std::chrono::seconds t{0};
  DynamicRules rules([&t] { return MonoTime(t); }, 16);
  rules.add(*p->epmRule("a4f1db00-ca47-1067-b31f-00dd010662da", ip("10.10.100.101"), 1146));
  t = std::chrono::seconds(1199);
  CHECK(p->classify(flow("10.10.10.10", 1, "10.10.100.101", 1146), &rules).classifier ==
        kMapDefaultClassifier);
  t = std::chrono::seconds(1200);
  CHECK_FALSE(p->classify(flow("10.10.10.10", 1, "10.10.100.101", 1146), &rules).matched());
}
