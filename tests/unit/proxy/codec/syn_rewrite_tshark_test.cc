// Wireshark as an independent oracle: the packets insertOption / stripOption write are dissected
// by tshark with correct IP and TCP checksums. tshark is a build dependency (scripts/deps
// installs it): without it the test fails rather than passing with nothing checked.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "proxy/codec/syn_rewrite.h"
#include "tests/unit/proxy/codec/test_packets.h"

namespace bh::proxy::codec {
namespace {

void putLe32(std::ofstream& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 24)};
  out.write(b, 4);
}

/// Classic pcap, LINKTYPE_RAW (101): each record is a bare IP packet, as NFQUEUE hands it over.
void writePcap(const std::string& path, const std::vector<Bytes>& packets) {
  std::ofstream out(path, std::ios::binary);
  putLe32(out, 0xa1b2c3d4);
  putLe32(out, 0x00040002);  // version 2.4
  putLe32(out, 0);
  putLe32(out, 0);
  putLe32(out, 65535);
  putLe32(out, 101);
  for (const Bytes& p : packets) {
    putLe32(out, 1700000000);
    putLe32(out, 0);
    putLe32(out, static_cast<uint32_t>(p.size()));
    putLe32(out, static_cast<uint32_t>(p.size()));
    out.write(reinterpret_cast<const char*>(p.data()), static_cast<std::streamsize>(p.size()));
  }
}

TEST_CASE("tshark dissects rewritten SYNs with good checksums and sees our option") {
  REQUIRE_MESSAGE(std::filesystem::exists("/usr/bin/tshark"),
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
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("bh_syn_rewrite_" + std::to_string(::getpid()) + ".pcap"))
                               .string();
  writePcap(path, packets);
  const std::string cmd = "/usr/bin/tshark -r " + path +
                          " -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -T fields"
                          " -e tcp.checksum.status -e ip.checksum.status -e tcp.option_kind"
                          " -e tcp.options.experimental.exid 2>/dev/null";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), pipe) != nullptr) {
    out += buf;
  }
  ::pclose(pipe);
  std::filesystem::remove(path);

  std::vector<std::string> rows;
  for (size_t at = 0, nl; (nl = out.find('\n', at)) != std::string::npos; at = nl + 1) {
    rows.push_back(out.substr(at, nl - at));
  }
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
