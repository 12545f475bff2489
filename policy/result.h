#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bh::policy {

/// One configuration problem: where (an RFC 6901 JSON pointer into the document, "" for the whole
/// document) and why. Operators fix files from these, so both parts must be precise.
struct ConfigError {
  std::string path;
  std::string message;

  /// "<path>: <message>", or just the message for the document root.
  std::string toString() const { return path.empty() ? message : path + ": " + message; }
  bool operator==(const ConfigError&) const = default;
};

using ConfigErrors = std::vector<ConfigError>;

/// A value or every error that prevented it. Loading collects all errors rather than stopping at
/// the first, so an operator fixes a file in one pass.
template <class T>
class Result {
 public:
  static Result success(T value) {
    Result r;
    r.value_.emplace(std::move(value));
    return r;
  }
  static Result failure(ConfigErrors errors) {
    Result r;
    r.errors_ = std::move(errors);
    if (r.errors_.empty()) {
      r.errors_.push_back({"", "unknown error"});
    }
    return r;
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const ConfigErrors& errors() const { return errors_; }

  /// All errors, one per line (what `bhctl reload` prints).
  std::string errorText() const {
    std::string out;
    for (const auto& e : errors_) {
      out += e.toString();
      out += '\n';
    }
    return out;
  }

 private:
  Result() = default;
  std::optional<T> value_;
  ConfigErrors errors_;
};

}  // namespace bh::policy
