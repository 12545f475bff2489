#include "mapi/dcerpc/well_known.h"

namespace bh::mapi::dcerpc::syntax {
namespace {

SyntaxId make(const char* uuid, uint16_t major, uint16_t minor) {
  return SyntaxId{*Uuid::parse(uuid), major, minor};
}

}  // namespace

const SyntaxId& ndr() {
  static const SyntaxId s = make("8a885d04-1ceb-11c9-9fe8-08002b104860", 2, 0);
  return s;
}

const SyntaxId& ndr64() {
  static const SyntaxId s = make("71710533-beba-4937-8319-b5dbef9ccc36", 1, 0);
  return s;
}

const SyntaxId& epm() {
  static const SyntaxId s = make("e1af8308-5d1f-11c9-91a4-08002b14a0fa", 3, 0);
  return s;
}

const SyntaxId& emsmdb() {
  static const SyntaxId s = make("a4f1db00-ca47-1067-b31f-00dd010662da", 0, 81);
  return s;
}

const SyntaxId& asyncEmsmdb() {
  static const SyntaxId s = make("5261574a-4572-206e-b268-6b199213b4e4", 0, 1);
  return s;
}

bool isBindTimeFeatureNegotiation(const Uuid& transfer) {
  static const std::array<uint8_t, 8> prefix = {0x6c, 0xb7, 0x1c, 0x2c, 0x98, 0x12, 0x45, 0x40};
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (transfer.canonicalBytes()[i] != prefix[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace bh::mapi::dcerpc::syntax
