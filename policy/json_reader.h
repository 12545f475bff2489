#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "policy/did_you_mean.h"
#include "policy/result.h"

namespace bh::policy {

/// Appends an RFC 6901 reference token ("~" -> "~0", "/" -> "~1") to a JSON pointer.
std::string pointerJoin(const std::string& base, std::string_view token);
std::string pointerJoin(const std::string& base, size_t index);

/// "string", "number", ... for "expected X, got Y" messages.
std::string jsonTypeName(const nlohmann::json& j);

/// Called with the JSON pointer of every key a reader asks for (present or not), so a tool or a
/// test can list the schema the loader knows (tests/unit/policy/config_keys_doc_test.cc checks
/// bridgehead.json(5) against it). Empty (the default): nothing is called. Not thread-safe:
/// set it only around a load.
using SchemaObserver = std::function<void(const std::string& pointer)>;
void setSchemaObserver(SchemaObserver observer);

/// Reads the members of one JSON object while recording, for every member, whether the schema
/// asked for it; finish() then reports the members nobody asked for as unknown keys with the
/// closest known key. Every problem is appended to the shared error list with its pointer.
class ObjectReader {
 public:
  ObjectReader(const nlohmann::json& j, std::string path, ConfigErrors& errors);

  /// False when the value is not an object (already reported); getters then do nothing.
  bool valid() const { return object_ != nullptr; }
  const std::string& path() const { return path_; }
  std::string path(std::string_view key) const { return pointerJoin(path_, key); }

  /// The member or nullptr; marks `key` as part of the schema either way.
  const nlohmann::json* field(std::string_view key);
  /// As field(), reporting "missing required key" when absent.
  const nlohmann::json* required(std::string_view key);

  /// Typed getters leave `out` unchanged when the key is absent or wrong (and report the latter).
  void string(std::string_view key, std::string& out, bool isRequired = false);
  void boolean(std::string_view key, bool& out);
  void integer(std::string_view key, int64_t& out, int64_t min, int64_t max);
  void number(std::string_view key, double& out, double min, double max);
  template <class T>
  void unsignedInt(std::string_view key, T& out, int64_t min, int64_t max) {
    int64_t v = static_cast<int64_t>(out);
    integer(key, v, min, max);
    out = static_cast<T>(v);
  }

  void error(std::string_view key, std::string message);
  /// Reports unknown keys. Call after every getter.
  void finish();

 private:
  const nlohmann::json* object_ = nullptr;
  std::string path_;
  ConfigErrors& errors_;
  std::vector<std::string> known_;
};

/// Value checks shared by sections, each reporting at `path`.
bool expectString(const nlohmann::json& j, const std::string& path, ConfigErrors& errors);
bool expectArray(const nlohmann::json& j, const std::string& path, ConfigErrors& errors);

/// A name that ends up in space-separated CLI lines (`name Other classifier X action ...`):
/// 1-ConfigCaps::kMaxNameLength printable ASCII characters without spaces; reported at `path`.
bool checkName(const std::string& name, const std::string& path, const std::string& what,
               ConfigErrors& errors);

/// A string member that must be one of `values`' names; an unknown one is reported with the
/// closest name.
template <class E>
void enumField(ObjectReader& r, std::string_view key, E& out,
               const std::vector<std::pair<std::string, E>>& values) {
  const nlohmann::json* j = r.field(key);
  if (j == nullptr) {
    return;
  }
  if (!j->is_string()) {
    r.error(key, "expected string, got " + jsonTypeName(*j));
    return;
  }
  std::string text = j->get<std::string>();
  std::vector<std::string> names;
  for (const auto& [name, value] : values) {
    if (name == text) {
      out = value;
      return;
    }
    names.push_back(name);
  }
  r.error(key, "'" + text + "' is not valid" + suggestionText(text, names));
}

}  // namespace bh::policy
