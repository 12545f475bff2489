#include "secure/tls_warm_up.h"

#include "secure/tls_session.h"

namespace bh::secure {

Outcome<std::string> warmUpTls(const TlsConfig& config, const PeeringIdentity& identity) {
  using R = Outcome<std::string>;
  TlsConfig c = config;
  c.peerCertVerify = false;
  auto client = TlsContext::create(TlsRole::Client, c, identity);
  auto server = TlsContext::create(TlsRole::Server, c, identity);
  if (!client.ok() || !server.ok()) {
    return R::failure(client.ok() ? server.error() : client.error());
  }
  auto cs = TlsSession::create(*client.value(), "warm-up");
  auto ss = TlsSession::create(*server.value(), "warm-up");
  if (!cs.ok() || !ss.ok()) {
    return R::failure(cs.ok() ? ss.error() : cs.error());
  }
  TlsSession& a = *cs.value();
  TlsSession& b = *ss.value();
  // ClientHello; the server's flight; Finished; the tickets (RFC 8446 section 2): four passes.
  for (int i = 0; i < 4; ++i) {
    b.receive(a.takeCiphertext());
    a.receive(b.takeCiphertext());
  }
  if (a.state() != TlsState::Established || b.state() != TlsState::Established) {
    return R::failure(a.state() == TlsState::Failed ? a.failureText()
                      : b.state() == TlsState::Failed
                          ? b.failureText()
                          : std::string("the handshake did not complete"));
  }
  return R::success(a.cipherName());
}

}  // namespace bh::secure
