#pragma once
// The acceptor's end of the fake provider (fake_security.h) as a sealed_rpc::ServerSecurity, for
// the tests and the fuzz target of the server's half of packet privacy (sealed_server_pdu.h).

#include <string>

#include "secure/sealed_rpc/server_security.h"
#include "tests/unit/secure/sealed_rpc/fake_security.h"

namespace bh::secure::sealed_rpc::test {

/// The acceptor's end of the fake provider, as a ServerSecurity.
class FakeServerSecurity final : public ServerSecurity {
 public:
  /// @param spnego auth_type 9: acceptFinal answers with fakeFinalToken() (the fourth leg).
  explicit FakeServerSecurity(bool spnego = false) : spnego_(spnego) { inner.spnego = spnego; }
  mapi::dcerpc::AuthType authType() const override { return inner.authType(); }
  bool setAuthLevel(mapi::dcerpc::AuthLevel level) override {
    inner.integrity = level == mapi::dcerpc::AuthLevel::PktIntegrity;
    return inner.integrity || level == mapi::dcerpc::AuthLevel::PktPrivacy;
  }
  Bytes finalToken() const override { return spnego_ ? fakeFinalToken() : Bytes(); }
  bool acceptInitial(ByteSpan apReq, Bytes& apRep) override {
    if (Bytes(apReq.begin(), apReq.end()) != fakeApReq()) {
      error_ = "KRB_AP_ERR_MODIFIED: the AP-REQ does not verify";
      return false;
    }
    apRep = fakeServerApRep();
    return true;
  }
  bool acceptFinal(ByteSpan clientApRep) override {
    established_ = Bytes(clientApRep.begin(), clientApRep.end()) == fakeClientApRep();
    return established_;
  }
  bool established() const override { return established_; }
  std::string initiator() const override { return "client@TEST"; }
  size_t sealedTokenSize() override { return inner.sealedTokenSize(); }
  bool seal(ByteSpan pre, std::span<uint8_t> data, ByteSpan post,
            std::span<uint8_t> token) override {
    return inner.seal(pre, data, post, token);
  }
  bool unseal(ByteSpan pre, std::span<uint8_t> data, ByteSpan post, ByteSpan token) override {
    return inner.unseal(pre, data, post, token);
  }
  std::string lastError() const override { return error_.empty() ? inner.lastError() : error_; }

  FakeSecurity inner{true};

 private:
  bool spnego_;
  bool established_ = false;
  std::string error_;
};

}  // namespace bh::secure::sealed_rpc::test
