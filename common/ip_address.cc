#include "common/ip_address.h"

#include <charconv>
#include <vector>

namespace bh {
namespace {

std::optional<std::array<uint8_t, 4>> parseDotted(std::string_view text) {
  std::array<uint8_t, 4> out{};
  size_t part = 0;
  size_t pos = 0;
  while (true) {
    size_t end = text.find('.', pos);
    std::string_view digits = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    // No empty parts, no signs, no leading zeros (which some libcs read as octal).
    if (part == 4 || digits.empty() || digits.size() > 3 ||
        (digits.size() > 1 && digits[0] == '0')) {
      return std::nullopt;
    }
    unsigned value = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') {
        return std::nullopt;
      }
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 255) {
      return std::nullopt;
    }
    out[part++] = static_cast<uint8_t>(value);
    if (end == std::string_view::npos) {
      break;
    }
    pos = end + 1;
  }
  if (part != 4) {
    return std::nullopt;
  }
  return out;
}

int hexDigit(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Parses colon-separated groups (one side of "::"); an IPv4 tail is allowed on the last group
// when `allowV4Tail`. Each group appends two bytes, the tail four.
bool parseGroups(std::string_view text, bool allowV4Tail, std::vector<uint8_t>& out) {
  if (text.empty()) {
    return true;
  }
  size_t pos = 0;
  while (true) {
    size_t end = text.find(':', pos);
    std::string_view group = text.substr(pos, end == std::string_view::npos ? end : end - pos);
    bool last = end == std::string_view::npos;
    if (last && allowV4Tail && group.find('.') != std::string_view::npos) {
      auto v4 = parseDotted(group);
      if (!v4) {
        return false;
      }
      out.insert(out.end(), v4->begin(), v4->end());
      return true;
    }
    if (group.empty() || group.size() > 4) {
      return false;
    }
    unsigned value = 0;
    for (char c : group) {
      int d = hexDigit(c);
      if (d < 0) {
        return false;
      }
      value = value * 16 + static_cast<unsigned>(d);
    }
    out.push_back(static_cast<uint8_t>(value >> 8));
    out.push_back(static_cast<uint8_t>(value));
    if (last) {
      return true;
    }
    pos = end + 1;
  }
}

std::optional<std::array<uint8_t, 16>> parseV6(std::string_view text) {
  std::vector<uint8_t> head;
  std::vector<uint8_t> tail;
  size_t gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (!parseGroups(text, true, head) || head.size() != 16) {
      return std::nullopt;
    }
  } else {
    std::string_view left = text.substr(0, gap);
    std::string_view right = text.substr(gap + 2);
    if (right.find("::") != std::string_view::npos) {
      return std::nullopt;
    }
    if (!parseGroups(left, false, head) || !parseGroups(right, true, tail)) {
      return std::nullopt;
    }
    // "::" stands for at least one zero group.
    if (head.size() + tail.size() > 14) {
      return std::nullopt;
    }
  }
  std::array<uint8_t, 16> out{};
  std::copy(head.begin(), head.end(), out.begin());
  std::copy(tail.begin(), tail.end(), out.end() - static_cast<std::ptrdiff_t>(tail.size()));
  return out;
}

}  // namespace

IpAddress IpAddress::v4(uint32_t hostOrder) {
  return v4(std::array<uint8_t, 4>{
      static_cast<uint8_t>(hostOrder >> 24), static_cast<uint8_t>(hostOrder >> 16),
      static_cast<uint8_t>(hostOrder >> 8), static_cast<uint8_t>(hostOrder)});
}

IpAddress IpAddress::v4(const std::array<uint8_t, 4>& bytes) {
  IpAddress a;
  a.family_ = IpFamily::V4;
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = IpFamily::V6;
  a.bytes_ = bytes;
  return a;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    auto v4bytes = parseDotted(text);
    if (!v4bytes) {
      return std::nullopt;
    }
    return v4(*v4bytes);
  }
  auto v6bytes = parseV6(text);
  if (!v6bytes) {
    return std::nullopt;
  }
  return v6(*v6bytes);
}

IpAddress IpAddress::unmapped() const {
  if (isV4()) {
    return *this;
  }
  for (int i = 0; i < 10; ++i) {
    if (bytes_[i] != 0) {
      return *this;
    }
  }
  if (bytes_[10] != 0xff || bytes_[11] != 0xff) {
    return *this;
  }
  return v4(std::array<uint8_t, 4>{bytes_[12], bytes_[13], bytes_[14], bytes_[15]});
}

std::string IpAddress::toString() const {
  if (isV4()) {
    return std::to_string(bytes_[0]) + "." + std::to_string(bytes_[1]) + "." +
           std::to_string(bytes_[2]) + "." + std::to_string(bytes_[3]);
  }
  std::array<unsigned, 8> groups{};
  for (size_t i = 0; i < 8; ++i) {
    groups[i] = static_cast<unsigned>(bytes_[2 * i]) << 8 | bytes_[2 * i + 1];
  }
  // RFC 5952 4.2: compress the first longest run of two or more zero groups.
  int bestStart = -1;
  int bestLen = 1;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) {
      ++j;
    }
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  std::string out;
  char buf[8];
  for (int i = 0; i < 8; ++i) {
    if (i == bestStart) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') {
      out += ':';
    }
    auto r = std::to_chars(buf, buf + sizeof(buf), groups[i], 16);
    out.append(buf, r.ptr);
  }
  return out;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text, std::string* why) {
  auto fail = [why](std::string reason) -> std::optional<IpPrefix> {
    if (why != nullptr) {
      *why = std::move(reason);
    }
    return std::nullopt;
  };
  size_t slash = text.find('/');
  std::string_view addrText = text.substr(0, slash);
  auto addr = IpAddress::parse(addrText);
  if (!addr) {
    return fail("'" + std::string(addrText) + "' is not an IPv4 or IPv6 address");
  }
  int length = addr->bitLength();
  if (slash != std::string_view::npos) {
    std::string_view lenText = text.substr(slash + 1);
    int parsed = -1;
    auto r = std::from_chars(lenText.data(), lenText.data() + lenText.size(), parsed);
    if (lenText.empty() || r.ec != std::errc() || r.ptr != lenText.data() + lenText.size() ||
        parsed < 0 || parsed > addr->bitLength()) {
      return fail("prefix length '" + std::string(lenText) + "' is not in 0-" +
                  std::to_string(addr->bitLength()));
    }
    length = parsed;
  }
  IpPrefix p(*addr, length);
  // Host bits set usually means a typo in the length; refuse rather than guess.
  auto bytes = addr->bytes();
  for (int bit = length; bit < addr->bitLength(); ++bit) {
    bytes[bit / 8] &= static_cast<uint8_t>(~(0x80u >> (bit % 8)));
  }
  IpAddress network =
      addr->isV4() ? IpAddress::v4(std::array<uint8_t, 4>{bytes[0], bytes[1], bytes[2], bytes[3]})
                   : IpAddress::v6(bytes);
  if (network != *addr) {
    return fail("host bits set in '" + std::string(text) + "' (did you mean " +
                IpPrefix(network, length).toString() + "?)");
  }
  return p;
}

bool IpPrefix::contains(const IpAddress& addr) const {
  if (addr.family() != network_.family()) {
    return false;
  }
  const auto& a = addr.bytes();
  const auto& n = network_.bytes();
  int full = length_ / 8;
  for (int i = 0; i < full; ++i) {
    if (a[i] != n[i]) {
      return false;
    }
  }
  int rest = length_ % 8;
  if (rest == 0) {
    return true;
  }
  auto mask = static_cast<uint8_t>(0xff00u >> rest);
  return (a[full] & mask) == (n[full] & mask);
}

std::string IpPrefix::toString() const {
  return network_.toString() + "/" + std::to_string(length_);
}

std::string IpPrefix::toWildcardString() const {
  if (!network_.isV4()) {
    return toString();
  }
  uint32_t wildcard =
      length_ == 0 ? 0xffffffffu : (length_ == 32 ? 0u : (1u << (32 - length_)) - 1);
  return network_.toString() + " " + IpAddress::v4(wildcard).toString();
}

}  // namespace bh
