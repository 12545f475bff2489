#include "policy/port_range.h"

#include <charconv>
#include <vector>

namespace bh::policy {
namespace {

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') {
      ++pos;
    }
    size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    if (end > pos) {
      out.push_back(text.substr(pos, end - pos));
    }
    pos = end;
  }
  return out;
}

std::optional<uint16_t> portNumber(std::string_view text, std::string* why) {
  unsigned long value = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || r.ec == std::errc::invalid_argument || r.ptr != text.data() + text.size()) {
    if (why != nullptr) {
      *why = "'" + std::string(text) + "' is not a port number";
    }
    return std::nullopt;
  }
  if (r.ec == std::errc::result_out_of_range || value > 65535) {
    if (why != nullptr) {
      *why = "port " + std::string(text) + " is out of range 0-65535";
    }
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

std::optional<PortRange> PortRange::parse(std::string_view text, std::string* why) {
  auto w = words(text);
  std::optional<uint16_t> low;
  std::optional<uint16_t> high;
  if (w.size() == 2 && w[0] == "eq") {
    low = portNumber(w[1], why);
    high = low;
  } else if (w.size() == 3 && w[0] == "range") {
    low = portNumber(w[1], why);
    high = low ? portNumber(w[2], why) : std::nullopt;
  } else if (w.size() == 1 && w[0].find('-') != std::string_view::npos && w[0].find('-') > 0) {
    size_t dash = w[0].find('-');
    low = portNumber(w[0].substr(0, dash), why);
    high = low ? portNumber(w[0].substr(dash + 1), why) : std::nullopt;
  } else if (w.size() == 1) {
    low = portNumber(w[0], why);
    high = low;
  } else {
    if (why != nullptr) {
      *why = "'" + std::string(text) + "' is not a port: use \"eq 135\", \"range 1024 65535\"";
    }
    return std::nullopt;
  }
  if (!low || !high) {
    return std::nullopt;
  }
  if (*low > *high) {
    if (why != nullptr) {
      *why =
          "range " + std::to_string(*low) + " " + std::to_string(*high) + " is empty (low > high)";
    }
    return std::nullopt;
  }
  return PortRange{*low, *high};
}

std::string PortRange::toString() const {
  if (low == high) {
    return "eq " + std::to_string(low);
  }
  return "range " + std::to_string(low) + " " + std::to_string(high);
}

}  // namespace bh::policy
