// A scrape's MAPI samples carry every figure of `show statistics accelerator mapi --json`, with
// the same values: checked through tests/vectors/metrics/mapi_json_to_metrics.json, the map the
// lab test (tests/lab/metrics_test.sh) uses against running daemons. A JSON figure the map does
// not name fails here, so a new counter cannot be left out of the metrics.
#include "mapi/mapi_ao/mapi_metrics.h"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "accel/metrics_exposition.h"

using namespace bh::mapi::mapi_ao;
using bh::mapi::emsmdb::ClientVersion;
using nlohmann::json;

namespace {

/// "name{labels}" -> value, from exposition text.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    size_t sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

void flatten(const json& j, const std::string& prefix, std::map<std::string, json>& out) {
  for (auto& [k, v] : j.items()) {
    std::string key = prefix.empty() ? k : prefix + "." + k;
    if (v.is_object()) {
      flatten(v, key, out);
    } else {
      out[key] = v;
    }
  }
}

}  // namespace

TEST_CASE("MAPI metrics: every figure of show statistics accelerator mapi --json, same values") {
  MapiCounters m(1257450319);
  MapiConnectionStats a, b, c;
  m.onConnectionHandled(a);
  m.onOptimized(a);
  m.onConnectionHandled(b);
  m.onHandedOff(b, HandOffReason::Ntlm);
  m.onConnectionHandled(c);
  m.onSecuredConnection(c);
  m.onSessionOpened(ClientVersion{11, 0, 8217, 0}, &a);
  m.onSessionOpened(ClientVersion{16, 0, 4266, 0});
  m.recordSynchGetBuffer(a, 31744);
  m.recordSynchGetBuffer(a, 1000);
  m.recordReadStream(a, 4096);
  m.recordReadAheadAccumulated(a, 65536);
  m.recordLocalResponse(a, std::chrono::microseconds(250));
  m.recordLocalResponse(a, std::chrono::microseconds(1251));
  m.recordRemoteResponse(a, std::chrono::microseconds(100123));
  m.recordReadAheadServed(a, 31744);
  m.recordWriteOptimized(a, 777);
  m.onEscapedConnection();
  m.onWriteWindowWait();
  m.onGroupWriteWait();
  m.onReadAheadEndedByRelease();

  std::ifstream f(std::string(BH_SOURCE_DIR) + "/tests/vectors/metrics/mapi_json_to_metrics.json");
  json map = json::parse(f)["map"];
  auto scrape = samples(bh::accel::renderExposition(mapiMetrics(m.stats())));
  std::map<std::string, json> figures;
  flatten(m.toJson(), "", figures);
  figures.erase("accelerator");
  size_t checked = 0;
  for (const auto& [key, value] : figures) {
    INFO("json figure " << key);
    REQUIRE(map.contains(key));
    const json& e = map[key];
    if (e.contains("derived")) {
      continue;
    }
    std::string sample = e["sample"];
    INFO("sample " << sample);
    REQUIRE(scrape.count(sample) == 1);
    double want = value.get<double>() * e.value("scale", 1.0);
    CHECK(std::fabs(scrape[sample] - want) <= 1e-9 * std::max(1.0, std::fabs(want)));
    ++checked;
  }
  CHECK(checked > 40);
  // Values that moved, so an all-zero scrape cannot pass.
  CHECK(scrape["bridgehead_mapi_handled_connections_total"] == 3);
  CHECK(scrape["bridgehead_mapi_hand_offs_total{reason=\"ntlm\"}"] == 1);
  CHECK(scrape["bridgehead_mapi_local_response_seconds_sum"] == doctest::Approx(0.001501));
  CHECK(scrape["bridgehead_mapi_accelerated_sessions{client=\"2003\"}"] == 1);
}

TEST_CASE("MAPI metrics: names and types as Prometheus wants them") {
  MapiCounters m;
  for (const auto& f : mapiMetrics(m.stats())) {
    INFO(f.name);
    CHECK(bh::accel::validMetricName(f.name));
    CHECK(f.name.starts_with("bridgehead_mapi_"));
    CHECK(f.help.size() > 5);
    CHECK((f.type == bh::accel::MetricType::Counter) == f.name.ends_with("_total"));
  }
}
