#pragma once

// A stand-in for eMAPI's Kerberos association (secure/emapi/kerberos_protected_association.h)
// behind dcerpc::ProtectedAssociation, for the protection layer's unit tests and fuzz target:
// the stub XORed, a verifier of [sequence number (8, BE)][FNV-1a of the plain stub (8)], each
// sender numbered from its own start. What it keeps is what the real one keeps (received and
// sent numbers per sender, the bind's legs); the lab test drives the real one.

#include <cstdint>
#include <memory>
#include <string>

#include "common/bytes.h"
#include "mapi/dcerpc/pdu_codec.h"
#include "mapi/dcerpc/protected_association.h"

namespace bh::mapi::mapi_ao::testing {

using dcerpc::ProtectedAssociation;
using dcerpc::ProtectionProvider;

inline constexpr uint64_t kClientStart = 100;
inline constexpr uint64_t kServerStart = 500;

inline uint64_t fnv(ByteSpan b) {
  uint64_t h = 1469598103934665603ull;
  for (uint8_t c : b) {
    h = (h ^ c) * 1099511628211ull;
  }
  return h;
}

inline void put16(Bytes& p, size_t at, uint16_t v) {  // little endian PDUs only
  p[at] = static_cast<uint8_t>(v);
  p[at + 1] = static_cast<uint8_t>(v >> 8);
}
inline uint16_t get16(ByteSpan p, size_t at) {
  return static_cast<uint16_t>(p[at] | (p[at + 1] << 8));
}

class FakeAssociation final : public ProtectedAssociation {
 public:
  enum State : uint8_t { AwaitingBind, AwaitingBindAck, AwaitingAuth3, Established, Failed };
  State state = AwaitingBind;
  uint64_t received[2] = {kClientStart, kServerStart};
  uint64_t sent[2] = {kClientStart, kServerStart};
  std::string failure;

  static int idx(dcerpc::Sender s) { return s == dcerpc::Sender::Client ? 0 : 1; }

  ParseResult observeBindLeg(dcerpc::Sender from, ByteSpan pdu) override {
    const auto t = dcerpc::ptypeOf(pdu);
    const bool client = from == dcerpc::Sender::Client;
    if (state == AwaitingBind && client && t == dcerpc::PType::Bind) {
      state = AwaitingBindAck;
    } else if (state == AwaitingBindAck && !client && t == dcerpc::PType::BindAck) {
      state = AwaitingAuth3;
    } else if (state == AwaitingAuth3 && client && t == dcerpc::PType::Auth3) {
      state = Established;
    } else {
      state = Failed;
      failure = "leg out of order";
      return ParseResult::fail(failure);
    }
    return ParseResult::done(pdu.size());
  }
  bool keyed() const override { return state == AwaitingAuth3 || state == Established; }
  bool established() const override { return state == Established; }
  const std::string& why() const override { return failure; }

  ParseResult unwrap(dcerpc::Sender from, ByteSpan pdu, Bytes& plain) override {
    if (pdu.size() < 24 + 8 + 16 || get16(pdu, 10) != 16 || get16(pdu, 8) != pdu.size()) {
      return ParseResult::fail("not a protected PDU");
    }
    const size_t stubEnd = pdu.size() - 16 - 8;
    plain.assign(pdu.begin(), pdu.begin() + static_cast<ptrdiff_t>(stubEnd));
    for (size_t i = 24; i < plain.size(); ++i) {
      plain[i] ^= 0x5a;
    }
    uint64_t seq = 0, sum = 0;
    for (size_t i = 0; i < 8; ++i) {
      seq = (seq << 8) | pdu[stubEnd + 8 + i];
      sum = (sum << 8) | pdu[stubEnd + 16 + i];
    }
    if (sum != fnv(ByteSpan(plain).subspan(24))) {
      return ParseResult::fail("verifier does not check");
    }
    if (seq != received[idx(from)]) {
      return ParseResult::fail("sequence number " + std::to_string(seq) + " where " +
                               std::to_string(received[idx(from)]) + " was due");
    }
    ++received[idx(from)];
    put16(plain, 8, static_cast<uint16_t>(plain.size()));
    put16(plain, 10, 0);
    return ParseResult::done(pdu.size());
  }
  bool seal(dcerpc::Sender from, ByteSpan plain, Bytes& pdu) override {
    if (state != Established || plain.size() < 24 || get16(plain, 10) != 0) {
      return false;
    }
    pdu = sealWith(plain, sent[idx(from)]++);
    return true;
  }
  /// What a real peer sends: `plain` protected with number `seq`.
  static Bytes sealWith(ByteSpan plain, uint64_t seq) {
    Bytes p(plain.begin(), plain.end());
    const uint64_t sum = fnv(ByteSpan(plain).subspan(24));
    for (size_t i = 24; i < p.size(); ++i) {
      p[i] ^= 0x5a;
    }
    const uint8_t trailer[8] = {16, 6, 0, 0, 0, 0, 0, 0};
    p.insert(p.end(), trailer, trailer + 8);
    for (int s = 56; s >= 0; s -= 8) {
      p.push_back(static_cast<uint8_t>(seq >> s));
    }
    for (int s = 56; s >= 0; s -= 8) {
      p.push_back(static_cast<uint8_t>(sum >> s));
    }
    put16(p, 8, static_cast<uint16_t>(p.size()));
    put16(p, 10, 16);
    return p;
  }
  uint64_t nextReceived(dcerpc::Sender from) const override { return received[idx(from)]; }
  uint64_t nextSent(dcerpc::Sender from) const override { return sent[idx(from)]; }
  Bytes exportContext() const override {
    Bytes b{static_cast<uint8_t>(state)};
    for (uint64_t v : {received[0], received[1], sent[0], sent[1]}) {
      for (int s = 56; s >= 0; s -= 8) {
        b.push_back(static_cast<uint8_t>(v >> s));
      }
    }
    return b;
  }
  std::string describe() const override { return "Fake xor packet privacy"; }
};

class FakeProvider final : public ProtectionProvider {
 public:
  bool haveKey = true;
  int opened = 0;
  std::unique_ptr<ProtectedAssociation> openBind(ByteSpan bindPdu, std::string& whyNot) override {
    if (!haveKey) {
      whyNot = "no key for exchangeMDB/exch1.example.test yet: retrieval in progress";
      return nullptr;
    }
    auto a = std::make_unique<FakeAssociation>();
    if (!a->observeBindLeg(dcerpc::Sender::Client, bindPdu).ok()) {
      whyNot = a->why();
      return nullptr;
    }
    ++opened;
    return a;
  }
  std::unique_ptr<ProtectedAssociation> importContext(ByteSpan c, std::string& whyNot) override {
    if (c.size() != 33 || c[0] > FakeAssociation::Established) {
      whyNot = "malformed context";
      return nullptr;
    }
    auto a = std::make_unique<FakeAssociation>();
    a->state = static_cast<FakeAssociation::State>(c[0]);
    uint64_t v[4] = {};
    for (size_t k = 0; k < 4; ++k) {
      for (size_t i = 0; i < 8; ++i) {
        v[k] = (v[k] << 8) | c[1 + k * 8 + i];
      }
    }
    a->received[0] = v[0];
    a->received[1] = v[1];
    a->sent[0] = v[2];
    a->sent[1] = v[3];
    return a;
  }
};

}  // namespace bh::mapi::mapi_ao::testing
