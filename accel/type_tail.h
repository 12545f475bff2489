#pragma once

// The seed's `type-tail errorlog/NAME.current [LINES | follow]` over the box's in-memory logs
// (common/line_log.h): the MAPI AO's mapiao-errorlog, the encryption service's sr-errorlog. The
// daemon owns the one `type-tail` command and asks it of every log that registered a name, so a
// new log needs no command of its own.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/line_log.h"

namespace bh::accel {

/// A log `type-tail` can read: its file name as the seed writes it
/// ("errorlog/mapiao-errorlog.current") and the short names accepted too ("mapiao-errorlog").
struct NamedLog {
  std::string name;
  std::vector<std::string> aliases;
  const LineLog* log = nullptr;
  /// One line for the refusal that lists the logs ("the MAPI AO's debug lines").
  std::string what;
};

/// `type-tail LOG [LINES]`: the last LINES (10) lines of LOG;
/// `type-tail LOG since SEQ`: the lines from SEQ on (what `bhctl ... follow` asks for every half
/// second). {"ok", "text", "json": {"lines", "next", "missed"}} or {"ok": false, "error"} (an
/// unknown LOG is refused with the names there are).
nlohmann::json typeTail(const std::vector<NamedLog>& logs, const std::vector<std::string>& args);

/// The usage line of the command table's row: one `type-tail NAME [LINES | since SEQ]` per log.
std::string typeTailUsage(const std::vector<NamedLog>& logs);

}  // namespace bh::accel
