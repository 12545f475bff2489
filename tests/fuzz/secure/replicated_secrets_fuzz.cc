// Arbitrary bytes as what a domain controller replicates (secure/replication): the first byte
// picks the parser - USER_PROPERTIES, KERB_STORED_CREDENTIAL_NEW or an ENCRYPTED_PAYLOAD under a
// fixed session key. No input may crash or read outside the value, and whatever parses must
// encode to bytes that parse to the same thing.
#include <cstdlib>

#include "secure/replication/encrypted_payload.h"
#include "secure/replication/supplemental_credentials.h"

using namespace bh;
using namespace bh::secure::replication;

namespace {

bool sameKeys(const std::vector<KerberosKey>& a, const std::vector<KerberosKey>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].keyType != b[i].keyType || a[i].iterationCount != b[i].iterationCount ||
        a[i].value != b[i].value) {
      return false;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    return 0;
  }
  ByteSpan in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto props = parseUserProperties(in);
      if (props.ok()) {
        auto again = parseUserProperties(encodeUserProperties(props.value()));
        if (!again.ok() || again.value().size() != props.value().size()) {
          std::abort();
        }
        for (size_t i = 0; i < props.value().size(); ++i) {
          if (again.value()[i].name != props.value()[i].name ||
              again.value()[i].value != props.value()[i].value) {
            std::abort();
          }
        }
      }
      break;
    }
    case 1: {
      auto keys = parseKerberosNewerKeys(in);
      if (keys.ok()) {
        auto again = parseKerberosNewerKeys(encodeKerberosNewerKeys(keys.value()));
        const auto& a = keys.value();
        if (!again.ok() || again.value().defaultSalt != a.defaultSalt ||
            !sameKeys(again.value().credentials, a.credentials) ||
            !sameKeys(again.value().oldCredentials, a.oldCredentials) ||
            !sameKeys(again.value().serviceCredentials, a.serviceCredentials) ||
            !sameKeys(again.value().olderCredentials, a.olderCredentials)) {
          std::abort();
        }
      }
      break;
    }
    default: {
      static const uint8_t kKey[16] = {0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                       0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};
      auto plain = openEncryptedPayload(kKey, in);
      if (plain.ok() && plain.value().size() + kPayloadHeaderLength != in.size()) {
        std::abort();
      }
      break;
    }
  }
  return 0;
}
