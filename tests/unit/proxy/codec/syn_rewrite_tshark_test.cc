// Wireshark as an independent oracle: the packets insertOption / stripOption write are dissected
// by tshark with correct IP and TCP checksums. tshark is a build dependency (scripts/deps
// installs it): without it the test fails rather than passing with nothing checked.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "proxy/codec/syn_rewrite.h"
#include "tests/unit/proxy/codec/test_packets.h"
#include "tests/unit/tshark.h"

namespace bh::proxy::codec {
namespace {

TEST_CASE("tshark dissects rewritten SYNs with good checksums and sees our option") {
  REQUIRE_MESSAGE(std::filesystem::exists(bh::test::kTshark),
                  "/usr/bin/tshark is missing: install it (scripts/deps) - this test needs it");
  DiscoveryOption o;
  o.deviceId = *DeviceId::fromString("0:1a:64:d3:2f:b8");
  o.requestedPolicy = 7;
  std::vector<Bytes> packets;
  for (int v : {4, 6}) {
    for (const OptionFormat& f : {OptionFormat::experimental(), OptionFormat::waasLike()}) {
      const auto inserted = insertOption(test::buildSyn(v, test::linuxSynOptions()), o, f);
      REQUIRE(inserted.has_value());
      const auto stripped = stripOption(*inserted, f);
      REQUIRE(stripped.has_value());
      packets.push_back(*inserted);
      packets.push_back(*stripped);
    }
  }
  const std::vector<std::string> rows =
      bh::test::tsharkRows(packets,
                           "-o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields"
                           " -e tcp.checksum.status -e ip.checksum.status -e tcp.option_kind"
                           " -e tcp.options.experimental.exid");
  REQUIRE(rows.size() == packets.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(rows[i]);
    const bool ipv4 = packets[i][0] >> 4 == 4;
    CHECK(rows[i].rfind(ipv4 ? "1\t1\t" : "1\t\t", 0) == 0);  // TCP good, IPv4 header good
    const bool inserted = i % 2 == 0;
    const bool experimental = (i / 2) % 2 == 0;
    // Kinds as tshark lists them: 253 with ExID 0x4248, or 33 (0x21).
    if (inserted && experimental) {
      CHECK(rows[i].find("253") != std::string::npos);
      CHECK(rows[i].find("0x4248") != std::string::npos);
    } else if (inserted) {
      CHECK(rows[i].find(",33") != std::string::npos);
    } else {
      CHECK(rows[i].find("253") == std::string::npos);
      CHECK(rows[i].find(",33") == std::string::npos);
    }
  }
}

}  // namespace
}  // namespace bh::proxy::codec
