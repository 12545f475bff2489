#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace bh::proxy::codec {

/// TCP option kinds this codec needs by name (IANA "TCP Option Kind Numbers").
enum class TcpOptionKind : uint8_t {
  EndOfOptionList = 0,     ///< RFC 9293 3.2
  NoOperation = 1,         ///< RFC 9293 3.2
  MaximumSegmentSize = 2,  ///< RFC 9293 3.2, length 4
  WindowScale = 3,         ///< RFC 7323 2.2, length 3
  SackPermitted = 4,       ///< RFC 2018 2, length 2
  Timestamps = 8,          ///< RFC 7323 3.2, length 10
  Experiment1 = 253,       ///< RFC 4727 / RFC 6994
  Experiment2 = 254,
};

/// One option found in the options area; offsets are relative to the first option byte.
struct TcpOption {
  uint8_t kind = 0;
  size_t offset = 0;
  size_t length = 0;  ///< 1 for EOL and NOP, else the option's Length octet
};

struct TcpOptionWalk {
  bool ok = false;
  std::vector<TcpOption> options;  ///< every option up to and including an EOL, in order
  /// Offset of the End of Option List option, or the options area's size if there is none.
  /// Bytes from here on are padding and carry no option (RFC 9293 3.2).
  size_t endOfList = 0;
  std::string error;
};

/// Walks the options area of a TCP header (the bytes after the 20 fixed bytes). A Length octet
/// below 2, an option running past the area, or a fixed-size option with the wrong length makes
/// the whole area malformed (RFC 9293 3.2 and 3.1 "Options" robustness note): the caller must then
/// leave the packet alone.
TcpOptionWalk walkTcpOptions(ByteSpan options);

}  // namespace bh::proxy::codec
