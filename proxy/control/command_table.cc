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

nlohmann::json CommandTable::dispatch(const std::vector<std::string>& args) const {
  const accel::ControlCommand* best = nullptr;
  for (const auto& c : rows_) {
    if (accel::commandStartsWith(args, c.words) &&
        (best == nullptr || c.words.size() > best->words.size())) {
      best = &c;
    }
  }
  if (best != nullptr) {
    return best->handler(args);
  }
  std::string help;
  for (const auto& c : rows_) {
    help += (help.empty() ? "" : ", ") + c.help;
  }
  return {{"ok", false}, {"error", "unknown command; try: " + help}};
}

}  // namespace bh::proxy
