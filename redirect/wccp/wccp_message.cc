#include "redirect/wccp/wccp_message.h"

#include <type_traits>

namespace bh::redirect::wccp {

namespace {

// ---- reading -------------------------------------------------------------------------------

/// Reads one component body; sets `why` on a malformed body.
class BodyReader {
 public:
  BodyReader(ByteSpan body, const MessageLimits& limits, std::string& why)
      : r_(body, Endian::Big), limits_(limits), why_(why) {}

  bool failed() const { return !why_.empty() || !r_.ok(); }
  /// True when the body was read exactly (no bytes left, nothing failed).
  bool finish(const char* what) {
    if (why_.empty() && !r_.ok()) {
      why_ = std::string(what) + ": truncated";
    } else if (why_.empty() && r_.remaining() != 0) {
      why_ = std::string(what) + ": " + std::to_string(r_.remaining()) + " bytes after its end";
    }
    return why_.empty();
  }

  uint32_t u32() { return r_.u32be(); }
  uint16_t u16() { return r_.u16be(); }
  uint8_t u8() { return r_.u8(); }
  ByteSpan take(size_t n) { return r_.take(n); }
  size_t remaining() const { return r_.remaining(); }

  /// A count of `elementBytes`-sized (at least) elements: checked against the cap and against
  /// the bytes left, so a hostile count never sizes an allocation.
  bool count(uint32_t& n, size_t cap, size_t elementBytes, const char* what) {
    n = u32();
    if (!r_.ok()) {
      return fail(std::string(what) + ": truncated count");
    }
    if (n > cap) {
      return fail(std::string(what) + ": " + std::to_string(n) + " exceeds the cap of " +
                  std::to_string(cap));
    }
    if (static_cast<uint64_t>(n) * elementBytes > r_.remaining()) {
      return fail(std::string(what) + ": count " + std::to_string(n) +
                  " larger than the component");
    }
    return true;
  }
  bool fail(std::string why) {
    if (why_.empty()) {
      why_ = std::move(why);
    }
    return false;
  }

  bool addresses(std::vector<uint32_t>& out, size_t cap, const char* what) {
    uint32_t n = 0;
    if (!count(n, cap, 4, what)) {
      return false;
    }
    out.resize(n);
    for (auto& a : out) {
      a = u32();
    }
    return r_.ok();
  }

  bool routerAssignments(std::vector<RouterAssignment>& out) {
    uint32_t n = 0;
    if (!count(n, limits_.maxRouters, 12, "routers")) {
      return false;
    }
    out.resize(n);
    for (auto& a : out) {
      a.routerId = u32();
      a.receiveId = u32();
      a.changeNumber = u32();
    }
    return r_.ok();
  }

  bool maskValueSets(std::vector<MaskValueSet>& out) {
    uint32_t n = 0;
    if (!count(n, limits_.maxMaskValueSets, 16, "mask/value sets")) {
      return false;
    }
    out.resize(n);
    for (auto& s : out) {
      s.mask.srcAddrMask = u32();
      s.mask.dstAddrMask = u32();
      s.mask.srcPortMask = u16();
      s.mask.dstPortMask = u16();
      uint32_t v = 0;
      if (!count(v, limits_.maxValuesPerSet, 16, "value elements")) {
        return false;
      }
      s.values.resize(v);
      for (auto& e : s.values) {
        e.srcAddr = u32();
        e.dstAddr = u32();
        e.srcPort = u16();
        e.dstPort = u16();
        e.webCache = u32();
      }
    }
    return r_.ok();
  }

  /// 5.7.2: 8 bytes, then 32 bytes of buckets or mask/value sets, then weight and status.
  bool webCacheIdentity(WebCacheIdentity& w) {
    w.address = u32();
    w.hashRevision = u16();
    uint16_t flags = u16();
    w.unassigned = (flags & 0x8000) != 0;
    w.maskAssignment = (flags & 0x4000) != 0;
    w.reservedFlags = flags & 0x3fff;
    if (!r_.ok()) {
      return fail("web-cache identity: truncated");
    }
    if (w.maskAssignment) {
      if (!maskValueSets(w.maskSets)) {
        return false;
      }
    } else {
      ByteSpan b = take(32);
      if (!r_.ok()) {
        return fail("web-cache identity: truncated bucket block");
      }
      std::copy(b.begin(), b.end(), w.buckets.begin());
    }
    w.weight = u16();
    w.status = u16();
    return r_.ok() || fail("web-cache identity: truncated");
  }

  bool hashAssignment(HashAssignment& a) {
    a.key.address = u32();
    a.key.changeNumber = u32();
    if (!routerAssignments(a.routers) ||
        !addresses(a.webCaches, limits_.maxWebCaches, "web caches")) {
      return false;
    }
    ByteSpan b = take(256);
    if (!r_.ok()) {
      return fail("assignment: truncated bucket table");
    }
    std::copy(b.begin(), b.end(), a.buckets.begin());
    for (uint8_t bucket : a.buckets) {
      // 5.6.7: a web-cache index 0-31 (bit 7 = A), or 0xFF.
      if (bucket != kUnassignedBucket && (bucket & 0x7f) >= a.webCaches.size()) {
        return fail("assignment: bucket names web-cache index " + std::to_string(bucket & 0x7f) +
                    " of " + std::to_string(a.webCaches.size()));
      }
    }
    return true;
  }

  bool maskAssignment(MaskAssignment& a) {
    a.key.address = u32();
    a.key.changeNumber = u32();
    return routerAssignments(a.routers) && maskValueSets(a.sets);
  }

  const MessageLimits& limits() const { return limits_; }

 private:
  ByteReader r_;
  const MessageLimits& limits_;
  std::string& why_;
};

bool readComponent(uint16_t type, ByteSpan body, const MessageLimits& limits, Component& out,
                   std::string& why) {
  BodyReader r(body, limits, why);
  switch (static_cast<ComponentType>(type)) {
    case ComponentType::SecurityInfo: {
      SecurityInfo s;
      uint32_t option = r.u32();
      if (option == 0) {
        s.option = SecurityOption::None;
      } else if (option == 1) {
        s.option = SecurityOption::Md5;
        ByteSpan d = r.take(16);
        if (!r.failed()) {
          std::copy(d.begin(), d.end(), s.md5.begin());
        }
      } else if (!r.failed()) {
        return r.fail("security: unknown option " + std::to_string(option));
      }
      out = s;
      return r.finish("security");
    }
    case ComponentType::ServiceInfo: {
      ServiceInfo s;
      uint8_t t = r.u8();
      s.id = r.u8();
      s.priority = r.u8();
      s.protocol = r.u8();
      s.flags = r.u32();
      for (auto& p : s.ports) {
        p = r.u16();
      }
      if (!r.failed() && t > 1) {
        return r.fail("service: unknown service type " + std::to_string(t));
      }
      s.type = static_cast<ServiceType>(t);
      out = s;
      return r.finish("service");
    }
    case ComponentType::RouterIdInfo: {
      RouterIdentityInfo i;
      i.router.routerId = r.u32();
      i.router.receiveId = r.u32();
      i.sentTo = r.u32();
      if (!r.addresses(i.receivedFrom, limits.maxWebCaches, "router identity: received from")) {
        return r.finish("router identity");
      }
      out = std::move(i);
      return r.finish("router identity");
    }
    case ComponentType::WebCacheIdInfo: {
      WebCacheIdentity w;
      if (!r.webCacheIdentity(w)) {
        return r.finish("web-cache identity");
      }
      out = std::move(w);
      return r.finish("web-cache identity");
    }
    case ComponentType::RouterViewInfo: {
      RouterViewInfo v;
      v.memberChangeNumber = r.u32();
      v.assignmentKey.address = r.u32();
      v.assignmentKey.changeNumber = r.u32();
      uint32_t caches = 0;
      if (!r.addresses(v.routers, limits.maxRouters, "router view: routers") ||
          !r.count(caches, limits.maxWebCaches, 12, "router view: web caches")) {
        return r.finish("router view");
      }
      v.webCaches.resize(caches);
      for (auto& w : v.webCaches) {
        if (!r.webCacheIdentity(w)) {
          return r.finish("router view");
        }
      }
      out = std::move(v);
      return r.finish("router view");
    }
    case ComponentType::WebCacheViewInfo: {
      WebCacheViewInfo v;
      v.changeNumber = r.u32();
      uint32_t routers = 0;
      if (!r.count(routers, limits.maxRouters, 8, "web-cache view: routers")) {
        return r.finish("web-cache view");
      }
      v.routers.resize(routers);
      for (auto& e : v.routers) {
        e.routerId = r.u32();
        e.receiveId = r.u32();
      }
      if (!r.addresses(v.webCaches, limits.maxWebCaches, "web-cache view: web caches")) {
        return r.finish("web-cache view");
      }
      out = std::move(v);
      return r.finish("web-cache view");
    }
    case ComponentType::RedirectAssignment: {
      HashAssignment a;
      if (!r.hashAssignment(a)) {
        return r.finish("assignment");
      }
      out = std::move(a);
      return r.finish("assignment");
    }
    case ComponentType::QueryInfo: {
      RouterQueryInfo q;
      q.routerId = r.u32();
      q.receiveId = r.u32();
      q.sentTo = r.u32();
      q.target = r.u32();
      out = q;
      return r.finish("router query");
    }
    case ComponentType::CapabilityInfo: {
      CapabilityInfo c;
      while (!r.failed() && r.remaining() > 0) {
        if (c.elements.size() == limits.maxCapabilities) {
          return r.fail("capabilities: more than " + std::to_string(limits.maxCapabilities));
        }
        CapabilityElement e;
        e.type = r.u16();
        uint16_t len = r.u16();
        ByteSpan v = r.take(len);
        if (r.failed()) {
          return r.finish("capabilities");
        }
        e.value.assign(v.begin(), v.end());
        c.elements.push_back(std::move(e));
      }
      out = std::move(c);
      return r.finish("capabilities");
    }
    case ComponentType::AltAssignment: {
      AltAssignment a;
      uint16_t kind = r.u16();
      uint16_t len = r.u16();
      if (r.failed()) {
        return r.finish("alternate assignment");
      }
      if (len != r.remaining()) {
        return r.fail("alternate assignment: body length " + std::to_string(len) + " but " +
                      std::to_string(r.remaining()) + " bytes");
      }
      if (kind == 0) {
        HashAssignment h;
        if (!r.hashAssignment(h)) {
          return r.finish("alternate assignment");
        }
        a.body = std::move(h);
      } else if (kind == 1) {
        MaskAssignment m;
        if (!r.maskAssignment(m)) {
          return r.finish("alternate assignment");
        }
        a.body = std::move(m);
      } else {
        return r.fail("alternate assignment: unknown assignment type " + std::to_string(kind));
      }
      out = std::move(a);
      return r.finish("alternate assignment");
    }
    case ComponentType::AssignMap: {
      AssignmentMap m;
      if (!r.maskValueSets(m.sets)) {
        return r.finish("assignment map");
      }
      out = std::move(m);
      return r.finish("assignment map");
    }
    case ComponentType::CommandExtension: {
      CommandExtension c;
      c.commandType = r.u16();
      uint16_t len = r.u16();
      ByteSpan d = r.take(len);
      if (r.failed()) {
        return r.finish("command extension");
      }
      c.data.assign(d.begin(), d.end());
      out = std::move(c);
      return r.finish("command extension");
    }
  }
  UnknownComponent u;
  u.type = type;
  u.body.assign(body.begin(), body.end());
  out = std::move(u);
  return true;
}

// ---- writing -------------------------------------------------------------------------------

void writeMaskValueSets(ByteWriter& w, const std::vector<MaskValueSet>& sets) {
  w.u32be(static_cast<uint32_t>(sets.size()));
  for (const auto& s : sets) {
    w.u32be(s.mask.srcAddrMask);
    w.u32be(s.mask.dstAddrMask);
    w.u16be(s.mask.srcPortMask);
    w.u16be(s.mask.dstPortMask);
    w.u32be(static_cast<uint32_t>(s.values.size()));
    for (const auto& v : s.values) {
      w.u32be(v.srcAddr);
      w.u32be(v.dstAddr);
      w.u16be(v.srcPort);
      w.u16be(v.dstPort);
      w.u32be(v.webCache);
    }
  }
}

void writeAddresses(ByteWriter& w, const std::vector<uint32_t>& list) {
  w.u32be(static_cast<uint32_t>(list.size()));
  for (uint32_t a : list) {
    w.u32be(a);
  }
}

void writeRouterAssignments(ByteWriter& w, const std::vector<RouterAssignment>& list) {
  w.u32be(static_cast<uint32_t>(list.size()));
  for (const auto& a : list) {
    w.u32be(a.routerId);
    w.u32be(a.receiveId);
    w.u32be(a.changeNumber);
  }
}

void writeWebCacheIdentity(ByteWriter& w, const WebCacheIdentity& c) {
  w.u32be(c.address);
  w.u16be(c.hashRevision);
  w.u16be(static_cast<uint16_t>((c.unassigned ? 0x8000 : 0) | (c.maskAssignment ? 0x4000 : 0) |
                                (c.reservedFlags & 0x3fff)));
  if (c.maskAssignment) {
    writeMaskValueSets(w, c.maskSets);
  } else {
    w.bytes(c.buckets);
  }
  w.u16be(c.weight);
  w.u16be(c.status);
}

void writeHashAssignment(ByteWriter& w, const HashAssignment& a) {
  w.u32be(a.key.address);
  w.u32be(a.key.changeNumber);
  writeRouterAssignments(w, a.routers);
  writeAddresses(w, a.webCaches);
  w.bytes(a.buckets);
}

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;  // clang 14 has no aggregate deduction yet

/// Writes the component's type and body (its length is patched by the caller).
uint16_t writeBody(ByteWriter& w, const Component& component) {
  return std::visit(Overloaded{
                        [&](const SecurityInfo& s) {
                          w.u32be(static_cast<uint32_t>(s.option));
                          if (s.option == SecurityOption::Md5) {
                            w.bytes(s.md5);
                          }
                          return uint16_t(ComponentType::SecurityInfo);
                        },
                        [&](const ServiceInfo& s) {
                          w.u8(static_cast<uint8_t>(s.type));
                          w.u8(s.id);
                          w.u8(s.priority);
                          w.u8(s.protocol);
                          w.u32be(s.flags);
                          for (uint16_t p : s.ports) {
                            w.u16be(p);
                          }
                          return uint16_t(ComponentType::ServiceInfo);
                        },
                        [&](const RouterIdentityInfo& i) {
                          w.u32be(i.router.routerId);
                          w.u32be(i.router.receiveId);
                          w.u32be(i.sentTo);
                          writeAddresses(w, i.receivedFrom);
                          return uint16_t(ComponentType::RouterIdInfo);
                        },
                        [&](const WebCacheIdentity& c) {
                          writeWebCacheIdentity(w, c);
                          return uint16_t(ComponentType::WebCacheIdInfo);
                        },
                        [&](const RouterViewInfo& v) {
                          w.u32be(v.memberChangeNumber);
                          w.u32be(v.assignmentKey.address);
                          w.u32be(v.assignmentKey.changeNumber);
                          writeAddresses(w, v.routers);
                          w.u32be(static_cast<uint32_t>(v.webCaches.size()));
                          for (const auto& c : v.webCaches) {
                            writeWebCacheIdentity(w, c);
                          }
                          return uint16_t(ComponentType::RouterViewInfo);
                        },
                        [&](const WebCacheViewInfo& v) {
                          w.u32be(v.changeNumber);
                          w.u32be(static_cast<uint32_t>(v.routers.size()));
                          for (const auto& r : v.routers) {
                            w.u32be(r.routerId);
                            w.u32be(r.receiveId);
                          }
                          writeAddresses(w, v.webCaches);
                          return uint16_t(ComponentType::WebCacheViewInfo);
                        },
                        [&](const HashAssignment& a) {
                          writeHashAssignment(w, a);
                          return uint16_t(ComponentType::RedirectAssignment);
                        },
                        [&](const RouterQueryInfo& q) {
                          w.u32be(q.routerId);
                          w.u32be(q.receiveId);
                          w.u32be(q.sentTo);
                          w.u32be(q.target);
                          return uint16_t(ComponentType::QueryInfo);
                        },
                        [&](const CapabilityInfo& c) {
                          for (const auto& e : c.elements) {
                            w.u16be(e.type);
                            w.u16be(static_cast<uint16_t>(e.value.size()));
                            w.bytes(e.value);
                          }
                          return uint16_t(ComponentType::CapabilityInfo);
                        },
                        [&](const AltAssignment& a) {
                          const bool mask = std::holds_alternative<MaskAssignment>(a.body);
                          w.u16be(mask ? 1 : 0);
                          const size_t lengthAt = w.size();
                          w.u16be(0);
                          if (mask) {
                            const auto& m = std::get<MaskAssignment>(a.body);
                            w.u32be(m.key.address);
                            w.u32be(m.key.changeNumber);
                            writeRouterAssignments(w, m.routers);
                            writeMaskValueSets(w, m.sets);
                          } else {
                            writeHashAssignment(w, std::get<HashAssignment>(a.body));
                          }
                          w.patch16(lengthAt, static_cast<uint16_t>(w.size() - lengthAt - 2));
                          return uint16_t(ComponentType::AltAssignment);
                        },
                        [&](const AssignmentMap& m) {
                          writeMaskValueSets(w, m.sets);
                          return uint16_t(ComponentType::AssignMap);
                        },
                        [&](const CommandExtension& c) {
                          w.u16be(c.commandType);
                          w.u16be(static_cast<uint16_t>(c.data.size()));
                          w.bytes(c.data);
                          return uint16_t(ComponentType::CommandExtension);
                        },
                        [&](const UnknownComponent& u) {
                          w.bytes(u.body);
                          return u.type;
                        },
                    },
                    component);
}

}  // namespace

const char* messageTypeName(MessageType type) {
  switch (type) {
    case MessageType::HereIAm:
      return "HERE_I_AM";
    case MessageType::ISeeYou:
      return "I_SEE_YOU";
    case MessageType::RedirectAssign:
      return "REDIRECT_ASSIGN";
    case MessageType::RemovalQuery:
      return "REMOVAL_QUERY";
  }
  return "unknown";
}

std::optional<uint32_t> CapabilityInfo::value(CapabilityType type) const {
  for (const auto& e : elements) {
    if (e.type == static_cast<uint16_t>(type) && e.value.size() == 4) {
      return (uint32_t{e.value[0]} << 24) | (uint32_t{e.value[1]} << 16) |
             (uint32_t{e.value[2]} << 8) | e.value[3];
    }
  }
  return std::nullopt;
}

CapabilityElement capabilityElement(CapabilityType type, uint32_t value) {
  return {static_cast<uint16_t>(type),
          Bytes{uint8_t(value >> 24), uint8_t(value >> 16), uint8_t(value >> 8), uint8_t(value)}};
}

CapabilityInfo capabilityInfo(uint32_t forwarding, uint32_t assignment, uint32_t returns) {
  CapabilityInfo c;
  c.elements = {capabilityElement(CapabilityType::ForwardingMethod, forwarding),
                capabilityElement(CapabilityType::AssignmentMethod, assignment),
                capabilityElement(CapabilityType::ReturnMethod, returns)};
  return c;
}

SecurityInfo securityInfo(bool md5) {
  SecurityInfo s;
  s.option = md5 ? SecurityOption::Md5 : SecurityOption::None;
  return s;
}

bool sameService(const ServiceInfo& a, const ServiceInfo& b) {
  if (a.type != b.type || a.id != b.id) {
    return false;
  }
  return a.type == ServiceType::Standard || (a.protocol == b.protocol && a.flags == b.flags &&
                                             a.priority == b.priority && a.ports == b.ports);
}

ParseResult decodeMessage(ByteSpan datagram, Message& out, const MessageLimits& limits) {
  out = Message{};
  ByteReader r(datagram, Endian::Big);
  uint32_t type = r.u32be();
  out.version = r.u16be();
  uint16_t length = r.u16be();
  if (!r.ok()) {
    return ParseResult::fail("message: shorter than its 8-byte header");
  }
  if (type < 10 || type > 13) {
    return ParseResult::fail("message: unknown type " + std::to_string(type));
  }
  out.type = static_cast<MessageType>(type);
  if ((out.version >> 8) != 2) {
    return ParseResult::fail("message: version " + std::to_string(out.version >> 8) + "." +
                             std::to_string(out.version & 0xff) + ", not 2");
  }
  if (length != datagram.size() - kHeaderBytes) {
    return ParseResult::fail("message: header says " + std::to_string(length) + " bytes, the " +
                             "datagram holds " + std::to_string(datagram.size() - kHeaderBytes));
  }
  while (r.remaining() > 0) {
    if (out.components.size() == limits.maxComponents) {
      return ParseResult::fail("message: more than " + std::to_string(limits.maxComponents) +
                               " components");
    }
    uint16_t ctype = r.u16be();
    uint16_t clen = r.u16be();
    ByteSpan body = r.take(clen);
    if (!r.ok()) {
      return ParseResult::fail("component " + std::to_string(ctype) + ": length " +
                               std::to_string(clen) + " beyond the message");
    }
    Component c;
    std::string why;
    if (!readComponent(ctype, body, limits, c, why)) {
      return ParseResult::fail(why);
    }
    out.components.push_back(std::move(c));
  }
  return ParseResult::done(datagram.size());
}

Bytes encodeMessage(const Message& message) {
  Bytes out;
  ByteWriter w(out, Endian::Big);
  w.u32be(static_cast<uint32_t>(message.type));
  w.u16be(message.version);
  w.u16be(0);
  for (const auto& c : message.components) {
    const size_t at = w.size();
    w.u32be(0);  // type and length, patched below
    uint16_t type = writeBody(w, c);
    w.patch16(at, type);
    w.patch16(at + 2, static_cast<uint16_t>(w.size() - at - 4));
  }
  w.patch16(6, static_cast<uint16_t>(w.size() - kHeaderBytes));
  return out;
}

size_t md5DigestOffset(ByteSpan encoded) {
  // Header (8), then the Security Info component: type 0, length 20, option 1, digest.
  ByteReader r(encoded, Endian::Big);
  r.skip(kHeaderBytes);
  uint16_t type = r.u16be();
  uint16_t len = r.u16be();
  uint32_t option = r.u32be();
  if (!r.ok() || type != 0 || len != 20 || option != 1 || r.remaining() < 16) {
    return 0;
  }
  return kHeaderBytes + 8;
}

}  // namespace bh::redirect::wccp
