#pragma once

// The show commands' text tables: the seed's outputs are fixed-width columns, so every renderer
// left-aligns its cells the same way.

#include <cstddef>
#include <string>

namespace bh {

/// `s` followed by spaces up to `width` characters; a longer `s` is kept whole (a table never
/// hides part of a value to keep its columns straight).
inline std::string padRight(std::string s, size_t width) {
  if (s.size() < width) {
    s.append(width - s.size(), ' ');
  }
  return s;
}

}  // namespace bh
