#include "common/line_log.h"

#include <algorithm>

namespace bh {

void LineLog::append(std::string line) {
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

LineLog::Tail LineLog::last(size_t count) const {
  size_t n = std::min(count, lines_.size());
  return since(first_ + (lines_.size() - n), n);
}

LineLog::Tail LineLog::since(uint64_t seq, size_t count) const {
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

}  // namespace bh
