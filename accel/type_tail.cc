#include "accel/type_tail.h"

#include <algorithm>
#include <charconv>

namespace bh::accel {

namespace {

/// One answer stays well under the control socket's reply cap; `follow` asks again from `next`.
constexpr size_t kMaxLinesAnswered = 2000;

nlohmann::json failed(std::string why) {
  return {{"ok", false}, {"error", std::move(why)}};
}

bool parseNumber(const std::string& s, uint64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

const NamedLog* find(const std::vector<NamedLog>& logs, const std::string& name) {
  for (const auto& l : logs) {
    if (l.log != nullptr && (l.name == name || std::find(l.aliases.begin(), l.aliases.end(),
                                                         name) != l.aliases.end())) {
      return &l;
    }
  }
  return nullptr;
}

std::string known(const std::vector<NamedLog>& logs) {
  if (logs.empty()) {
    return "this box keeps no log for type-tail";
  }
  std::string s = "the logs are:";
  for (const auto& l : logs) {
    s += "\n  " + l.name + (l.what.empty() ? "" : " (" + l.what + ")");
  }
  return s;
}

}  // namespace

std::string typeTailUsage(const std::vector<NamedLog>& logs) {
  std::string s;
  for (const auto& l : logs) {
    s += (s.empty() ? "" : " | ") + std::string("type-tail ") + l.name + " [LINES | since SEQ]";
  }
  return s.empty() ? "type-tail LOG [LINES | since SEQ]" : s;
}

nlohmann::json typeTail(const std::vector<NamedLog>& logs, const std::vector<std::string>& a) {
  if (a.size() < 2) {
    return failed("usage: type-tail LOG [LINES | follow]; " + known(logs));
  }
  const NamedLog* named = find(logs, a[1]);
  if (named == nullptr) {
    return failed("no log '" + a[1] + "'; " + known(logs));
  }
  std::string usage = "usage: type-tail " + named->name + " [LINES | follow]";
  LineLog::Tail t;
  uint64_t n = 10;
  if (a.size() == 4 && a[2] == "since" && parseNumber(a[3], n)) {
    t = named->log->since(n, kMaxLinesAnswered);
  } else if (a.size() == 2 || (a.size() == 3 && parseNumber(a[2], n))) {
    t = named->log->last(static_cast<size_t>(std::min<uint64_t>(n, kMaxLinesAnswered)));
  } else {
    return failed(usage);
  }
  std::string text;
  if (t.missed != 0) {
    text += "... " + std::to_string(t.missed) + " lines dropped before they were read\n";
  }
  for (const auto& l : t.lines) {
    text += l + "\n";
  }
  nlohmann::json j = {{"lines", t.lines}, {"next", t.next}, {"missed", t.missed}};
  return {{"ok", true}, {"text", std::move(text)}, {"json", std::move(j)}};
}

}  // namespace bh::accel
