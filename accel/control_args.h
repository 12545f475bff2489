#pragma once

// A control-socket command is its words (bhctl's arguments): `show statistics accelerator
// mapi` and the like. The box and the accelerators match them by leading words.

#include <initializer_list>
#include <string>
#include <vector>

namespace bh::accel {

/// `args` begins with `words`.
inline bool commandStartsWith(const std::vector<std::string>& args,
                              std::initializer_list<const char*> words) {
  if (args.size() < words.size()) {
    return false;
  }
  size_t i = 0;
  for (const char* w : words) {
    if (args[i++] != w) {
      return false;
    }
  }
  return true;
}

/// The same with the words as data (a command table's row, accel::ControlCommand).
inline bool commandStartsWith(const std::vector<std::string>& args,
                              const std::vector<std::string>& words) {
  if (args.size() < words.size()) {
    return false;
  }
  for (size_t i = 0; i < words.size(); ++i) {
    if (args[i] != words[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace bh::accel
