#include "mapi/mapi_ao/debug_settings.h"

#include <doctest/doctest.h>

#include "mapi/mapi_ao/mapi_debug.h"

using namespace bh::mapi::mapi_ao;
using bh::IpAddress;

namespace {

bh::accel::FlowRecord flow(const char* client, const char* server) {
  bh::accel::FlowRecord f;
  f.client = {*IpAddress::parse(client), 50000};
  f.server = {*IpAddress::parse(server), 6001};
  return f;
}

nlohmann::json run(DebugSettings& d, std::vector<std::string> args) {
  REQUIRE(DebugSettings::isDebugCommand(args));
  return d.handle(args);
}

constexpr uint32_t bit(MapiDebug c) {
  return static_cast<uint32_t>(c);
}

}  // namespace

TEST_CASE("debug accelerator mapi: categories on and off, shown as the seed names them") {
  DebugSettings d;
  auto outlook = flow("10.91.1.10", "10.91.4.2");
  CHECK(d.mapiMaskFor(outlook) == 0);
  auto j = run(d, {"debug", "accelerator", "mapi", "ROP-layer", "common-flow"});
  REQUIRE(j["ok"] == true);
  CHECK(j["json"]["mapi"] == nlohmann::json{"Common-flow", "ROP-layer"});
  CHECK(j["text"].get<std::string>().find("MAPI accelerator debugging: Common-flow ROP-layer") !=
        std::string::npos);
  CHECK(d.mapiMaskFor(outlook) == (bit(MapiDebug::CommonFlow) | bit(MapiDebug::RopLayer)));
  run(d, {"no", "debug", "accelerator", "mapi", "Common-flow"});
  CHECK(d.mapiMaskFor(outlook) == bit(MapiDebug::RopLayer));
  run(d, {"debug", "accelerator", "mapi", "all"});
  CHECK(d.mapiMask() == kMapiDebugAll);
  run(d, {"no", "debug", "all"});
  CHECK(d.mapiMask() == 0);
  CHECK(run(d, {"show", "debugging"})["text"].get<std::string>().find("debugging: off") !=
        std::string::npos);
}

TEST_CASE("debug connection host narrows the lines to flows of that address") {
  DebugSettings d;
  run(d, {"debug", "accelerator", "mapi", "all"});
  auto j = run(d, {"debug", "connection", "host", "10.91.1.10"});
  REQUIRE(j["ok"] == true);
  CHECK(j["json"]["connection"]["host"] == "10.91.1.10");
  CHECK(d.mapiMaskFor(flow("10.91.1.10", "10.91.4.2")) == kMapiDebugAll);
  CHECK(d.mapiMaskFor(flow("10.91.1.11", "10.91.1.10")) == kMapiDebugAll);  // as server
  CHECK(d.mapiMaskFor(flow("10.91.1.11", "10.91.4.2")) == 0);
  run(d, {"no", "debug", "connection"});
  CHECK(d.mapiMaskFor(flow("10.91.1.11", "10.91.4.2")) == kMapiDebugAll);
  run(d, {"debug", "connection", "host", "10.91.1.10"});
  run(d, {"debug", "connection", "any"});
  CHECK(d.mapiMaskFor(flow("10.91.1.11", "10.91.4.2")) == kMapiDebugAll);
}

TEST_CASE("debug commands refuse what they do not know, and change nothing") {
  DebugSettings d;
  for (std::vector<std::string> bad : {std::vector<std::string>{"debug", "accelerator", "mapi"},
                                       {"debug", "accelerator", "mapi", "IO"},
                                       {"debug", "accelerator", "mapi", "ROP-layer", "bogus"},
                                       {"debug", "connection", "host", "not-an-address"},
                                       {"debug", "connection", "access-list", "150"},
                                       {"debug", "something"}}) {
    auto j = run(d, bad);
    CHECK(j["ok"] == false);
    CHECK_FALSE(j["error"].get<std::string>().empty());
  }
  CHECK(d.mapiMask() == 0);
  CHECK(run(d, {"debug", "accelerator", "mapi", "IO"})["error"].get<std::string>().find(
            "WAAS internals") != std::string::npos);
  CHECK_FALSE(DebugSettings::isDebugCommand({"show", "device"}));
}
