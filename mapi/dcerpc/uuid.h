#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/bytes.h"

namespace bh::mapi::dcerpc {

/// A DCE UUID (C706 Appendix A). Held in canonical order, i.e. the order of the string form
/// "a4f1db00-ca47-1067-b31f-00dd010662da"; on the wire its first three fields (time_low,
/// time_mid, time_hi_and_version) follow the PDU's drep byte order (C706 14.2.5, NDR struct of
/// u32, u16, u16, u8[8]), so little-endian peers write "00 db f1 a4 47 ca 67 10 b3 1f ...".
class Uuid {
 public:
  Uuid() = default;
  explicit Uuid(const std::array<uint8_t, 16>& canonical) : bytes_(canonical) {}

  /// Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (either case); nullopt on anything else.
  static std::optional<Uuid> parse(std::string_view text);
  /// Reads the 16-byte wire form using the reader's byte order for the first three fields.
  static Uuid read(ByteReader& r);
  /// Writes the 16-byte wire form using the writer's byte order for the first three fields.
  void write(ByteWriter& w) const;

  /// Lower-case canonical string form.
  std::string toString() const;
  bool isNil() const;
  const std::array<uint8_t, 16>& canonicalBytes() const { return bytes_; }

  auto operator<=>(const Uuid&) const = default;

 private:
  std::array<uint8_t, 16> bytes_{};
};

/// p_syntax_id_t (C706 12.6.3.1): an interface or transfer syntax with its version. On the wire
/// the version is one unsigned32 whose low 16 bits are the major and high 16 bits the minor.
struct SyntaxId {
  Uuid uuid;
  uint16_t versionMajor = 0;
  uint16_t versionMinor = 0;

  static SyntaxId read(ByteReader& r);
  void write(ByteWriter& w) const;
  /// "uuid vMAJOR.MINOR", as Wireshark and the seed's show output print it.
  std::string toString() const;
  bool operator==(const SyntaxId&) const = default;
};

/// Bytes of a p_syntax_id_t on the wire.
inline constexpr size_t kSyntaxIdSize = 20;

}  // namespace bh::mapi::dcerpc
