#pragma once

// Certificates as `show crypto certificates` prints them: names, validity, the default
// self-signed mark. Never a key: only the certificate's public fields are read.

#include <openssl/x509.h>

#include <string>

#include "proxy/control/show_wan_secure.h"

namespace bh::proxy {

CertificateRow certificateRow(X509* cert, const std::string& owner);

}  // namespace bh::proxy
