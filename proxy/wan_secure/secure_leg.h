#pragma once

// One peer leg's TLS 1.3 (issue 16; secure/README.md): the edge is the TLS client, the core the
// TLS server. It sits between the leg's socket (proxy/flow.cc reads and writes ciphertext) and
// the peer-frame codec (which sees only plaintext). No libuv here: bytes in, bytes out, so the
// state machine is unit-tested without sockets (tests/unit/proxy/wan_secure/).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/bytes.h"
#include "proxy/wan_secure/revocation_checker.h"
#include "secure/tls_context.h"
#include "secure/tls_session.h"

namespace bh::proxy {

class SecureLeg {
 public:
  /// Handshaking (TLS), CheckingRevocation (chain verified, waiting for the RevocationChecker),
  /// Open (plaintext flows both ways), Closed (close_notify received), Failed (failure()).
  enum class Phase { Handshaking, CheckingRevocation, Open, Closed, Failed };

  struct Settings {
    /// Ask the RevocationChecker about the peer's certificate once the chain verified
    /// (peer_cert_verify and ocsp.enabled).
    bool checkRevocation = false;
    /// Plaintext the flow may hand over before the leg is Open (the edge's Hello, the codec's
    /// first frames); client bytes are never read before then, so a small cap suffices.
    size_t maxHeldPlaintext = 64 * 1024;
  };

  /// `context` and `checker` outlive the leg; `checker` may be null (then a leg that must check
  /// revocation fails with RevocationUnknown "no OCSP transport": never silently accepted).
  static secure::Outcome<std::unique_ptr<SecureLeg>> create(secure::TlsContext& context,
                                                            const std::string& peer,
                                                            RevocationChecker* checker,
                                                            Settings settings);
  ~SecureLeg();
  SecureLeg(const SecureLeg&) = delete;
  SecureLeg& operator=(const SecureLeg&) = delete;

  /// Called when the phase changed outside receive() (a revocation verdict that came later).
  void setOnChange(std::function<void()> onChange) { onChange_ = std::move(onChange); }

  /// Ciphertext read from the socket. Opened plaintext (only once Open) is appended to `plain`.
  Phase receive(ByteSpan ciphertext, Bytes& plain);
  /// The socket delivered EOF.
  Phase receiveEnd();
  /// Plaintext for the peer: sealed at once when Open, held before (false and Failed with
  /// BufferCapExceeded beyond maxHeldPlaintext). A client leg resuming a ticket that allows
  /// early data seals what fits as 0-RTT early data instead of holding it (earlyRoom()).
  bool send(ByteSpan plaintext);
  /// Client, before the leg opens: plaintext bytes send() would still seal as early data now.
  size_t earlyRoom() const;
  /// Client: early bytes left and may have reached the peer's application: a failure from here
  /// on must not hand the flow's bytes to another connection (they could arrive twice).
  bool earlyDataMayHaveArrived() const { return session_->earlyDataMayHaveArrived(); }
  secure::EarlyData earlyData() const { return session_->earlyData(); }
  /// Client, open: the peer's NewSessionTicket for this connection has not come yet
  /// (TlsSession::awaitingTicket): the flow keeps the leg open for it when it ends first.
  bool awaitingTicket() const { return phase_ == Phase::Open && session_->awaitingTicket(); }
  /// Open, and opened plaintext waits in the session (one take opens at most its plaintext
  /// cap): receive({}) hands it over. No socket read may come for it (the peer's last bytes).
  bool plaintextWaiting() const { return open() && session_->pendingPlaintextIn() > 0; }
  /// Ciphertext for the socket (handshake flights, records, alerts); empties the buffer.
  Bytes takeCiphertext();
  /// Sends close_notify (RFC 8446 section 6.1).
  void close();
  /// Ends the leg for a reason found outside TLS.
  void fail(secure::TlsFailure reason, const std::string& detail);

  Phase phase() const { return phase_; }
  bool open() const { return phase_ == Phase::Open; }
  secure::TlsFailure failure() const { return failure_; }
  /// "<reason name>: <detail>"; never key or ticket bytes.
  const std::string& failureText() const { return failureText_; }
  bool resumed() const { return session_->resumed(); }
  std::string protocolName() const { return session_->protocolName(); }
  std::string cipherName() const { return session_->cipherName(); }
  X509* peerCertificate() const { return session_->peerCertificate(); }
  /// The revocation verdict, once one came.
  const std::optional<secure::OcspVerdict>& revocationVerdict() const { return verdict_; }
  uint64_t bytesSealed() const { return bytesSealed_; }
  uint64_t bytesOpened() const { return bytesOpened_; }
  /// Bytes this leg holds (held plaintext, unopened and unsent ciphertext).
  size_t bufferedBytes() const;

  static const char* phaseName(Phase p);

 private:
  SecureLeg(std::unique_ptr<secure::TlsSession> session, RevocationChecker* checker,
            Settings settings)
      : session_(std::move(session)), checker_(checker), settings_(settings) {}
  /// Moves the phase on after the session advanced; opens/seals what the phase allows.
  void advance(Bytes* plain);
  void startRevocationCheck();
  void onVerdict(const secure::OcspVerdict& verdict);
  void sealHeld();
  void drainCiphertext();
  void takeFailureFromSession();

  std::unique_ptr<secure::TlsSession> session_;
  RevocationChecker* checker_;
  Settings settings_;
  Phase phase_ = Phase::Handshaking;
  secure::TlsFailure failure_ = secure::TlsFailure::None;
  std::string failureText_;
  std::unique_ptr<RevocationChecker::Pending> pendingCheck_;
  bool inCheck_ = false;  ///< check() has not returned yet (a cached answer arrives inside it)
  Bytes held_;            ///< plaintext waiting for Open
  Bytes cipherOut_;       ///< sealed bytes not yet taken
  std::function<void()> onChange_;
  std::optional<secure::OcspVerdict> verdict_;
  uint64_t bytesSealed_ = 0;
  uint64_t bytesOpened_ = 0;
};

}  // namespace bh::proxy
