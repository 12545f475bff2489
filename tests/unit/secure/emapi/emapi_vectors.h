#pragma once

// The captures of tests/vectors/emapi (Samba's rpcclient sealing SAMR to the lab's Samba DC),
// as extract_vectors.py cut them: per authenticated connection, every PDU in capture order and,
// for each sealed request/response, tshark's plaintext of its stub and padding.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "secure/emapi/dce_seal.h"
#include "secure/encryption_service/keytab_keys.h"

namespace bh::secure::emapi::test {

struct VectorPdu {
  Direction dir = Direction::FromInitiator;
  Bytes bytes;
  Bytes tsharkPlain;  ///< empty unless tshark decrypted it
  uint8_t ptype() const { return bytes.size() > 2 ? bytes[2] : 0xff; }
};

using VectorConnection = std::vector<VectorPdu>;

inline std::string vectorPath(const std::string& name) {
  return std::string(BH_SOURCE_DIR) + "/tests/vectors/emapi/" + name;
}

inline std::vector<VectorConnection> loadCase(const std::string& name) {
  std::ifstream in(vectorPath(name + ".txt"));
  REQUIRE_MESSAGE(in.good(), "cannot read " << vectorPath(name + ".txt"));
  std::vector<VectorConnection> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string word;
    std::string hex;
    s >> word >> hex;
    if (word == "connection") {
      out.emplace_back();
    } else if (word == "c" || word == "s" || word == "plain") {
      REQUIRE(!out.empty());
      Bytes b;
      REQUIRE(fromHex(hex, b));
      if (word == "plain") {
        REQUIRE(!out.back().empty());
        out.back().back().tsharkPlain = std::move(b);
      } else {
        out.back().push_back(
            {word == "c" ? Direction::FromInitiator : Direction::FromAcceptor, std::move(b), {}});
      }
    }
  }
  return out;
}

/// DC1$'s keys from the committed keytab.
inline std::vector<encryption_service::ServiceKey> dcKeys() {
  auto entries = encryption_service::readKeytab(vectorPath("dc1.keytab"));
  REQUIRE_MESSAGE(entries.ok(), entries.error());
  std::vector<encryption_service::ServiceKey> keys;
  for (const auto& e : entries.value()) {
    keys.push_back(e.key);
  }
  return keys;
}

inline bool isBindLeg(uint8_t ptype) {
  return ptype >= 11 && ptype <= 16;
}

}  // namespace bh::secure::emapi::test
