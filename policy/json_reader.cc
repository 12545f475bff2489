#include "policy/json_reader.h"

#include <algorithm>
#include <cmath>

#include "policy/config.h"
#include "policy/did_you_mean.h"

namespace bh::policy {

using nlohmann::json;

std::string pointerJoin(const std::string& base, std::string_view token) {
  std::string out = base;
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string pointerJoin(const std::string& base, size_t index) {
  return base + "/" + std::to_string(index);
}

std::string jsonTypeName(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "object";
    case json::value_t::array:
      return "array";
    case json::value_t::string:
      return "string";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return "integer";
    case json::value_t::number_float:
      return "number";
    default:
      return "value";
  }
}

ObjectReader::ObjectReader(const json& j, std::string path, ConfigErrors& errors)
    : path_(std::move(path)), errors_(errors) {
  if (j.is_object()) {
    object_ = &j;
  } else {
    errors_.push_back({path_, "expected object, got " + jsonTypeName(j)});
  }
}

namespace {

SchemaObserver& schemaObserver() {
  static SchemaObserver observer;
  return observer;
}

}  // namespace

void setSchemaObserver(SchemaObserver observer) {
  schemaObserver() = std::move(observer);
}

const json* ObjectReader::field(std::string_view key) {
  known_.emplace_back(key);
  if (schemaObserver()) {
    schemaObserver()(path(key));
  }
  if (object_ == nullptr) {
    return nullptr;
  }
  auto it = object_->find(key);
  return it == object_->end() ? nullptr : &*it;
}

const json* ObjectReader::required(std::string_view key) {
  const json* j = field(key);
  if (j == nullptr && object_ != nullptr) {
    errors_.push_back({path_, "missing required key '" + std::string(key) + "'"});
  }
  return j;
}

void ObjectReader::error(std::string_view key, std::string message) {
  errors_.push_back({path(key), std::move(message)});
}

void ObjectReader::string(std::string_view key, std::string& out, bool isRequired) {
  const json* j = isRequired ? required(key) : field(key);
  if (j == nullptr) {
    return;
  }
  if (!j->is_string()) {
    error(key, "expected string, got " + jsonTypeName(*j));
    return;
  }
  out = j->get<std::string>();
}

void ObjectReader::boolean(std::string_view key, bool& out) {
  const json* j = field(key);
  if (j == nullptr) {
    return;
  }
  if (!j->is_boolean()) {
    error(key, "expected boolean, got " + jsonTypeName(*j));
    return;
  }
  out = j->get<bool>();
}

void ObjectReader::integer(std::string_view key, int64_t& out, int64_t min, int64_t max) {
  const json* j = field(key);
  if (j == nullptr) {
    return;
  }
  std::string range = " (allowed " + std::to_string(min) + "-" + std::to_string(max) + ")";
  if (j->is_number_unsigned()) {
    uint64_t v = j->get<uint64_t>();
    if (v > static_cast<uint64_t>(max) || static_cast<int64_t>(v) < min) {
      error(key, std::to_string(v) + " is out of range" + range);
      return;
    }
    out = static_cast<int64_t>(v);
    return;
  }
  if (!j->is_number_integer()) {
    error(key, "expected integer, got " + jsonTypeName(*j));
    return;
  }
  int64_t v = j->get<int64_t>();
  if (v < min || v > max) {
    error(key, std::to_string(v) + " is out of range" + range);
    return;
  }
  out = v;
}

void ObjectReader::number(std::string_view key, double& out, double min, double max) {
  const json* j = field(key);
  if (j == nullptr) {
    return;
  }
  if (!j->is_number()) {
    error(key, "expected number, got " + jsonTypeName(*j));
    return;
  }
  double v = j->get<double>();
  if (!std::isfinite(v) || v < min || v > max) {
    error(key, j->dump() + " is out of range (allowed " + json(min).dump() + "-" +
                   json(max).dump() + ")");
    return;
  }
  out = v;
}

void ObjectReader::finish() {
  if (object_ == nullptr) {
    return;
  }
  for (const auto& [key, value] : object_->items()) {
    if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
      errors_.push_back(
          {pointerJoin(path_, key), "unknown key '" + key + "'" + suggestionText(key, known_)});
    }
  }
}

bool expectString(const json& j, const std::string& path, ConfigErrors& errors) {
  if (!j.is_string()) {
    errors.push_back({path, "expected string, got " + jsonTypeName(j)});
    return false;
  }
  return true;
}

bool expectArray(const json& j, const std::string& path, ConfigErrors& errors) {
  if (!j.is_array()) {
    errors.push_back({path, "expected array, got " + jsonTypeName(j)});
    return false;
  }
  return true;
}

bool checkName(const std::string& name, const std::string& path, const std::string& what,
               ConfigErrors& errors) {
  if (name.empty() || name.size() > ConfigCaps::kMaxNameLength) {
    errors.push_back(
        {path, what + " must be 1-" + std::to_string(ConfigCaps::kMaxNameLength) + " characters"});
    return false;
  }
  for (char c : name) {
    if (c <= ' ' || c > '~') {
      errors.push_back({path, what + " '" + name + "' must be printable ASCII without spaces"});
      return false;
    }
  }
  return true;
}

}  // namespace bh::policy
