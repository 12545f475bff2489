// EpmAccelerator on exchange-sim's recorded endpoint-mapper conversation
// (tests/vectors/sim/open_attachment/epm.*.bin), split at every byte.
#include <doctest/doctest.h>

#include "mapi/epm_ao/epm_accelerator.h"
#include "policy/config_loader.h"
#include "tests/unit/mapi/dcerpc/test_util.h"

using namespace bh;
using namespace bh::mapi;

namespace {

Bytes simVector(const std::string& file) {
  return dcerpc::testing::readFile(std::string(BH_SOURCE_DIR) +
                                   "/tests/vectors/sim/open_attachment/" + file);
}

class Recorder : public epm_ao::EpmEvents {
 public:
  void installDynamicRule(policy::DynamicRule rule) override { rules.push_back(std::move(rule)); }
  std::vector<policy::DynamicRule> rules;
};

}  // namespace

TEST_CASE("exchange-sim's recorded ept_map teaches the EPM AO 127.0.0.1:6001") {
  Bytes text = dcerpc::testing::readFile(std::string(BH_SOURCE_DIR) + "/config/bridgehead.json");
  auto policy =
      policy::Policy::create(policy::loadConfig(std::string(text.begin(), text.end())).value())
          .value();
  const Bytes client = simVector("epm.client.bin");
  const Bytes server = simVector("epm.server.bin");
  REQUIRE(client.size() > 100);
  REQUIRE(server.size() > 100);
  epm_ao::EpmCounters counters;
  for (size_t cut = 0; cut <= client.size(); ++cut) {
    CAPTURE(cut);
    Recorder events;
    epm_ao::EpmAccelerator ao(policy, *policy::IpAddress::parse("127.0.0.1"), events, counters);
    size_t sc = std::min(cut, server.size());
    // The client's bytes in two pieces, then the server's (a server never answers a bind or a
    // request it has not wholly received, so its bytes come after the client's).
    ao.onClientData(ByteSpan(client).first(cut));
    ao.onClientData(ByteSpan(client).subspan(cut));
    ao.onServerData(ByteSpan(server).first(sc));
    ao.onServerData(ByteSpan(server).subspan(sc));
    REQUIRE(ao.state() == epm_ao::EpmAoState::Active);
    REQUIRE(events.rules.size() == 1);
    CHECK(events.rules[0].key.dst == *policy::IpAddress::parse("127.0.0.1"));
    CHECK(events.rules[0].key.dstPort == 6001);
    CHECK(events.rules[0].accelerator == policy::Accelerator::Mapi);
  }
  CHECK(counters.totalResponsesSuccessfullyParsed == client.size() + 1);
  CHECK(counters.totalResponsesFailedToParse == 0);
}
