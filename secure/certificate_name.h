#pragma once

#include <openssl/x509.h>

#include <string>

namespace bh::secure {

/// A certificate as log lines, failure texts and OCSP verdicts name it: its subject (RFC 2253,
/// one line) and serial, "\"CN=core,O=bhlab\" (serial 0x1002)". Public parts only.
std::string certificateNameOf(X509* certificate);

}  // namespace bh::secure
