#pragma once

// The MAPI AO's debug lines, kept in memory: what the seed reads with
// `type-tail errorlog/mapiao-errorlog.current [follow]`. The daemon still writes every line to
// its log (journal) too; this copy lets an engineer see the lines of the flow being debugged
// with one command, without journal access or grep. Bounded: the oldest lines go first once
// either cap is reached, and a reader that falls behind is told how many it missed.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace bh::mapi::mapi_ao {

class MapiAoErrorLog {
 public:
  static constexpr size_t kDefaultMaxLines = 5000;
  static constexpr size_t kDefaultMaxBytes = 2 * 1024 * 1024;

  explicit MapiAoErrorLog(size_t maxLines = kDefaultMaxLines, size_t maxBytes = kDefaultMaxBytes)
      : maxLines_(maxLines), maxBytes_(maxBytes) {}

  /// One line, already formatted (time, connection, side, category, text).
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

/// The file name the seed's `type-tail` reads; `mapiao-errorlog` is accepted too.
constexpr const char* kMapiAoErrorLogName = "errorlog/mapiao-errorlog.current";

/// Whether `args` is `type-tail ...`.
bool isTypeTailCommand(const std::vector<std::string>& args);
/// `type-tail errorlog/mapiao-errorlog.current [LINES]`: the last LINES (10) lines;
/// `type-tail errorlog/mapiao-errorlog.current since SEQ`: the lines from SEQ on (what
/// `bhctl ... follow` asks for every half second). {"ok", "text", "json": {"lines", "next",
/// "missed"}} or {"ok": false, "error"}.
nlohmann::json typeTail(const MapiAoErrorLog& log, const std::vector<std::string>& args);

}  // namespace bh::mapi::mapi_ao
