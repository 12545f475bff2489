#pragma once

#include <openssl/x509.h>

#include <string>
#include <vector>

#include "secure/openssl_ptr.h"
#include "secure/outcome.h"

namespace bh::secure {

/// The organizational unit that marks the default self-signed peering certificate. A peer that
/// verifies certificates names "the peer shows the default self-signed one" by this mark (the
/// seed's Problem 4) instead of a bare "self-signed certificate".
inline constexpr const char* kDefaultSelfSignedUnit = "Bridgehead default self-signed peering";

/// Where a configured identity comes from: PEM files (RFC 7468). chain and caBundle may be empty.
struct PeeringIdentityFiles {
  std::string certificate;  ///< the device's certificate
  std::string privateKey;   ///< its key (unencrypted PEM; kept 0600 or in the secure store)
  std::string chain;        ///< intermediate CAs sent after the certificate
  std::string caBundle;     ///< trust anchors for peer_cert_verify
};

/// The device's peering identity: certificate, key, chain to send, and the CA bundle that peer
/// certificates are verified against when peer_cert_verify is on.
struct PeeringIdentity {
  X509Ptr certificate;
  PkeyPtr privateKey;
  std::vector<X509Ptr> chain;
  std::vector<X509Ptr> trustAnchors;
  bool defaultSelfSigned = false;

  /// The default identity: a fresh P-256 key and a self-signed certificate carrying
  /// kDefaultSelfSignedUnit, valid `days` days. P-256 because every TLS 1.3 peer must support
  /// ecdsa_secp256r1_sha256 (RFC 8446 section 9.1), it is FIPS-approved, and its signatures are
  /// cheap; Ed25519 is not mandatory-to-implement and not FIPS 140-2 approved.
  static Outcome<PeeringIdentity> generateSelfSigned(const std::string& commonName, int days);

  /// Loads a configured identity; refuses a key that does not match the certificate.
  static Outcome<PeeringIdentity> loadFiles(const PeeringIdentityFiles& files);

  /// Rebuilds an identity from PEM text (as the secure store returns the key).
  static Outcome<PeeringIdentity> fromPem(const std::string& certificatePem,
                                          const std::string& privateKeyPem);

  std::string certificatePem() const;
  /// The key as PEM: only for the secure store's sealing; never log or show it.
  std::string privateKeyPem() const;
};

/// True if `cert` is self-issued and carries the default self-signed mark.
bool isDefaultSelfSigned(X509* cert);

/// Reads every certificate of a PEM file (empty vector and `why` set on failure).
std::vector<X509Ptr> readCertificates(const std::string& path, std::string& why);

}  // namespace bh::secure
