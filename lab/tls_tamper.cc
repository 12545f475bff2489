#include "lab/tls_tamper.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace bh::lab {

namespace {

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}

uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

// RFC 1071: the ones' complement sum, folded.
uint32_t sum16(const uint8_t* p, size_t n, uint32_t sum) {
  for (size_t i = 0; i + 1 < n; i += 2) {
    sum += be16(p + i);
  }
  if (n % 2 == 1) {
    sum += static_cast<uint32_t>(p[n - 1]) << 8;
  }
  return sum;
}

uint16_t fold(uint32_t sum) {
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

const char* actionName(TamperAction a) {
  switch (a) {
    case TamperAction::Flip:
      return "flip";
    case TamperAction::Garbage:
      return "garbage";
    case TamperAction::Oversize:
      return "oversize";
    case TamperAction::Cut:
      return "cut";
  }
  return "?";
}

const char* directionName(TamperDirection d) {
  return d == TamperDirection::ToServer ? "to-server" : "to-client";
}

std::string endpointText(uint32_t addr, uint16_t port) {
  char b[32];
  std::snprintf(b, sizeof b, "%u.%u.%u.%u:%u", addr >> 24, (addr >> 16) & 0xff, (addr >> 8) & 0xff,
                addr & 0xff, port);
  return b;
}

// TLS record header (RFC 8446 section 5.1): type, legacy_record_version, length.
constexpr size_t kRecordHeader = 5;
// RFC 8446 section 5.2: a TLSCiphertext's length must not exceed 2^14 + 256.
constexpr uint16_t kOversizeLength = (1 << 14) + 256 + 1;
// Bytes no record starts with: content type 0 (invalid), version 0.0, length 0.
constexpr uint8_t kGarbageHeader[kRecordHeader] = {0x00, 0x00, 0x00, 0x00, 0x00};

}  // namespace

std::optional<TamperPlan> parseTamperPlan(std::string_view line) {
  std::string_view words[4];
  size_t n = 0;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n')) {
      ++i;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\n') {
      ++i;
    }
    if (i > start) {
      if (n == 4) {
        return std::nullopt;
      }
      words[n++] = line.substr(start, i - start);
    }
  }
  if (n != 4) {
    return std::nullopt;
  }
  TamperPlan plan;
  if (words[0] == "flip") {
    plan.action = TamperAction::Flip;
  } else if (words[0] == "garbage") {
    plan.action = TamperAction::Garbage;
  } else if (words[0] == "oversize") {
    plan.action = TamperAction::Oversize;
  } else if (words[0] == "cut") {
    plan.action = TamperAction::Cut;
  } else {
    return std::nullopt;
  }
  if (words[1] == "to-server") {
    plan.direction = TamperDirection::ToServer;
  } else if (words[1] == "to-client") {
    plan.direction = TamperDirection::ToClient;
  } else {
    return std::nullopt;
  }
  auto number = [](std::string_view w, uint32_t max) -> std::optional<uint32_t> {
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(w.data(), w.data() + w.size(), v);
    if (ec != std::errc() || end != w.data() + w.size() || v == 0 || v > max) {
      return std::nullopt;
    }
    return v;
  };
  auto record = number(words[2], 1'000'000);
  auto port = number(words[3], 65535);
  if (!record || !port) {
    return std::nullopt;
  }
  plan.record = *record;
  plan.port = static_cast<uint16_t>(*port);
  return plan;
}

void fixIpv4TcpChecksums(uint8_t* packet, size_t length) {
  size_t ihl = static_cast<size_t>(packet[0] & 0x0f) * 4;
  put16(packet + 10, 0);
  put16(packet + 10, fold(sum16(packet, ihl, 0)));
  uint8_t* tcp = packet + ihl;
  size_t tcpLen = length - ihl;
  put16(tcp + 16, 0);
  // Pseudo header (RFC 793 section 3.1): source, destination, zero, protocol, TCP length.
  uint32_t sum = sum16(packet + 12, 8, 0);
  sum += 6;
  sum += static_cast<uint32_t>(tcpLen);
  put16(tcp + 16, fold(sum16(tcp, tcpLen, sum)));
}

bool RecordTamper::watched(const Endpoint& from, const Endpoint& to) const {
  const Endpoint& src = plan_.direction == TamperDirection::ToServer ? client_ : server_;
  const Endpoint& dst = plan_.direction == TamperDirection::ToServer ? server_ : client_;
  return from.addr == src.addr && from.port == src.port && to.addr == dst.addr &&
         to.port == dst.port;
}

TamperVerdict RecordTamper::onPacket(uint8_t* packet, size_t& length) {
  if (!active() || length < 20 || (packet[0] >> 4) != 4) {
    return TamperVerdict::Accept;
  }
  size_t ihl = static_cast<size_t>(packet[0] & 0x0f) * 4;
  size_t total = be16(packet + 2);
  if (ihl < 20 || total > length || total < ihl + 20 || packet[9] != 6) {
    return TamperVerdict::Accept;
  }
  const uint8_t* tcp = packet + ihl;
  size_t doff = static_cast<size_t>(tcp[12] >> 4) * 4;
  if (doff < 20 || ihl + doff > total) {
    return TamperVerdict::Accept;
  }
  Endpoint from{be32(packet + 12), be16(tcp)};
  Endpoint to{be32(packet + 16), be16(tcp + 2)};
  uint32_t seq = be32(tcp + 4);
  uint8_t flags = tcp[13];
  const bool syn = flags & 0x02, ack = flags & 0x10, rst = flags & 0x04, fin = flags & 0x01;

  if (phase_ == Phase::Waiting) {
    if (syn && !ack && to.port == plan_.port) {
      client_ = from;
      server_ = to;
      phase_ = Phase::Following;
      if (plan_.direction == TamperDirection::ToServer) {
        isn_ = seq + 1;
        haveIsn_ = true;
      }
      report_ = "watching " + endpointText(from.addr, from.port) + " -> " +
                endpointText(to.addr, to.port);
    }
    return TamperVerdict::Accept;
  }
  const bool forward = from.addr == client_.addr && from.port == client_.port &&
                       to.addr == server_.addr && to.port == server_.port;
  const bool backward = from.addr == server_.addr && from.port == server_.port &&
                        to.addr == client_.addr && to.port == client_.port;
  if (!forward && !backward) {
    return TamperVerdict::Accept;
  }
  if (rst || syn) {
    if (phase_ == Phase::Dropping) {
      // The connection is over (reset, or its 4-tuple reused by a new one: the edge's hand-off
      // after 100 ms): nothing more to keep from it.
      phase_ = Phase::Done;
      return TamperVerdict::Accept;
    }
    if (rst) {
      return TamperVerdict::Accept;
    }
  }
  if (syn && ack && backward && plan_.direction == TamperDirection::ToClient) {
    isn_ = seq + 1;
    haveIsn_ = true;
    return TamperVerdict::Accept;
  }
  if (!watched(from, to)) {
    return TamperVerdict::Accept;
  }
  size_t payload = total - ihl - doff;
  if (phase_ == Phase::Dropping) {
    return payload > 0 || fin ? TamperVerdict::Drop : TamperVerdict::Accept;
  }
  if (payload == 0 || !haveIsn_) {
    return TamperVerdict::Accept;
  }
  return onPayload(packet, length, total, ihl + doff, payload, seq);
}

TamperVerdict RecordTamper::onPayload(uint8_t* packet, size_t& length, size_t ipLen, size_t tcpOff,
                                      size_t payloadLen, uint32_t seq) {
  // Stream offsets: the sequence space wraps; a leg of the lab moves far less than 2^31.
  uint64_t offset = static_cast<uint32_t>(seq - isn_);
  uint64_t end = offset + payloadLen;
  if (end <= seen_) {
    return TamperVerdict::Accept;  // a retransmission of bytes already counted
  }
  if (offset > seen_) {
    phase_ = Phase::Lost;
    report_ = "lost: a gap at stream offset " + std::to_string(seen_) + " (records uncountable)";
    return TamperVerdict::Accept;
  }
  uint8_t* payload = packet + tcpOff;
  uint64_t pos = seen_;
  while (pos < end) {
    if (pos < recordEnd_) {
      pos = std::min(end, recordEnd_);
      continue;
    }
    const size_t at = static_cast<size_t>(pos - offset);  // index in this packet's payload
    const size_t avail = static_cast<size_t>(end - pos);
    if (partialLen_ == 0 && avail >= kRecordHeader && records_ + 1 >= plan_.record) {
      const size_t bodyLen = be16(payload + at + 3);
      const size_t bodyIn = std::min(avail - kRecordHeader, bodyLen);
      const bool needsBody =
          plan_.action == TamperAction::Flip || plan_.action == TamperAction::Cut;
      if (!needsBody || bodyIn >= 1) {
        std::string what = std::string(actionName(plan_.action)) + " " +
                           directionName(plan_.direction) + " record " +
                           std::to_string(records_ + 1) + " (stream offset " + std::to_string(pos) +
                           ", length " + std::to_string(bodyLen) + ")";
        switch (plan_.action) {
          case TamperAction::Flip:
            payload[at + kRecordHeader + std::min<size_t>(bodyIn - 1, 16)] ^= 0xff;
            phase_ = Phase::Done;
            break;
          case TamperAction::Garbage:
            std::copy(kGarbageHeader, kGarbageHeader + kRecordHeader, payload + at);
            phase_ = Phase::Done;
            break;
          case TamperAction::Oversize:
            put16(payload + at + 3, kOversizeLength);
            phase_ = Phase::Done;
            break;
          case TamperAction::Cut: {
            // The record's header and half of what of its body is here; a FIN right after.
            size_t keep = at + kRecordHeader + bodyIn / 2;
            length = tcpOff + keep;
            put16(packet + 2, static_cast<uint16_t>(length));
            packet[static_cast<size_t>(packet[0] & 0x0f) * 4 + 13] |= 0x01;  // FIN
            phase_ = Phase::Dropping;
            what += ", " + std::to_string(keep - at) + " bytes of it kept, then FIN";
            break;
          }
        }
        if (plan_.action != TamperAction::Cut) {
          length = ipLen;
        }
        report_ = "done: " + what;
        fixIpv4TcpChecksums(packet, length);
        return TamperVerdict::AcceptMangled;
      }
    }
    // Count the header (possibly split across segments) and skip to the record's end.
    size_t take = std::min(kRecordHeader - partialLen_, avail);
    std::copy(payload + at, payload + at + take, partial_ + partialLen_);
    partialLen_ += take;
    pos += take;
    if (partialLen_ == kRecordHeader) {
      ++records_;
      recordEnd_ = pos + be16(partial_ + 3);
      partialLen_ = 0;
    }
  }
  seen_ = end;
  return TamperVerdict::Accept;
}

}  // namespace bh::lab
