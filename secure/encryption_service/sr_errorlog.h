#pragma once

// The encryption service's sr-errorlog: the lines the seed reads on the core
// (`type-tail errorlog/sr-errorlog.current`), in its shape: a timestamp, the level (NTCE or ERRO)
// and the text, e.g.
//   12/05/2026 20:06:06.123(UTC) NTCE Key Not Found in cache, initiating retrieval for spn: ...
// Every line also goes to the daemon's journal. No line ever carries a key, password or ticket:
// the texts are built from names, etypes, kvnos and status codes only.

#include <cstdint>
#include <functional>
#include <string>

#include "common/line_log.h"

namespace bh::secure::encryption_service {

inline constexpr const char* kSrErrorLogName = "errorlog/sr-errorlog.current";

/// "MM/DD/YYYY HH:MM:SS.mmm(UTC) LEVEL text" for a wall-clock time in milliseconds.
std::string srLogLine(int64_t wallMs, bool error, const std::string& text);

/// Appends to the in-memory log and hands the same line to the journal.
class SrErrorLog {
 public:
  using Journal = std::function<void(bool error, const std::string& line)>;
  SrErrorLog(LineLog& lines, Journal journal, std::function<int64_t()> wallMs);
  void notice(const std::string& text) { write(false, text); }
  void error(const std::string& text) { write(true, text); }

 private:
  void write(bool error, const std::string& text);
  LineLog& lines_;
  Journal journal_;
  std::function<int64_t()> wallMs_;
};

}  // namespace bh::secure::encryption_service
