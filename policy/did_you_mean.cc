#include "policy/did_you_mean.h"

#include <algorithm>
#include <cctype>

namespace bh::policy {

size_t editDistance(std::string_view a, std::string_view b) {
  // Three rolling rows: transposition looks two rows back.
  std::vector<size_t> twoBack(b.size() + 1);
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) {
    prev[j] = j;
  }
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                            std::tolower(static_cast<unsigned char>(b[j - 1]))
                        ? 0
                        : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], twoBack[j - 2] + 1);
      }
    }
    std::swap(twoBack, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  // Bound the work: names are capped at 64 chars by the loader, but a fuzzed key is not.
  if (word.size() > 256) {
    return "";
  }
  size_t allowed = std::max<size_t>(2, word.size() / 3);
  std::string best;
  size_t bestDistance = allowed + 1;
  for (const auto& c : candidates) {
    size_t d = editDistance(word, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

std::string suggestionText(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best = closestMatch(word, candidates);
  if (!best.empty()) {
    return " (did you mean '" + best + "'?)";
  }
  // A long list helps nobody; it only names small fixed vocabularies (keys, actions).
  if (candidates.empty() || candidates.size() > 16) {
    return "";
  }
  std::string out = " (expected one of: ";
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (i > 0) {
      out += ", ";
    }
    out += candidates[i];
  }
  return out + ")";
}

}  // namespace bh::policy
