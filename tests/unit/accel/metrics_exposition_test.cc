#include "accel/metrics_exposition.h"

#include <doctest/doctest.h>

using namespace bh::accel;
using bh::accel::MetricFamilies;
using bh::accel::MetricType;

TEST_CASE("exposition: HELP and TYPE lines, then the samples") {
  MetricFamilies f;
  bh::accel::addMetric(f, "bridgehead_x_total", MetricType::Counter, "X.", 42);
  f.push_back({"bridgehead_y_bytes",
               "Y with a \\ and a\nnewline.",
               MetricType::Gauge,
               {{{{"peer", "a\"b\\c\nd"}, {"role", "edge"}}, 1.5, 0}}});
  f.push_back({"bridgehead_z_seconds", "Z.", MetricType::Summary, {{{}, 0.25, 3}}});
  CHECK(renderExposition(f) ==
        "# HELP bridgehead_x_total X.\n"
        "# TYPE bridgehead_x_total counter\n"
        "bridgehead_x_total 42\n"
        "# HELP bridgehead_y_bytes Y with a \\\\ and a\\nnewline.\n"
        "# TYPE bridgehead_y_bytes gauge\n"
        "bridgehead_y_bytes{peer=\"a\\\"b\\\\c\\nd\",role=\"edge\"} 1.5\n"
        "# HELP bridgehead_z_seconds Z.\n"
        "# TYPE bridgehead_z_seconds summary\n"
        "bridgehead_z_seconds_sum 0.25\n"
        "bridgehead_z_seconds_count 3\n");
}

TEST_CASE("exposition: integers print exactly, large ones too") {
  MetricFamilies f;
  bh::accel::addMetric(f, "a", MetricType::Gauge, "", 0);
  bh::accel::addMetric(f, "b", MetricType::Gauge, "", 9007199254740992.0);  // 2^53
  bh::accel::addMetric(f, "c", MetricType::Gauge, "", 1e-6);
  std::string s = renderExposition(f);
  CHECK(s.find("\na 0\n") != std::string::npos);
  CHECK(s.find("\nb 9007199254740992\n") != std::string::npos);
  CHECK(s.find("\nc 1e-06\n") != std::string::npos);
}

TEST_CASE("exposition: invalid names never reach a scrape") {
  CHECK(validMetricName("bridgehead_mapi_handled_connections_total"));
  CHECK(validMetricName("a:b"));
  CHECK_FALSE(validMetricName(""));
  CHECK_FALSE(validMetricName("1abc"));
  CHECK_FALSE(validMetricName("bridgehead-mapi"));
  CHECK_FALSE(validLabelName("a:b"));
  MetricFamilies f;
  bh::accel::addMetric(f, "bad-name", MetricType::Gauge, "", 1);
  f.push_back({"good", "", MetricType::Gauge, {{{{"bad-label", "v"}}, 1, 0}, {{}, 2, 0}}});
  f.push_back({"good2", "", MetricType::Gauge, {{{{"__reserved", "v"}}, 1, 0}}});
  std::string s = renderExposition(f);
  CHECK(s.find("bad-name") == std::string::npos);
  CHECK(s.find("bad-label") == std::string::npos);
  CHECK(s.find("__reserved") == std::string::npos);
  CHECK(s.find("\ngood 2\n") != std::string::npos);
}
