// EpmAccelerator on exchange-sim's recorded endpoint-mapper conversation
// (tests/vectors/sim/open_attachment/epm.*.bin), split at every byte.
#include <doctest/doctest.h>

#include "mapi/epm_ao/epm_accelerator.h"
#include "tests/unit/mapi/dcerpc/test_util.h"
#include "tests/unit/mapi/epm_ao/recording_sink.h"

using namespace bh;
using namespace bh::mapi;

namespace {

Bytes simVector(const std::string& file) {
  return dcerpc::testing::readFile(std::string(BH_SOURCE_DIR) +
                                   "/tests/vectors/sim/open_attachment/" + file);
}

}  // namespace

TEST_CASE("exchange-sim's recorded ept_map teaches the EPM AO 127.0.0.1:6001") {
  const Bytes client = simVector("epm.client.bin");
  const Bytes server = simVector("epm.server.bin");
  REQUIRE(client.size() > 100);
  REQUIRE(server.size() > 100);
  epm_ao::EpmCounters counters;
  for (size_t cut = 0; cut <= client.size(); ++cut) {
    CAPTURE(cut);
    epm_ao::testing::RecordingSink events;
    epm_ao::EpmAccelerator ao(*IpAddress::parse("127.0.0.1"), events, counters);
    size_t sc = std::min(cut, server.size());
    // The client's bytes in two pieces, then the server's (a server never answers a bind or a
    // request it has not wholly received, so its bytes come after the client's).
    ao.onClientData(ByteSpan(client).first(cut));
    ao.onClientData(ByteSpan(client).subspan(cut));
    ao.onServerData(ByteSpan(server).first(sc));
    ao.onServerData(ByteSpan(server).subspan(sc));
    REQUIRE(ao.state() == epm_ao::EpmAoState::Active);
    REQUIRE(events.taken.size() == 1);
    CHECK(events.taken[0].address == *IpAddress::parse("127.0.0.1"));
    CHECK(events.taken[0].port == 6001);
    CHECK(events.taken[0].interfaceUuid == epm_ao::testing::kEmsmdbUuid);
  }
  CHECK(counters.totalResponsesSuccessfullyParsed == client.size() + 1);
  CHECK(counters.totalResponsesFailedToParse == 0);
}
