#pragma once

// A WCCPv2 message (draft-wilson-wccp-v2-12-oct-2001, 5.5): an 8-byte header (type, version
// 0x0200, length of what follows) and its components, each a type, a length and a body (5.6).
// decodeMessage reads one UDP datagram; encodeMessage writes what it reads, byte for byte, for
// every message decodeMessage accepts. Datagrams come from anyone on the LAN: every count is
// checked against the bytes present and against the caps below before anything is allocated.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "redirect/wccp/wccp_components.h"

namespace bh::redirect::wccp {

/// UDP port of WCCPv2 (5.1).
inline constexpr uint16_t kWccpPort = 2048;
/// 5.5: major version 2, minor 0.
inline constexpr uint16_t kWccpVersion = 0x0200;
inline constexpr size_t kHeaderBytes = 8;

/// 5.5 message types.
enum class MessageType : uint32_t {
  HereIAm = 10,
  ISeeYou = 11,
  RedirectAssign = 12,
  RemovalQuery = 13,
};
const char* messageTypeName(MessageType type);

/// 5.6 component types.
enum class ComponentType : uint16_t {
  SecurityInfo = 0,
  ServiceInfo = 1,
  RouterIdInfo = 2,
  WebCacheIdInfo = 3,
  RouterViewInfo = 4,
  WebCacheViewInfo = 5,
  RedirectAssignment = 6,
  QueryInfo = 7,
  CapabilityInfo = 8,
  AltAssignment = 13,
  AssignMap = 14,
  CommandExtension = 15,
};

/// Caps on what one message may carry. The draft allows 32 routers and 32 web caches per
/// service group; the others bound a datagram's worth of sets and values.
struct MessageLimits {
  size_t maxComponents = 16;
  size_t maxRouters = 32;
  size_t maxWebCaches = 32;
  size_t maxMaskValueSets = 16;
  size_t maxValuesPerSet = 256;
  size_t maxCapabilities = 16;
};

struct Message {
  MessageType type = MessageType::HereIAm;
  uint16_t version = kWccpVersion;
  std::vector<Component> components;

  /// The first component of type T, or nullptr.
  template <class T>
  const T* find() const {
    for (const auto& c : components) {
      if (const T* p = std::get_if<T>(&c)) {
        return p;
      }
    }
    return nullptr;
  }
  template <class T>
  T* find() {
    return const_cast<T*>(static_cast<const Message*>(this)->find<T>());
  }
  bool operator==(const Message&) const = default;
};

/// Decodes one datagram into `out`. Done consumes the whole header-declared message (bytes after
/// it are an error: a datagram holds one message); Error names what is wrong. Never NeedMore: a
/// datagram is whole or it is truncated.
ParseResult decodeMessage(ByteSpan datagram, Message& out, const MessageLimits& limits = {});

/// Encodes `message` (the header's length is computed). Components are written in order.
Bytes encodeMessage(const Message& message);

/// The byte offset of the MD5 digest inside an encoded message whose first component is an MD5
/// Security Info (the layout every WCCPv2 message has, 5.6.1), or 0 if there is none.
size_t md5DigestOffset(ByteSpan encoded);

}  // namespace bh::redirect::wccp
