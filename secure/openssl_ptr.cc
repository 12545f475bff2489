#include "secure/openssl_ptr.h"

#include <openssl/err.h>

namespace bh::secure {

std::string takeOpenSslError() {
  unsigned long e = ERR_get_error();
  std::string out;
  if (e != 0) {
    const char* r = ERR_reason_error_string(e);
    out = r != nullptr ? r : "openssl error " + std::to_string(ERR_GET_REASON(e));
  }
  ERR_clear_error();
  return out;
}

}  // namespace bh::secure
