#pragma once

// The control socket's one command table: every command the box answers (its own and its
// accelerators'), as data: the leading words, the help text, the handler. The socket
// dispatches on it; the unknown-command answer lists it; a later issue generates bash
// completion and the man page from it.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "accel/accelerator.h"

namespace bh::proxy {

class CommandTable {
 public:
  void add(accel::ControlCommand command) { rows_.push_back(std::move(command)); }
  /// Adds `command`, or replaces the row with the same words (a row whose help grows as parts
  /// register, such as type-tail's list of logs).
  void set(accel::ControlCommand command);
  /// The command whose words begin `args` (the longest such) answers: {"ok", "text", "json"}
  /// or {"ok": false, "error"}; none: an error listing every command's help.
  nlohmann::json dispatch(const std::vector<std::string>& args) const;
  /// The same for every row, deferred ones included: `reply` is called once, now (a plain
  /// row) or later on the loop thread (a row with `deferred`).
  void dispatch(const std::vector<std::string>& args, accel::ControlCommand::Reply reply) const;
  const std::vector<accel::ControlCommand>& rows() const { return rows_; }

 private:
  std::vector<accel::ControlCommand> rows_;
};

}  // namespace bh::proxy
