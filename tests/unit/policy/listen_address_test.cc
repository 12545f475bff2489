#include "policy/listen_address.h"

#include <doctest/doctest.h>

#include "policy/config_loader.h"

using namespace bh::policy;

TEST_CASE("metrics.listen: ADDRESS:PORT, IPv6 in brackets") {
  bh::IpAddress a;
  uint16_t p = 0;
  CHECK(parseListenAddress("127.0.0.1:9464", a, p));
  CHECK(a.toString() == "127.0.0.1");
  CHECK(p == 9464);
  CHECK(parseListenAddress("[::1]:9100", a, p));
  CHECK(a.toString() == "::1");
  CHECK(p == 9100);
  CHECK(parseListenAddress("0.0.0.0:1", a, p));
  for (const char* bad :
       {"", ":9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "::1:9464",
        "[127.0.0.1]:80", "[::1]9464", "localhost:9464", "127.0.0.1:94a", "[::1]:-1"}) {
    INFO(bad);
    CHECK_FALSE(parseListenAddress(bad, a, p));
  }
}

TEST_CASE("metrics.listen in the config: off by default, checked when given") {
  auto off = loadConfig("{}");
  REQUIRE(off.ok());
  CHECK(off.value().metrics.listen.empty());
  auto on = loadConfig(R"({"metrics": {"listen": "[::1]:9464"}})");
  REQUIRE(on.ok());
  CHECK(on.value().metrics.listen == "[::1]:9464");
  auto bad = loadConfig(R"({"metrics": {"listen": "9464"}})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.errors()[0].path == "/metrics/listen");
  auto unknown = loadConfig(R"({"metrics": {"port": 9464}})");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.errors()[0].path == "/metrics/port");
}
