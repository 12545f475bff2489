#include "mapi/drsuapi/prefix_table.h"

#include <charconv>

namespace bh::mapi::drsuapi {

namespace {

// Dotted form of a BER-encoded OID body (X.690 8.19): base-128 subidentifiers, the first
// holding 40 * arc1 + arc2. nullopt on a truncated subidentifier or one over 2^56.
std::optional<std::string> dotted(ByteSpan ber) {
  if (ber.empty()) {
    return std::nullopt;
  }
  std::string out;
  uint64_t v = 0;
  bool first = true;
  size_t digits = 0;
  for (uint8_t b : ber) {
    if (digits == 0 && b == 0x80) {
      return std::nullopt;  // a subidentifier has no leading zero groups (8.19.2)
    }
    v = (v << 7) | (b & 0x7F);
    if (++digits > 8) {
      return std::nullopt;
    }
    if (b & 0x80) {
      continue;
    }
    if (first) {
      uint64_t a = v < 40 ? 0 : (v < 80 ? 1 : 2);
      out = std::to_string(a) + "." + std::to_string(v - 40 * a);
      first = false;
    } else {
      out += "." + std::to_string(v);
    }
    v = 0;
    digits = 0;
  }
  if (digits != 0) {
    return std::nullopt;
  }
  return out;
}

bool isSchemaInfo(const PrefixTableEntry& e) {
  return !e.prefix.empty() && e.prefix[0] == 0xFF;
}

void appendBase128(Bytes& out, uint64_t v) {
  uint8_t tmp[10];
  size_t n = 0;
  do {
    tmp[n++] = static_cast<uint8_t>(v & 0x7F);
    v >>= 7;
  } while (v != 0);
  while (n > 1) {
    out.push_back(static_cast<uint8_t>(tmp[--n] | 0x80));
  }
  out.push_back(tmp[0]);
}

// BER body of a dotted OID; false on anything but digits and single dots, fewer than two arcs,
// or arcs out of range.
bool berOf(std::string_view oid, Bytes& out, uint64_t& last) {
  std::vector<uint64_t> arcs;
  size_t i = 0;
  while (i <= oid.size()) {
    size_t dot = oid.find('.', i);
    std::string_view part = oid.substr(i, dot == std::string_view::npos ? oid.size() - i : dot - i);
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || p != part.data() + part.size() || v > (1ull << 56)) {
      return false;
    }
    arcs.push_back(v);
    if (dot == std::string_view::npos) {
      break;
    }
    i = dot + 1;
  }
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40)) {
    return false;
  }
  out.clear();
  appendBase128(out, arcs[0] * 40 + arcs[1]);
  for (size_t k = 2; k < arcs.size(); ++k) {
    appendBase128(out, arcs[k]);
  }
  last = arcs.back();
  return true;
}

}  // namespace

std::optional<std::string> oidFromAttid(const PrefixTable& table, uint32_t attrTyp) {
  uint32_t upper = attrTyp >> 16;
  uint32_t lower = attrTyp & 0xFFFF;
  for (const PrefixTableEntry& e : table.entries) {
    if (e.ndx != upper || isSchemaInfo(e)) {
      continue;
    }
    Bytes ber = e.prefix;
    // 5.16.4: a low word under 128 is one byte; otherwise two, after taking away the 0x8000
    // that MakeAttid adds when the last arc was >= 16384 (its top bits are then in the prefix).
    if (lower < 128) {
      ber.push_back(static_cast<uint8_t>(lower));
    } else {
      if (lower >= 32768) {
        lower -= 32768;
      }
      ber.push_back(static_cast<uint8_t>(((lower / 128) % 128) + 128));
      ber.push_back(static_cast<uint8_t>(lower % 128));
    }
    return dotted(ber);
  }
  return std::nullopt;
}

std::optional<uint32_t> attidFromOid(const PrefixTable& table, std::string_view oid) {
  Bytes ber;
  uint64_t last = 0;
  if (!berOf(oid, ber, last) || oid.find('.') == oid.rfind('.')) {
    return std::nullopt;  // 5.16.4 needs a prefix of at least two arcs before the last one
  }
  // The prefix is the encoding without the last arc's final one (< 128) or two bytes.
  size_t cut = last < 128 ? 1 : 2;
  if (ber.size() <= cut || last >= (1u << 21)) {
    return std::nullopt;  // a low word holds at most 14 bits plus the prefix's third byte
  }
  Bytes prefix(ber.begin(), ber.end() - static_cast<std::ptrdiff_t>(cut));
  for (const PrefixTableEntry& e : table.entries) {
    if (!isSchemaInfo(e) && e.prefix == prefix && e.ndx <= 0xFFFF) {
      uint32_t low = static_cast<uint32_t>(last % 16384) + (last >= 16384 ? 32768 : 0);
      return (e.ndx << 16) | low;
    }
  }
  return std::nullopt;
}

}  // namespace bh::mapi::drsuapi
