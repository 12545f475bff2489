#include "policy/config_loader.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "policy_test_util.h"

using namespace bh::policy;
using bh::policy::test::hasError;

namespace {

struct BadConfig {
  const char* name;
  const char* json;
  const char* path;
  const char* message;  ///< substring of the expected message
};

// Each case is a small document with one defect (some have a second, checked separately).
const BadConfig kBadConfigs[] = {
    {"syntax error", R"({"device": })", "", "parse error at line 1"},
    {"not an object", R"([1, 2])", "", "expected object, got array"},
    {"unknown top-level key", R"({"polcy": {}})", "/polcy", "did you mean 'policy'?"},
    {"unknown nested key", R"({"device": {"hostnme": "x"}})", "/device/hostnme",
     "did you mean 'hostname'?"},
    {"unknown key, nothing close", R"({"interception": {"zzzzzzzz": 1}})", "/interception/zzzzzzzz",
     "expected one of: mode"},
    {"wrong type", R"({"peering": {"listen_port": "7878"}})", "/peering/listen_port",
     "expected integer, got string"},
    {"port out of range", R"({"peering": {"listen_port": 70000}})", "/peering/listen_port",
     "70000 is out of range (allowed 1-65535)"},
    {"congestion control not a name", R"({"peering": {"congestion_control": "bbr; rm"}})",
     "/peering/congestion_control", "a kernel congestion control name"},
    {"route table taken", R"({"peering": {"route_table": 27}})", "/peering/route_table",
     "tables 27 (interception) and 253-255"},
    {"initial window too large", R"({"peering": {"initial_window_segments": 100000}})",
     "/peering/initial_window_segments", "out of range"},
    {"WAN bandwidth as text", R"({"peering": {"wan_bandwidth_kbit": "100M"}})",
     "/peering/wan_bandwidth_kbit", "expected integer, got string"},
    {"negative", R"({"limits": {"connection_limit": -1}})", "/limits/connection_limit",
     "-1 is out of range"},
    {"huge unsigned", R"({"limits": {"connection_limit": 18446744073709551615}})",
     "/limits/connection_limit", "out of range"},
    {"float for integer", R"({"lz": {"level": 1.5}})", "/lz/level", "expected integer, got number"},
    {"bad enum", R"({"device": {"role": "egde"}})", "/device/role", "did you mean 'edge'?"},
    {"bad interception", R"({"interception": {"mode": "inlin"}})", "/interception/mode",
     "did you mean 'inline'?"},
    // WCCP (issue 19): the mode needs its block, the block needs the mode.
    {"wccp without its block", R"({"interception": {"mode": "wccp"}})", "/interception/mode",
     "'wccp' needs a wccp block"},
    {"wccp block in inline mode",
     R"({"interception": {"mode": "inline", "wccp": {"routers": ["10.0.0.1"]}}})",
     "/interception/wccp", "needs \"mode\": \"wccp\""},
    {"wccp without routers", R"({"interception": {"mode": "wccp", "wccp": {}}})",
     "/interception/wccp", "missing required key 'routers'"},
    {"wccp IPv6 router", R"({"interception": {"mode": "wccp", "wccp": {"routers": ["fd00::1"]}}})",
     "/interception/wccp/routers/0", "WCCPv2 routers are IPv4"},
    {"wccp password over 8",
     R"({"interception": {"mode": "wccp", "wccp": {"routers": ["10.0.0.1"],
                                                   "password": "123456789"}}})",
     "/interception/wccp/password", "at most 8 characters (draft 5.6.1); this one has 9"},
    {"wccp bad method",
     R"({"interception": {"mode": "wccp", "wccp": {"routers": ["10.0.0.1"],
                                                   "forwarding": "gree"}}})",
     "/interception/wccp/forwarding", "did you mean 'gre'?"},
    {"wccp bad service flag",
     R"({"interception": {"mode": "wccp", "wccp": {"routers": ["10.0.0.1"],
         "services": [{"id": 90, "flags": ["src-ip-hsh"]}]}}})",
     "/interception/wccp/services/0/flags/0", "did you mean 'src-ip-hash'?"},
    {"wccp duplicate service",
     R"({"interception": {"mode": "wccp", "wccp": {"routers": ["10.0.0.1"],
                                                   "services": [61, 62, 61]}}})",
     "/interception/wccp/services/2", "listed twice"},
    {"wccp nine ports",
     R"({"interception": {"mode": "wccp", "wccp": {"routers": ["10.0.0.1"],
         "services": [{"id": 90, "ports": [1,2,3,4,5,6,7,8,9]}]}}})",
     "/interception/wccp/services/0/ports", "at most 8 ports"},
    {"wccp mask of 8 bits",
     R"({"interception": {"mode": "wccp", "wccp": {"routers": ["10.0.0.1"], "mask": "0xff00"}}})",
     "/interception/wccp/mask", "at most 7 bits"},
    // The peer legs' keepalive is fixed at 5 s; another value would be shown but not used.
    {"MAPI keepalive other than 5 s", R"({"accelerators": {"mapi": {"keepalive_seconds": 30}}})",
     "/accelerators/mapi/keepalive_seconds", "a configurable keepalive is not implemented yet"},
    {"bad device id", R"({"device": {"id": "my box"}})", "/device/id",
     "printable ASCII without spaces"},
    {"bad hostname", R"({"device": {"hostname": "-edge"}})", "/device/hostname", "not a host name"},
    {"exid with 0x21", R"({"peering": {"tcp_option_kind": 33, "tcp_option_exid": 1}})",
     "/peering/tcp_option_exid", "only to RFC 6994"},
    {"option kind", R"({"peering": {"tcp_option_kind": 30}})", "/peering/tcp_option_kind",
     "neither RFC 6994"},
    {"application not a string", R"({"applications": ["Web", 7]})", "/applications/1",
     "expected string, got integer"},
    {"duplicate application", R"({"applications": ["Web", "Other", "Web"]})", "/applications/2",
     "duplicate application 'Web'"},
    {"application with space", R"({"applications": ["E mail"]})", "/applications/0",
     "without spaces"},
    {"classifier missing match", R"({"classifiers": [{"name": "A"}]})", "/classifiers/0",
     "missing required key 'match'"},
    {"classifier bad port",
     R"({"classifiers": [{"name": "A", "match": [{"dst_port": "eq 70000"}]}]})",
     "/classifiers/0/match/0/dst_port", "port 70000 is out of range 0-65535"},
    {"classifier port number out of range",
     R"({"classifiers": [{"name": "A", "match": {"src_port": 65536}}]})",
     "/classifiers/0/match/src_port", "out of range 0-65535"},
    {"classifier bad range",
     R"({"classifiers": [{"name": "A", "match": {"dst_port": "range 9 1"}}]})",
     "/classifiers/0/match/dst_port", "low > high"},
    {"classifier bad prefix length",
     R"({"classifiers": [{"name": "A", "match": {"dst_ip": "10.0.0.0/40"}}]})",
     "/classifiers/0/match/dst_ip", "prefix length '40' is not in 0-32"},
    {"classifier host bits",
     R"({"classifiers": [{"name": "A", "match": {"src_ip": "2001:db8::1/32"}}]})",
     "/classifiers/0/match/src_ip", "did you mean 2001:db8::/32?"},
    {"classifier mixed families",
     R"({"classifiers": [{"name": "A", "match": {"src_ip": "10.0.0.0/8", "dst_ip": "::/0"}}]})",
     "/classifiers/0/match/dst_ip", "mixes IPv4 and IPv6"},
    {"empty clause", R"({"classifiers": [{"name": "A", "match": [{}]}]})", "/classifiers/0/match/0",
     "empty match clause"},
    {"unknown clause key", R"({"classifiers": [{"name": "A", "match": [{"dst_prot": "eq 1"}]}]})",
     "/classifiers/0/match/0/dst_prot", "did you mean 'dst_port'?"},
    {"duplicate classifier",
     R"({"classifiers": [{"name": "A", "match": {"dst_port": 1}},
                         {"name": "A", "match": {"dst_port": 2}}]})",
     "/classifiers/1/name", "duplicate classifier 'A'"},
    {"class unknown classifier",
     R"({"applications": ["Other"],
         "classifiers": [{"name": "MS-EndPointMapper", "match": {"dst_port": "eq 135"}}],
         "policy": {"classes": [{"name": "c", "classifier": "MS-EndPointMaper",
                                 "application": "Other", "action": "optimize full"}]}})",
     "/policy/classes/0/classifier",
     "unknown classifier 'MS-EndPointMaper' (did you mean "
     "'MS-EndPointMapper'?)"},
    {"class unknown application",
     R"({"applications": ["Email-and-Messaging"],
         "policy": {"classes": [{"name": "c", "application": "Email-and-Messagng",
                                 "action": "optimize full"}]}})",
     "/policy/classes/0/application", "did you mean 'Email-and-Messaging'?"},
    {"class bad action",
     R"({"applications": ["Other"],
         "policy": {"classes": [{"name": "c", "application": "Other",
                                 "action": "optimise full"}]}})",
     "/policy/classes/0/action", "did you mean 'optimize full'?"},
    {"class bad accelerator",
     R"({"applications": ["Other"],
         "policy": {"classes": [{"name": "c", "application": "Other", "action": "optimize full",
                                 "accelerate": "mpai"}]}})",
     "/policy/classes/0/accelerate", "did you mean 'mapi'?"},
    {"pass-through accelerated",
     R"({"applications": ["Other"],
         "policy": {"classes": [{"name": "c", "application": "Other", "action": "pass-through",
                                 "accelerate": "mapi"}]}})",
     "/policy/classes/0/accelerate", "cannot be accelerated"},
    {"class both classifier and match",
     R"({"applications": ["Other"],
         "classifiers": [{"name": "A", "match": {"dst_port": 1}}],
         "policy": {"classes": [{"name": "c", "classifier": "A", "match": {"dst_port": 2},
                                 "application": "Other", "action": "optimize full"}]}})",
     "/policy/classes/0/match", "not both"},
    {"inline match bad port (the issue's example path)",
     R"({"applications": ["Other"],
         "policy": {"classes": [
           {"name": "a", "match": {"dst_port": 1}, "application": "Other",
            "action": "optimize full"},
           {"name": "b", "match": {"dst_port": 2}, "application": "Other",
            "action": "optimize full"},
           {"name": "c", "match": {"dst_port": 3}, "application": "Other",
            "action": "optimize full"},
           {"name": "d", "match": {"dst_port": "eq x"}, "application": "Other",
            "action": "optimize full"}]}})",
     "/policy/classes/3/match/dst_port", "'x' is not a port number"},
    {"duplicate class",
     R"({"applications": ["Other"],
         "policy": {"classes": [
           {"name": "c", "match": {"dst_port": 1}, "application": "Other",
            "action": "optimize full"},
           {"name": "c", "application": "Other", "action": "optimize full"}]}})",
     "/policy/classes/1/name", "duplicate class 'c'"},
    {"unreachable class",
     R"({"applications": ["Other"],
         "policy": {"classes": [
           {"name": "class-default", "application": "Other", "action": "optimize full"},
           {"name": "late", "match": {"dst_port": 1}, "application": "Other",
            "action": "optimize full"}]}})",
     "/policy/classes/1", "unreachable: class 'class-default'"},
    {"classes missing", R"({"policy": {"name": "p"}})", "/policy",
     "missing required key 'classes'"},
    {"class missing action",
     R"({"applications": ["Other"],
         "policy": {"classes": [{"name": "c", "application": "Other"}]}})",
     "/policy/classes/0", "missing required key 'action'"},
    {"epm bad uuid",
     R"({"applications": ["Email-and-Messaging"],
         "epm_maps": [{"name": "mapi", "uuid": "a4f1db00-ca47-1067-b31f-00dd010662d",
                       "application": "Email-and-Messaging", "action": "optimize full"}]})",
     "/epm_maps/0/uuid", "is not a UUID"},
    {"epm unknown application",
     R"({"applications": ["Other"],
         "epm_maps": [{"name": "mapi", "uuid": "a4f1db00-ca47-1067-b31f-00dd010662da",
                       "application": "Email", "action": "optimize full"}]})",
     "/epm_maps/0/application", "unknown application 'Email'"},
    {"epm duplicate uuid",
     R"({"applications": ["Other"],
         "epm_maps": [{"name": "a", "uuid": "a4f1db00-ca47-1067-b31f-00dd010662da",
                       "application": "Other", "action": "optimize full"},
                      {"name": "b", "uuid": "A4F1DB00-CA47-1067-B31F-00DD010662DA",
                       "application": "Other", "action": "optimize full"}]})",
     "/epm_maps/1/uuid", "duplicate EPM map uuid"},
    {"effective over connection limit",
     R"({"limits": {"connection_limit": 6000, "effective_limit": 7000}})",
     "/limits/effective_limit", "effective limit 7000 exceeds connection limit 6000"},
    {"reserve over effective",
     R"({"limits": {"connection_limit": 100, "effective_limit": 90,
                    "reserved_mapi_connections": 95}})",
     "/limits/reserved_mapi_connections", "exceed effective limit 90"},
    {"memory low watermark not below the high one",
     R"({"limits": {"memory_high_watermark_percent": 60, "memory_low_watermark_percent": 60}})",
     "/limits/memory_low_watermark_percent", "must be below memory_high_watermark_percent (60)"},
    {"memory high watermark over 100", R"({"limits": {"memory_high_watermark_percent": 101}})",
     "/limits/memory_high_watermark_percent", "out of range"},
    {"keepalive out of range", R"({"accelerators": {"mapi": {"keepalive_seconds": 0}}})",
     "/accelerators/mapi/keepalive_seconds", "out of range"},
    {"MAPI connection limit of 0", R"({"accelerators": {"mapi": {"max_connections": 0}}})",
     "/accelerators/mapi/max_connections", "out of range"},
    {"read-ahead too small", R"({"accelerators": {"mapi": {"read_ahead_bytes": 100}}})",
     "/accelerators/mapi/read_ahead_bytes", "100 is out of range"},
    {"read optimization not a boolean",
     R"({"accelerators": {"mapi": {"read_optimization": "enabled"}}})",
     "/accelerators/mapi/read_optimization", "expected boolean, got string"},
    {"write optimization not a boolean", R"({"accelerators": {"mapi": {"write_optimization": 1}}})",
     "/accelerators/mapi/write_optimization", "expected boolean, got integer"},
    {"misspelt read optimization", R"({"accelerators": {"mapi": {"read_optimisation": false}}})",
     "/accelerators/mapi/read_optimisation", "did you mean 'read_optimization'?"},
    {"unknown accelerator", R"({"accelerators": {"http": {}}})", "/accelerators/http",
     "unknown key 'http'"},
    {"bool as string", R"({"transaction_log": {"enabled": "yes"}})", "/transaction_log/enabled",
     "expected boolean, got string"},
    {"version", R"({"version": 2})", "/version", "2 is out of range (allowed 1-1)"},
    {"duplicate JSON key", R"({"device": {"role": "edge", "role": "core"}})", "/device/role",
     "duplicate key 'role'"},
    {"duplicate key in array element",
     R"({"classifiers": [{"name": "A",
                         "match": [{"dst_port": 1}, {"dst_port": 2, "dst_port": 3}]}]})",
     "/classifiers/0/match/1/dst_port", "duplicate key 'dst_port'"},
    {"pointer escaping", R"({"device": {"a/b~c": 1}})", "/device/a~1b~0c", "unknown key 'a/b~c'"},
};

}  // namespace

TEST_CASE("each bad config names its path and reason") {
  for (const auto& c : kBadConfigs) {
    std::string name = c.name;
    CAPTURE(name);
    auto r = loadConfig(c.json);
    REQUIRE_FALSE(r.ok());
    CAPTURE(r.errorText());
    CHECK(hasError(r.errors(), c.path, c.message));
  }
}

TEST_CASE("interception wccp: defaults 61/62, and every setting read") {
  auto d = loadConfig(R"({"interception": {"mode": "wccp", "wccp": {"routers": ["10.0.0.1"]}}})");
  REQUIRE(d.ok());
  REQUIRE(d.value().interception.wccp.has_value());
  const WccpConfig& w = *d.value().interception.wccp;
  REQUIRE(w.services.size() == 2);
  CHECK(w.services[0].id == 61);
  CHECK(w.services[0].flags == 0x1);  // source address: the client, client to server
  CHECK(w.services[1].id == 62);
  CHECK(w.services[1].flags == 0x2);  // destination address: the client, server to client
  CHECK(w.services[1].priority == 34);
  CHECK(w.services[1].protocol == 6);
  CHECK(w.forwarding == WccpMethod::Gre);
  CHECK(w.returns == WccpMethod::Gre);
  CHECK(w.assignment == WccpAssignment::Hash);
  CHECK(w.weight == 10000);
  CHECK(w.password.empty());
  auto r = loadConfig(R"({"interception": {"mode": "wccp", "wccp": {
    "routers": ["10.0.0.1", "10.0.0.2"], "password": "bh61pw", "forwarding": "l2",
    "return": "l2", "assignment": "mask", "weight": 5000, "mask": "0x1741",
    "services": [61, {"id": 90, "priority": 200, "protocol": 17,
                      "flags": ["dst-ip-hash", "src-port-alt-hash"], "ports": [80, 443],
                      "ports_are_source": true},
                 {"id": 0, "type": "standard"}]}}})");
  REQUIRE(r.ok());
  const WccpConfig& v = *r.value().interception.wccp;
  CHECK(v.routers.size() == 2);
  CHECK(v.password == "bh61pw");
  CHECK(v.forwarding == WccpMethod::L2);
  CHECK(v.returns == WccpMethod::L2);
  CHECK(v.assignment == WccpAssignment::Mask);
  CHECK(v.weight == 5000);
  CHECK(v.maskBits == 0x1741);
  REQUIRE(v.services.size() == 3);
  CHECK(v.services[1].id == 90);
  CHECK(v.services[1].priority == 200);
  CHECK(v.services[1].protocol == 17);
  CHECK(v.services[1].flags == (0x2 | 0x400 | 0x10 | 0x20));  // ports defined, source ports
  CHECK(v.services[1].ports == std::vector<uint16_t>{80, 443});
  CHECK(v.services[2].standard);
  CHECK(r.value().interception.mode == InterceptionMode::Wccp);
}

TEST_CASE("all errors are collected, not just the first") {
  auto r = loadConfig(R"({
    "device": {"role": "router", "hostnam": "x"},
    "peering": {"listen_port": 0},
    "applications": ["Other"],
    "policy": {"classes": [{"name": "c", "classifier": "nope", "application": "Othr",
                            "action": "optimize full"}]},
    "limits": {"connection_limit": 10, "effective_limit": 20, "reserved_mapi_connections": 5}
  })");
  REQUIRE_FALSE(r.ok());
  CAPTURE(r.errorText());
  CHECK(r.errors().size() == 6);
  CHECK(hasError(r.errors(), "/device/role", "'router' is not valid"));
  CHECK(hasError(r.errors(), "/device/hostnam", "did you mean 'hostname'?"));
  CHECK(hasError(r.errors(), "/peering/listen_port", "0 is out of range"));
  CHECK(hasError(r.errors(), "/policy/classes/0/classifier", "unknown classifier 'nope'"));
  CHECK(hasError(r.errors(), "/policy/classes/0/application", "did you mean 'Other'?"));
  CHECK(hasError(r.errors(), "/limits/effective_limit", "exceeds connection limit 10"));
}

TEST_CASE("error text is one line per error with its path") {
  auto r = loadConfig(R"({"lz": {"level": 0}, "dre": {"cache_size_mb": true}})");
  REQUIRE_FALSE(r.ok());
  CHECK(r.errorText() ==
        "/dre/cache_size_mb: expected integer, got boolean\n"
        "/lz/level: 0 is out of range (allowed 1-19)\n");
}

TEST_CASE("an empty document is a valid configuration with defaults") {
  auto r = loadConfig("{}");
  REQUIRE(r.ok());
  CHECK(r.value().limits.connectionLimit == 6000);
  CHECK(r.value().limits.effectiveLimit == 5990);
  CHECK(r.value().limits.memoryBudgetMb == 0);  // auto: a quarter of the machine's memory
  CHECK(r.value().limits.memoryHighWatermarkPercent == 80);
  CHECK(r.value().limits.memoryLowWatermarkPercent == 70);
  CHECK(r.value().mapi.keepaliveSeconds == 5.0);
  CHECK(r.value().peering.optionKind == 253);
}

TEST_CASE("MAPI read and write optimization default to on and can be turned off") {
  auto d = loadConfig(R"({"accelerators": {"mapi": {"enabled": true}}})");
  REQUIRE(d.ok());
  CHECK(d.value().mapi.readOptimization);
  CHECK(d.value().mapi.writeOptimization);
  auto r = loadConfig(R"({"accelerators": {"mapi": {"read_optimization": false}}})");
  REQUIRE(r.ok());
  CHECK_FALSE(r.value().mapi.readOptimization);
  CHECK(r.value().mapi.writeOptimization);
  auto w = loadConfig(R"({"accelerators": {"mapi": {"write_optimization": false}}})");
  REQUIRE(w.ok());
  CHECK(w.value().mapi.readOptimization);
  CHECK_FALSE(w.value().mapi.writeOptimization);
}

TEST_CASE("tables beyond their caps are refused") {
  SUBCASE("applications") {
    nlohmann::json doc;
    doc["applications"] = nlohmann::json::array();
    for (size_t i = 0; i <= ConfigCaps::kMaxApplications; ++i) {
      doc["applications"].push_back("app" + std::to_string(i));
    }
    auto r = loadConfig(doc.dump());
    REQUIRE_FALSE(r.ok());
    CHECK(hasError(r.errors(), "/applications", "more than 256 applications"));
    doc["applications"].erase(doc["applications"].size() - 1);
    CHECK(loadConfig(doc.dump()).ok());
  }
  SUBCASE("classifiers and their clauses") {
    nlohmann::json doc;
    doc["classifiers"] = nlohmann::json::array();
    for (size_t i = 0; i <= ConfigCaps::kMaxClassifiers; ++i) {
      doc["classifiers"].push_back(
          {{"name", "c" + std::to_string(i)}, {"match", {{"dst_port", i}}}});
    }
    auto r = loadConfig(doc.dump());
    REQUIRE_FALSE(r.ok());
    CHECK(hasError(r.errors(), "/classifiers", "more than 1024 classifiers"));
    doc["classifiers"].erase(doc["classifiers"].size() - 1);
    CHECK(loadConfig(doc.dump()).ok());

    nlohmann::json clauses = nlohmann::json::array();
    for (size_t i = 0; i <= ConfigCaps::kMaxClausesPerClassifier; ++i) {
      clauses.push_back({{"dst_port", i}});
    }
    nlohmann::json one = {{"classifiers", {{{"name", "big"}, {"match", clauses}}}}};
    auto r2 = loadConfig(one.dump());
    REQUIRE_FALSE(r2.ok());
    CHECK(hasError(r2.errors(), "/classifiers/0/match", "more than 256 match clauses"));
  }
  SUBCASE("classes") {
    nlohmann::json doc;
    doc["applications"] = {"Other"};
    doc["policy"]["classes"] = nlohmann::json::array();
    for (size_t i = 0; i <= ConfigCaps::kMaxClasses; ++i) {
      doc["policy"]["classes"].push_back({{"name", "k" + std::to_string(i)},
                                          {"match", {{"dst_port", i}}},
                                          {"application", "Other"},
                                          {"action", "optimize full"}});
    }
    auto r = loadConfig(doc.dump());
    REQUIRE_FALSE(r.ok());
    CHECK(hasError(r.errors(), "/policy/classes", "more than 1024 classes"));
    doc["policy"]["classes"].erase(doc["policy"]["classes"].size() - 1);
    CHECK(loadConfig(doc.dump()).ok());
  }
  SUBCASE("EPM maps") {
    nlohmann::json doc;
    doc["applications"] = {"Other"};
    doc["epm_maps"] = nlohmann::json::array();
    for (size_t i = 0; i <= ConfigCaps::kMaxEpmMaps; ++i) {
      char uuid[40];
      std::snprintf(uuid, sizeof(uuid), "%08zx-0000-0000-0000-000000000000", i);
      doc["epm_maps"].push_back({{"name", "m" + std::to_string(i)},
                                 {"uuid", uuid},
                                 {"application", "Other"},
                                 {"action", "optimize full"}});
    }
    auto r = loadConfig(doc.dump());
    REQUIRE_FALSE(r.ok());
    CHECK(hasError(r.errors(), "/epm_maps", "more than 64 EPM maps"));
    doc["epm_maps"].erase(doc["epm_maps"].size() - 1);
    CHECK(loadConfig(doc.dump()).ok());
  }
  SUBCASE("document size and nesting") {
    std::string big =
        "{\"device\": {\"hostname\": \"" + std::string(ConfigCaps::kMaxFileBytes, 'a') + "\"}}";
    auto r = loadConfig(big);
    REQUIRE_FALSE(r.ok());
    CHECK(hasError(r.errors(), "", "the limit is 1048576"));

    std::string deep = "{\"x\":" + std::string(40, '[') + std::string(40, ']') + "}";
    auto d = loadConfig(deep);
    REQUIRE_FALSE(d.ok());
    CHECK(hasError(d.errors(), "", "nesting deeper than 32 levels"));
  }
}

TEST_CASE("loadConfigFile reports a missing file at the root") {
  auto r = loadConfigFile("/nonexistent/bridgehead.json");
  REQUIRE_FALSE(r.ok());
  CHECK(hasError(r.errors(), "", "cannot open /nonexistent/bridgehead.json"));
}

TEST_CASE("validateConfig checks a hand-built Config") {
  Config c;
  c.applications = {"Other"};
  c.policyMap.classes.push_back({"c", "missing", "Other", Action::OptimizeFull, Accelerator::None});
  ConfigErrors errors;
  validateConfig(c, errors);
  CHECK(hasError(errors, "/policy/classes/0/classifier", "unknown classifier 'missing'"));
}
