#pragma once

// A control-socket command is its words (bhctl's arguments): `show statistics accelerator
// mapi` and the like. The daemon and the debug switches match them by leading words.

#include <initializer_list>
#include <string>
#include <vector>

namespace bh::proxy {

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

} // namespace bh::proxy
