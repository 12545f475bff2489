#include <doctest/doctest.h>

// The EPM AO joined to the policy by the box (box/epm_dynamic_rules.h): impacket's ept_map
// conversation, one byte at a time, installs the shipped policy's EMSMDB rule into a real
// dynamic rule table; an interface without an EPM map installs nothing; each connection keeps
// the policy it started under.

#include <nlohmann/json.hpp>

#include "box/epm_dynamic_rules.h"
#include "mapi/epm/ept_map.h"
#include "mapi/epm_ao/epm_accelerator.h"
#include "policy/config_loader.h"
#include "tests/unit/mapi/dcerpc/test_util.h"

using namespace bh;
using namespace bh::mapi::dcerpc::testing;
using bh::box::EpmDynamicRules;
using bh::mapi::epm_ao::EpmAccelerator;
using bh::mapi::epm_ao::EpmCounters;
using bh::mapi::epm_ao::MappedEndpoint;

namespace {

constexpr const char* kEmsmdb = "a4f1db00-ca47-1067-b31f-00dd010662da";
constexpr const char* kNspi = "f5cc5a18-4264-101a-8c59-08002b2f8426";

policy::PolicyPtr policyFrom(const std::string& text) {
  auto config = policy::loadConfig(text);
  REQUIRE(config.ok());
  return policy::Policy::create(config.value()).value();
}

policy::PolicyPtr shippedPolicy() {
  Bytes text = readFile(std::string(BH_SOURCE_DIR) + "/config/bridgehead.json");
  return policyFrom(std::string(text.begin(), text.end()));
}

IpAddress ip(const char* s) {
  return *IpAddress::parse(s);
}

struct Table {
  std::chrono::seconds t{0};
  policy::DynamicRules rules{[this] { return policy::MonoTime(t); }, 8};
};

}  // namespace

TEST_CASE("impacket's ept_map conversation, one byte at a time, installs the EMSMDB rule") {
  const Bytes client = readFile(vectorPath("dcerpc", "stream_epm_client", "input.bin"));
  Bytes server = readFile(vectorPath("dcerpc", "bind_ack_epm", "input.bin"));
  Bytes response = readFile(vectorPath("dcerpc", "response_ept_map", "input.bin"));
  server.insert(server.end(), response.begin(), response.end());
  Table table;
  EpmCounters counters;
  EpmDynamicRules sink(shippedPolicy(), table.rules);
  EpmAccelerator ao(ip("10.91.4.2"), sink, counters);
  for (size_t i = 0; i < 72; ++i) {  // the bind
    ao.onClientData(ByteSpan(client).subspan(i, 1));
  }
  for (size_t i = 0; i < 60; ++i) {  // the bind_ack
    ao.onServerData(ByteSpan(server).subspan(i, 1));
  }
  for (size_t i = 72; i < client.size(); ++i) {
    ao.onClientData(ByteSpan(client).subspan(i, 1));
  }
  for (size_t i = 60; i < server.size(); ++i) {
    ao.onServerData(ByteSpan(server).subspan(i, 1));
  }
  CHECK(counters.totalDynamicRulesInstalled == 1);
  REQUIRE(table.rules.size() == 1);
  const auto* rule = table.rules.lookup(ip("10.91.1.1"), ip("192.0.2.25"), 6001);
  REQUIRE(rule != nullptr);
  CHECK_FALSE(rule->key.src.has_value());
  CHECK(rule->userId == "EPM");
  CHECK(rule->mapName == std::string("uuid") + kEmsmdb);
  CHECK(rule->application == "Email-and-Messaging");
  CHECK(rule->accelerator == policy::Accelerator::Mapi);
  CHECK(rule->lifetime == std::chrono::seconds(1200));
}

TEST_CASE("an interface the policy has no EPM map for installs nothing") {
  Table table;
  EpmDynamicRules sink(shippedPolicy(), table.rules);
  CHECK_FALSE(sink.onMappedEndpoint({kNspi, ip("10.91.4.2"), 6004}));
  CHECK(table.rules.size() == 0);
  CHECK(sink.onMappedEndpoint({kEmsmdb, ip("10.91.4.2"), 6001}));
  CHECK(table.rules.size() == 1);
}

TEST_CASE("a connection keeps the policy it started under") {
  // The shipped policy maps EMSMDB; a reload that drops every EPM map does not change what a
  // connection that started before it installs, and a connection after it installs nothing.
  Table table;
  policy::PolicyPtr before = shippedPolicy();
  Bytes text = readFile(std::string(BH_SOURCE_DIR) + "/config/bridgehead.json");
  auto json = nlohmann::json::parse(std::string(text.begin(), text.end()));
  json["epm_maps"] = nlohmann::json::array();
  policy::PolicyPtr after = policyFrom(json.dump());
  EpmDynamicRules started(before, table.rules);
  EpmDynamicRules later(after, table.rules);
  CHECK_FALSE(later.onMappedEndpoint({kEmsmdb, ip("10.91.4.2"), 6001}));
  CHECK(started.onMappedEndpoint({kEmsmdb, ip("10.91.4.2"), 6001}));
  CHECK(table.rules.size() == 1);
}
