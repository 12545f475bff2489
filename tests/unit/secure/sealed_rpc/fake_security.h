#pragma once
// A stand-in for the Kerberos provider (secure/sealed_rpc/client_security.h), for tests that
// need no KDC: both ends of one context, with what matters to the association kept: fixed
// tokens for the three legs, a per-direction sequence number, the stub "sealed" in place (XOR)
// and a checksum over the signed header, the plain stub and the sec_trailer, so a changed
// header, stub, trailer or a replayed PDU fails to verify. Not cryptography: the real provider
// (GssDceContext) is proven against Samba by tests/lab/sealed_rpc_test.sh.

#include <cstdint>
#include <string>

#include "secure/sealed_rpc/client_security.h"

namespace bh::secure::sealed_rpc::test {

inline const Bytes& fakeApReq() {
  static const Bytes b = {0x6e, 'a', 'p', '-', 'r', 'e', 'q'};
  return b;
}
inline const Bytes& fakeServerApRep() {
  static const Bytes b = {0x6f, 's', 'e', 'r', 'v', 'e', 'r'};
  return b;
}
inline const Bytes& fakeClientApRep() {
  static const Bytes b = {0x6f, 'c', 'l', 'i', 'e', 'n', 't'};
  return b;
}

/// SPNEGO's fourth leg: the server's last NegTokenResp (its mechListMIC).
inline const Bytes& fakeFinalToken() {
  static const Bytes b = {0xa1, 'f', 'i', 'n', 'a', 'l'};
  return b;
}

class FakeSecurity final : public ClientSecurity {
 public:
  static constexpr size_t kTokenSize = 32;

  /// @param acceptor true for the server's end (it seals what the client unseals).
  explicit FakeSecurity(bool acceptor = false) : acceptor_(acceptor) {}

  /// Every unseal succeeds after the XOR, whatever the checksum (fuzzing reaches reassembly).
  bool lenient = false;
  /// Makes acceptReply fail (a server AP-REP that does not verify).
  bool refuseReply = false;
  /// auth_type 9, four legs: the context completes with fakeFinalToken() (acceptFinal).
  bool spnego = false;
  /// Packet integrity: seal leaves the stub as it is and only writes the token.
  bool integrity = false;

  mapi::dcerpc::AuthType authType() const override {
    return spnego ? mapi::dcerpc::AuthType::Spnego : mapi::dcerpc::AuthType::Kerberos;
  }
  mapi::dcerpc::AuthLevel authLevel() const override {
    return integrity ? mapi::dcerpc::AuthLevel::PktIntegrity : mapi::dcerpc::AuthLevel::PktPrivacy;
  }
  bool fourLegs() const override { return spnego; }
  bool acceptFinal(ByteSpan token) override {
    if (!spnego || established_ || Bytes(token.begin(), token.end()) != fakeFinalToken()) {
      error_ = "MUTUAL_AUTH_FAILED: the final NegTokenResp does not verify";
      return false;
    }
    established_ = true;
    return true;
  }
  bool initialToken(Bytes& out) override {
    out = fakeApReq();
    return true;
  }
  bool acceptReply(ByteSpan reply, Bytes& out) override {
    if (refuseReply || Bytes(reply.begin(), reply.end()) != fakeServerApRep()) {
      error_ = "MUTUAL_AUTH_FAILED: the AP-REP does not verify";
      return false;
    }
    out = fakeClientApRep();
    established_ = !spnego;
    return true;
  }
  size_t sealedTokenSize() override { return established_ || acceptor_ ? kTokenSize : 0; }

  bool seal(ByteSpan pre, std::span<uint8_t> data, ByteSpan post,
            std::span<uint8_t> token) override {
    if (token.size() != kTokenSize) {
      error_ = "token size";
      return false;
    }
    const uint64_t seq = sendSeq_++;
    const uint64_t sum = checksum(acceptor_ ? 1 : 0, seq, pre, data, post);
    for (auto& b : data) {
      b ^= integrity ? 0 : mask(seq);
    }
    put64(token.data(), seq);
    put64(token.data() + 8, sum);
    for (size_t i = 16; i < kTokenSize; ++i) {
      token[i] = 0xff;
    }
    sealedPdus++;
    return true;
  }
  bool unseal(ByteSpan pre, std::span<uint8_t> data, ByteSpan post, ByteSpan token) override {
    if (token.size() != kTokenSize) {
      error_ = "GSS_S_DEFECTIVE_TOKEN: token size";
      return false;
    }
    const uint64_t seq = get64(token.data());
    for (auto& b : data) {
      b ^= integrity ? 0 : mask(seq);
    }
    if (lenient) {
      return true;
    }
    if (seq != recvSeq_) {
      error_ = "GSS_S_SEQUENCE: sequence " + std::to_string(seq) + ", expected " +
               std::to_string(recvSeq_);
      return false;
    }
    if (checksum(acceptor_ ? 0 : 1, seq, pre, data, post) != get64(token.data() + 8)) {
      error_ = "GSS_S_BAD_SIG: checksum";
      return false;
    }
    recvSeq_++;
    return true;
  }
  std::string lastError() const override { return error_; }

  size_t sealedPdus = 0;

 private:
  static uint8_t mask(uint64_t seq) { return static_cast<uint8_t>(0x5a ^ seq); }
  static uint64_t checksum(uint8_t dir, uint64_t seq, ByteSpan pre, ByteSpan data, ByteSpan post) {
    uint64_t h = 1469598103934665603ull ^ dir;  // FNV-1a
    auto mix = [&h](uint8_t b) {
      h ^= b;
      h *= 1099511628211ull;
    };
    for (int i = 0; i < 8; ++i) {
      mix(static_cast<uint8_t>(seq >> (8 * i)));
    }
    mix(static_cast<uint8_t>(pre.size()));
    for (uint8_t b : pre) {
      mix(b);
    }
    for (uint8_t b : data) {
      mix(b ^ mask(seq));  // the sealed bytes, seen the same from both ends
    }
    mix(static_cast<uint8_t>(post.size()));
    for (uint8_t b : post) {
      mix(b);
    }
    return h;
  }
  static void put64(uint8_t* p, uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      p[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
    }
  }
  static uint64_t get64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
      v = (v << 8) | p[i];
    }
    return v;
  }

  bool acceptor_;
  bool established_ = false;
  uint64_t sendSeq_ = 1000;
  uint64_t recvSeq_ = 1000;
  std::string error_;
};

}  // namespace bh::secure::sealed_rpc::test
