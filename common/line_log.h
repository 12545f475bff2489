#pragma once

// A daemon's debug lines kept in memory: what the seed reads with `type-tail errorlog/NAME.current
// [follow]` (mapiao-errorlog of the MAPI AO, sr-errorlog of the encryption service). The daemon
// still writes every line to its log (journal) too; this copy lets an engineer see the lines being
// debugged with one command, without journal access or grep. Bounded: the oldest lines go first
// once either cap is reached, and a reader that falls behind is told how many it missed.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace bh {

class LineLog {
 public:
  static constexpr size_t kDefaultMaxLines = 5000;
  static constexpr size_t kDefaultMaxBytes = 2 * 1024 * 1024;

  explicit LineLog(size_t maxLines = kDefaultMaxLines, size_t maxBytes = kDefaultMaxBytes)
      : maxLines_(maxLines), maxBytes_(maxBytes) {}

  /// One line, already formatted (time, subject, category, text).
  void append(std::string line);

  struct Tail {
    std::vector<std::string> lines;
    /// The sequence number of the next line to be appended: ask `since(next)` for what follows.
    uint64_t next = 0;
    /// Lines after the asked position that the caps dropped before they could be read.
    uint64_t missed = 0;
  };
  /// The last `count` lines kept.
  Tail last(size_t count) const;
  /// The lines appended at or after sequence number `seq`, at most `count` of them (the oldest
  /// first; ask again from `next` for the rest).
  Tail since(uint64_t seq, size_t count) const;

  size_t lines() const { return lines_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  size_t maxLines_;
  size_t maxBytes_;
  std::deque<std::string> lines_;
  size_t bytes_ = 0;
  uint64_t first_ = 0;  ///< sequence number of lines_.front()
};

}  // namespace bh
