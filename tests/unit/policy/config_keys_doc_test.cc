// bridgehead.json(5) documents every key the loader knows (issue 20: one source for the keys;
// policy/README.md points to it). The keys are not listed here by hand: the loader is run over
// a document it fills itself, key by key, with the schema observer (json_reader.h) telling
// which keys each reader asks for, until no new key appears.

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "policy/config_loader.h"
#include "policy/json_reader.h"

using nlohmann::json;
using namespace bh::policy;

namespace {

/// "/classifiers/0/match/src_ip" -> "match.src_ip" (clauses are documented once, as
/// match[].KEY); "/policy/classes/0/name" -> "policy.classes.name".
std::string docName(const std::string& pointer) {
  std::string out;
  std::stringstream in(pointer);
  std::string seg;
  std::vector<std::string> segs;
  while (std::getline(in, seg, '/')) {
    if (!seg.empty() && seg.find_first_not_of("0123456789") != std::string::npos) {
      segs.push_back(seg);
    }
  }
  for (size_t i = 0; i < segs.size(); ++i) {
    if (segs[i] == "match" && i + 1 < segs.size()) {
      return "match." + segs[i + 1];
    }
  }
  for (const auto& s : segs) {
    out += (out.empty() ? "" : ".") + s;
  }
  return out;
}

/// Every key the loader asks for, as docName()s: the leaves, or with `all` the objects too.
std::set<std::string> loaderKeys(bool all = false) {
  json doc = json::object();
  std::set<std::string> seen;
  for (int round = 0; round < 50; ++round) {
    std::set<std::string> asked;
    setSchemaObserver([&asked](const std::string& p) { asked.insert(p); });
    auto r = loadConfig(doc.dump());
    setSchemaObserver(nullptr);
    bool grew = false;
    for (const auto& p : asked) {
      json::json_pointer ptr(p);
      if (!doc.contains(ptr) && doc.contains(ptr.parent_pointer())) {
        doc[ptr] = json::object();
        grew = true;
      }
    }
    // A key that wants an array gets one element to descend into.
    for (const auto& e : r.errors()) {
      if (e.message.find("expected array") != std::string::npos ||
          e.message.find("expected an array") != std::string::npos) {
        json::json_pointer ptr(e.path);
        if (doc.contains(ptr) && doc[ptr].is_object() && doc[ptr].empty()) {
          doc[ptr] = json::array({json::object()});
          grew = true;
        }
      }
    }
    seen.insert(asked.begin(), asked.end());
    if (!grew) {
      break;
    }
  }
  std::set<std::string> leaves;
  for (const auto& p : seen) {
    bool parent = false;
    for (const auto& q : seen) {
      if (q.size() > p.size() && q.compare(0, p.size() + 1, p + "/") == 0) {
        parent = true;
        break;
      }
    }
    if (!parent || all) {
      leaves.insert(docName(p));
    }
  }
  return leaves;
}

/// The keys bridgehead.json(5) documents: every *bold.word* naming a key, "[]" dropped.
std::set<std::string> documentedKeys(const std::string& page) {
  std::set<std::string> keys;
  // Not *bridgehead.json*(5): a page, not a key.
  std::regex bold(R"(\*([a-z_]+(\[\])?(\.[a-z_]+(\[\])?)*)\*(?!\())");
  for (auto it = std::sregex_iterator(page.begin(), page.end(), bold); it != std::sregex_iterator();
       ++it) {
    std::string k = (*it)[1];
    k = std::regex_replace(k, std::regex(R"(\[\])"), "");
    keys.insert(k);
  }
  return keys;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("bridgehead.json(5) documents every key the loader knows") {
  std::string page = readFile(std::string(BH_SOURCE_DIR) + "/docs/man/bridgehead.json.5.scd");
  REQUIRE_FALSE(page.empty());
  std::set<std::string> documented = documentedKeys(page);
  std::set<std::string> known = loaderKeys();
  // The discovery reaches the leaves of every section (a broken discovery lists too few).
  CHECK(known.count("peering.wan_bandwidth_kbit") == 1);
  CHECK(known.count("policy.classes.action") == 1);
  CHECK(known.count("match.dst_port") == 1);
  CHECK(known.count("metrics.listen") == 1);
  CHECK(known.size() > 50);
  for (const auto& k : known) {
    INFO("key " << k << " is not in docs/man/bridgehead.json.5.scd");
    CHECK(documented.count(k) == 1);
  }
}

TEST_CASE("every key bridgehead.json(5) documents is one the loader knows") {
  std::string page = readFile(std::string(BH_SOURCE_DIR) + "/docs/man/bridgehead.json.5.scd");
  std::set<std::string> known = loaderKeys(true);
  for (const auto& k : documentedKeys(page)) {
    // Bold words that are values, not keys (edge, core, inline, ...), have no dot and are not
    // top-level keys; a dotted bold word must be a key.
    if (k.find('.') == std::string::npos) {
      continue;
    }
    INFO("documented key " << k << " is unknown to the loader");
    CHECK(known.count(k) == 1);
  }
}
