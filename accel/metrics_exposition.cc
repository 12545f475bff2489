#include "accel/metrics_exposition.h"

#include <charconv>
#include <cmath>

namespace bh::accel {

namespace {

bool validName(const std::string& name, bool colon) {
  if (name.empty()) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) {
      return false;
    }
  }
  return true;
}

/// HELP text escapes backslash and newline; label values also the double quote.
std::string escaped(const std::string& s, bool quote) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, r.ptr);
}

const char* typeName(MetricType t) {
  switch (t) {
    case MetricType::Counter:
      return "counter";
    case MetricType::Gauge:
      return "gauge";
    case MetricType::Summary:
      return "summary";
  }
  return "untyped";
}

std::string labelText(const std::vector<std::pair<std::string, std::string>>& labels) {
  if (labels.empty()) {
    return "";
  }
  std::string s = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    s += (i ? "," : "") + labels[i].first + "=\"" + escaped(labels[i].second, true) + "\"";
  }
  return s + "}";
}

bool labelsValid(const MetricSample& s) {
  for (const auto& [k, v] : s.labels) {
    if (!validLabelName(k) || k.starts_with("__")) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool validMetricName(const std::string& name) {
  return validName(name, true);
}

bool validLabelName(const std::string& name) {
  return validName(name, false);
}

std::string renderExposition(const MetricFamilies& families) {
  std::string out;
  for (const auto& f : families) {
    if (!validMetricName(f.name)) {
      continue;
    }
    out += "# HELP " + f.name + " " + escaped(f.help, false) + "\n";
    out += "# TYPE " + f.name + " " + typeName(f.type) + "\n";
    for (const auto& s : f.samples) {
      if (!labelsValid(s)) {
        continue;
      }
      std::string labels = labelText(s.labels);
      if (f.type == MetricType::Summary) {
        out += f.name + "_sum" + labels + " " + number(s.value) + "\n";
        out += f.name + "_count" + labels + " " + std::to_string(s.count) + "\n";
      } else {
        out += f.name + labels + " " + number(s.value) + "\n";
      }
    }
  }
  return out;
}

}  // namespace bh::accel
