#include "policy/did_you_mean.h"

#include <doctest/doctest.h>

using namespace bh::policy;

TEST_CASE("edit distance counts insertions, deletions, substitutions, transpositions") {
  CHECK(editDistance("", "") == 0);
  CHECK(editDistance("policy", "policy") == 0);
  CHECK(editDistance("polcy", "policy") == 1);
  CHECK(editDistance("policyy", "policy") == 1);
  CHECK(editDistance("policx", "policy") == 1);
  CHECK(editDistance("mpai", "mapi") == 1);
  CHECK(editDistance("abc", "") == 3);
  CHECK(editDistance("kitten", "sitting") == 3);
}

TEST_CASE("closestMatch suggests only plausible typos") {
  std::vector<std::string> keys = {"device", "peering", "policy", "limits"};
  CHECK(closestMatch("polcy", keys) == "policy");
  CHECK(closestMatch("Limits", keys) == "limits");
  CHECK(closestMatch("xyzzy", keys).empty());
  CHECK(suggestionText("xyzzy", keys) == " (expected one of: device, peering, policy, limits)");
  CHECK(suggestionText("devise", keys) == " (did you mean 'device'?)");
  CHECK(closestMatch(std::string(1000, 'a'), keys).empty());
}
