#pragma once

#include <optional>
#include <string>
#include <utility>

namespace bh::secure {

/// A value or the reason it could not be made. The reason is operator text: it names what failed
/// (a file, an OpenSSL step) and never carries secret bytes (keys, tickets, store contents).
template <class T>
class Outcome {
 public:
  static Outcome success(T value) {
    Outcome o;
    o.value_.emplace(std::move(value));
    return o;
  }
  static Outcome failure(std::string why) {
    Outcome o;
    o.error_ = why.empty() ? "unknown error" : std::move(why);
    return o;
  }

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return *value_; }
  T& value() & { return *value_; }
  T&& value() && { return std::move(*value_); }
  const std::string& error() const { return error_; }

 private:
  Outcome() = default;
  std::optional<T> value_;
  std::string error_;
};

}  // namespace bh::secure
