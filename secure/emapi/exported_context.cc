#include "secure/emapi/exported_context.h"

#include <array>
#include <optional>

#include "secure/encryption_service/service_key.h"

namespace bh::secure::emapi {

namespace {

using State = KerberosDceSession::State;

constexpr std::array<uint8_t, 4> kMagic = {'B', 'H', 'K', 'C'};
constexpr size_t kFrameHeader = kMagic.size() + 1 + 2;
/// state, auth_type, auth_level, auth_context_id, flags, four numbers.
constexpr size_t kFixedBody = 1 + 1 + 1 + 4 + 1 + 4 * 8;
/// enctype, length.
constexpr size_t kKeyHeader = 2 + 1;

constexpr uint8_t kFlagHeaderSigning = 0x01;
constexpr uint8_t kFlagInitiatorSubkey = 0x02;
constexpr uint8_t kFlagAcceptorSubkey = 0x04;
constexpr uint8_t kKnownFlags = kFlagHeaderSigning | kFlagInitiatorSubkey | kFlagAcceptorSubkey;

std::optional<uint8_t> stateCode(State s) {
  switch (s) {
    case State::AwaitingThirdLeg:
      return 1;
    case State::AwaitingAlterContextResp:
      return 2;
    case State::Established:
      return 3;
    default:
      return std::nullopt;
  }
}

std::optional<State> stateOf(uint8_t code) {
  switch (code) {
    case 1:
      return State::AwaitingThirdLeg;
    case 2:
      return State::AwaitingAlterContextResp;
    case 3:
      return State::Established;
    default:
      return std::nullopt;
  }
}

/// The key size of each enctype the layer seals with (RFC 3962 3, RFC 4757 2); 0 for others.
size_t keySize(int32_t enctype) {
  switch (enctype) {
    case encryption_service::kEtypeAes128:
    case encryption_service::kEtypeRc4:
      return 16;
    case encryption_service::kEtypeAes256:
      return 32;
    default:
      return 0;
  }
}

bool exportable(const KeyBlock& k) {
  return keySize(k.enctype) != 0 && k.value.size() == keySize(k.enctype);
}

void writeKey(ByteWriter& w, const KeyBlock& k) {
  w.u16be(static_cast<uint16_t>(k.enctype));
  w.u8(static_cast<uint8_t>(k.value.size()));
  w.bytes(k.value);
}

ParseResult readKey(ByteReader& r, KeyBlock& out) {
  if (r.remaining() < kKeyHeader) {
    return ParseResult::fail("exported context: a key cut short");
  }
  const int32_t enctype = r.u16be();
  const size_t len = r.u8();
  if (len > kMaxExportedKey) {
    return ParseResult::fail("exported context: a key over " + std::to_string(kMaxExportedKey) +
                             " bytes");
  }
  if (keySize(enctype) == 0) {
    return ParseResult::fail("exported context: " + encryption_service::etypeName(enctype) +
                             " is not an enctype this layer seals with");
  }
  if (len != keySize(enctype)) {
    return ParseResult::fail("exported context: a key of " + std::to_string(len) + " bytes for " +
                             encryption_service::etypeName(enctype));
  }
  if (r.remaining() < len) {
    return ParseResult::fail("exported context: a key cut short");
  }
  ByteSpan v = r.take(len);
  out = KeyBlock(enctype, Bytes(v.begin(), v.end()));
  return ParseResult::done(kKeyHeader + len);
}

}  // namespace

Bytes encodeExportedContext(const KerberosDceSession::Context& ctx) {
  const std::optional<uint8_t> state = stateCode(ctx.state);
  if (!state || (ctx.authType != 9 && ctx.authType != 16) ||
      (ctx.authLevel != 5 && ctx.authLevel != 6) ||
      (ctx.state == State::AwaitingAlterContextResp && ctx.authType != 9) ||
      !exportable(ctx.keys.sessionKey) ||
      (ctx.keys.initiatorSubkey && !exportable(*ctx.keys.initiatorSubkey)) ||
      (ctx.keys.acceptorSubkey && !exportable(*ctx.keys.acceptorSubkey))) {
    return {};
  }
  size_t body = kFixedBody + kKeyHeader + ctx.keys.sessionKey.value.size();
  uint8_t flags = ctx.keys.headerSigning ? kFlagHeaderSigning : 0;
  if (ctx.keys.initiatorSubkey) {
    flags |= kFlagInitiatorSubkey;
    body += kKeyHeader + ctx.keys.initiatorSubkey->value.size();
  }
  if (ctx.keys.acceptorSubkey) {
    flags |= kFlagAcceptorSubkey;
    body += kKeyHeader + ctx.keys.acceptorSubkey->value.size();
  }
  Bytes out;
  // Sized once: a vector that grew would leave copies of the keys in memory it freed.
  out.reserve(kFrameHeader + body);
  ByteWriter w(out, Endian::Big);
  w.bytes(kMagic);
  w.u8(kExportedContextVersion);
  w.u16be(static_cast<uint16_t>(body));
  w.u8(*state);
  w.u8(ctx.authType);
  w.u8(ctx.authLevel);
  w.u32be(ctx.authContextId);
  w.u8(flags);
  w.u64(ctx.initiator.received);
  w.u64(ctx.initiator.sent);
  w.u64(ctx.acceptor.received);
  w.u64(ctx.acceptor.sent);
  writeKey(w, ctx.keys.sessionKey);
  if (ctx.keys.initiatorSubkey) {
    writeKey(w, *ctx.keys.initiatorSubkey);
  }
  if (ctx.keys.acceptorSubkey) {
    writeKey(w, *ctx.keys.acceptorSubkey);
  }
  return out;
}

ParseResult decodeExportedContext(ByteSpan data, KerberosDceSession::Context& out) {
  // Frame first: magic, version and the body's length against the cap, before anything else.
  for (size_t i = 0; i < kMagic.size() && i < data.size(); ++i) {
    if (data[i] != kMagic[i]) {
      return ParseResult::fail("not an exported Kerberos context");
    }
  }
  if (data.size() < kFrameHeader) {
    return ParseResult::needMore(kFrameHeader);
  }
  if (data[kMagic.size()] != kExportedContextVersion) {
    return ParseResult::fail("exported context version " + std::to_string(data[kMagic.size()]) +
                             " is not known");
  }
  const size_t bodyLen = static_cast<size_t>(data[5]) << 8 | data[6];
  if (bodyLen > kMaxExportedContext - kFrameHeader) {
    return ParseResult::fail("exported context over " + std::to_string(kMaxExportedContext) +
                             " bytes");
  }
  if (bodyLen < kFixedBody + kKeyHeader) {
    return ParseResult::fail("exported context shorter than its fixed part");
  }
  const size_t total = kFrameHeader + bodyLen;
  if (data.size() < total) {
    return ParseResult::needMore(total);
  }
  ByteReader r(data.subspan(kFrameHeader, bodyLen), Endian::Big);
  KerberosDceSession::Context c;
  const std::optional<State> state = stateOf(r.u8());
  c.authType = r.u8();
  c.authLevel = r.u8();
  c.authContextId = r.u32be();
  const uint8_t flags = r.u8();
  c.initiator.received = r.u64();
  c.initiator.sent = r.u64();
  c.acceptor.received = r.u64();
  c.acceptor.sent = r.u64();
  if (!state) {
    return ParseResult::fail("exported context: not a keyed session's state");
  }
  c.state = *state;
  if (c.authType != 9 && c.authType != 16) {
    return ParseResult::fail("exported context: auth_type " + std::to_string(c.authType) +
                             " is not Kerberos");
  }
  if (c.authLevel != 5 && c.authLevel != 6) {
    return ParseResult::fail("exported context: auth_level " + std::to_string(c.authLevel) +
                             " is neither integrity nor privacy");
  }
  if (c.state == State::AwaitingAlterContextResp && c.authType != 9) {
    return ParseResult::fail("exported context: alter_context_resp awaited without SPNEGO");
  }
  if ((flags & ~kKnownFlags) != 0) {
    return ParseResult::fail("exported context: unknown flags");
  }
  c.keys.headerSigning = (flags & kFlagHeaderSigning) != 0;
  ParseResult k = readKey(r, c.keys.sessionKey);
  if (!k.ok()) {
    return k;
  }
  if ((flags & kFlagInitiatorSubkey) != 0) {
    c.keys.initiatorSubkey.emplace();
    if (k = readKey(r, *c.keys.initiatorSubkey); !k.ok()) {
      return k;
    }
  }
  if ((flags & kFlagAcceptorSubkey) != 0) {
    c.keys.acceptorSubkey.emplace();
    if (k = readKey(r, *c.keys.acceptorSubkey); !k.ok()) {
      return k;
    }
  }
  if (!r.ok() || r.remaining() != 0) {
    return ParseResult::fail("exported context: bytes after its keys");
  }
  out = std::move(c);
  return ParseResult::done(total);
}

}  // namespace bh::secure::emapi
