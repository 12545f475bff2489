#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace bh::policy {

/// Optimal-string-alignment distance (Levenshtein plus adjacent transposition: "mpai" -> "mapi"
/// is one edit, the commonest typo in hand-written config).
size_t editDistance(std::string_view a, std::string_view b);

/// The candidate closest to `word` if it is close enough to be a plausible typo (at most a third
/// of the word, at least 2 edits allowed), else "".
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" or " (expected one of: a, b, c)" for an error message.
std::string suggestionText(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace bh::policy
