#include "tcp_options.h"

namespace bh::proxy::codec {
namespace {

/// Options whose length the RFCs fix; any other length is forged or corrupt.
size_t fixedLength(uint8_t kind) {
  switch (static_cast<TcpOptionKind>(kind)) {
    case TcpOptionKind::MaximumSegmentSize:
      return 4;
    case TcpOptionKind::WindowScale:
      return 3;
    case TcpOptionKind::SackPermitted:
      return 2;
    case TcpOptionKind::Timestamps:
      return 10;
    default:
      return 0;
  }
}

TcpOptionWalk fail(std::string why) {
  TcpOptionWalk w;
  w.error = std::move(why);
  return w;
}

}  // namespace

TcpOptionWalk walkTcpOptions(ByteSpan options) {
  TcpOptionWalk w;
  size_t at = 0;
  while (at < options.size()) {
    const uint8_t kind = options[at];
    if (kind == static_cast<uint8_t>(TcpOptionKind::EndOfOptionList)) {
      w.options.push_back({kind, at, 1});
      w.endOfList = at;
      w.ok = true;
      return w;
    }
    if (kind == static_cast<uint8_t>(TcpOptionKind::NoOperation)) {
      w.options.push_back({kind, at, 1});
      ++at;
      continue;
    }
    if (options.size() - at < 2) {
      return fail("option length octet missing");
    }
    const size_t length = options[at + 1];
    if (length < 2) {
      return fail("option length below 2");
    }
    if (length > options.size() - at) {
      return fail("option runs past the header");
    }
    const size_t fixed = fixedLength(kind);
    if (fixed != 0 && length != fixed) {
      return fail("option has the wrong length for its kind");
    }
    w.options.push_back({kind, at, length});
    at += length;
  }
  w.endOfList = options.size();
  w.ok = true;
  return w;
}

}  // namespace bh::proxy::codec
