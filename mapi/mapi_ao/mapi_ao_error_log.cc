#include "mapi/mapi_ao/mapi_ao_error_log.h"

#include <algorithm>
#include <charconv>

#include "accel/control_args.h"

namespace bh::mapi::mapi_ao {

using accel::commandStartsWith;

void MapiAoErrorLog::append(std::string line) {
  if (line.size() > maxBytes_) {
    line.resize(maxBytes_);
  }
  bytes_ += line.size();
  lines_.push_back(std::move(line));
  while (lines_.size() > maxLines_ || bytes_ > maxBytes_) {
    bytes_ -= lines_.front().size();
    lines_.pop_front();
    ++first_;
  }
}

MapiAoErrorLog::Tail MapiAoErrorLog::last(size_t count) const {
  size_t n = std::min(count, lines_.size());
  return since(first_ + (lines_.size() - n), n);
}

MapiAoErrorLog::Tail MapiAoErrorLog::since(uint64_t seq, size_t count) const {
  Tail t;
  uint64_t end = first_ + lines_.size();
  t.next = end;
  if (seq < first_) {
    t.missed = first_ - seq;
    seq = first_;
  }
  if (seq >= end) {
    return t;
  }
  size_t from = static_cast<size_t>(seq - first_);
  size_t n = std::min<size_t>(count, lines_.size() - from);
  t.lines.assign(lines_.begin() + static_cast<std::ptrdiff_t>(from),
                 lines_.begin() + static_cast<std::ptrdiff_t>(from + n));
  t.next = seq + n;
  return t;
}

namespace {

constexpr size_t kMaxLinesAnswered = 2000;

nlohmann::json failed(std::string why) {
  return {{"ok", false}, {"error", std::move(why)}};
}

bool parseNumber(const std::string& s, uint64_t& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

bool isTypeTailCommand(const std::vector<std::string>& args) {
  return commandStartsWith(args, {"type-tail"});
}

nlohmann::json typeTail(const MapiAoErrorLog& log, const std::vector<std::string>& a) {
  std::string usage = std::string("usage: type-tail ") + kMapiAoErrorLogName + " [LINES | follow]";
  if (a.size() < 2) {
    return failed(usage);
  }
  if (a[1] != kMapiAoErrorLogName && a[1] != "mapiao-errorlog") {
    return failed("no log '" + a[1] + "'; the MAPI AO's debug lines are " + kMapiAoErrorLogName);
  }
  MapiAoErrorLog::Tail t;
  uint64_t n = 10;
  if (a.size() == 4 && a[2] == "since" && parseNumber(a[3], n)) {
    t = log.since(n, kMaxLinesAnswered);
  } else if (a.size() == 2 || (a.size() == 3 && parseNumber(a[2], n))) {
    t = log.last(static_cast<size_t>(std::min<uint64_t>(n, kMaxLinesAnswered)));
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

}  // namespace bh::mapi::mapi_ao
