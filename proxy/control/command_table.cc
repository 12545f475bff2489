#include "proxy/control/command_table.h"

#include "accel/control_args.h"

namespace bh::proxy {

void CommandTable::set(accel::ControlCommand command) {
  for (auto& c : rows_) {
    if (c.words == command.words) {
      c = std::move(command);
      return;
    }
  }
  rows_.push_back(std::move(command));
}

namespace {

const accel::ControlCommand* longestMatch(const std::vector<accel::ControlCommand>& rows,
                                          const std::vector<std::string>& args) {
  const accel::ControlCommand* best = nullptr;
  for (const auto& c : rows) {
    if (accel::commandStartsWith(args, c.words) &&
        (best == nullptr || c.words.size() > best->words.size())) {
      best = &c;
    }
  }
  return best;
}

}  // namespace

void CommandTable::dispatch(const std::vector<std::string>& args,
                            accel::ControlCommand::Reply reply) const {
  const accel::ControlCommand* best = longestMatch(rows_, args);
  if (best != nullptr && best->deferred) {
    best->deferred(args, std::move(reply));
    return;
  }
  reply(dispatch(args));
}

nlohmann::json CommandTable::dispatch(const std::vector<std::string>& args) const {
  const accel::ControlCommand* best = longestMatch(rows_, args);
  if (best != nullptr && best->handler) {
    return best->handler(args);
  }
  if (best != nullptr) {
    return {{"ok", false}, {"error", "'" + best->help + "' answers later; ask the control socket"}};
  }
  std::string help;
  for (const auto& c : rows_) {
    help += (help.empty() ? "" : ", ") + c.help;
  }
  return {{"ok", false}, {"error", "unknown command; try: " + help}};
}

}  // namespace bh::proxy
