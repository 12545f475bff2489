#pragma once

// Helpers for the proxy_codec tests, written independently of the library: checksums are
// recomputed here from the RFC 1071 definition so a library bug cannot also bless its output.

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace bh::proxy::codec::test {

/// RFC 1071 over big-endian words, summed in 32 bits and folded at the end.
inline uint16_t referenceChecksum(const Bytes& data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    uint32_t word = static_cast<uint32_t>(data[i]) << 8;
    if (i + 1 < data.size()) {
      word |= data[i + 1];
    }
    sum += word;
  }
  while (sum > 0xffff) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum & 0xffff);
}

/// True if the IPv4 header checksum (IPv4 only) and the TCP checksum of a whole IP packet sum
/// to zero, recomputed without the library.
inline bool referenceChecksumsGood(const Bytes& p) {
  if (p.empty()) {
    return false;
  }
  size_t ipLen;
  Bytes pseudo;
  if ((p[0] >> 4) == 4) {
    ipLen = (p[0] & 0xf) * 4u;
    if (referenceChecksum(Bytes(p.begin(), p.begin() + ipLen)) != 0) {
      return false;
    }
    pseudo.insert(pseudo.end(), p.begin() + 12, p.begin() + 20);
    const size_t seg = p.size() - ipLen;
    pseudo.insert(pseudo.end(), {0, 6, static_cast<uint8_t>(seg >> 8), static_cast<uint8_t>(seg)});
  } else {
    ipLen = 40;
    pseudo.insert(pseudo.end(), p.begin() + 8, p.begin() + 40);
    const size_t seg = p.size() - ipLen;
    pseudo.insert(pseudo.end(),
                  {0, 0, static_cast<uint8_t>(seg >> 8), static_cast<uint8_t>(seg), 0, 0, 0, 6});
  }
  pseudo.insert(pseudo.end(), p.begin() + static_cast<long>(ipLen), p.end());
  return referenceChecksum(pseudo) == 0;
}

inline Bytes hex(const std::string& s) {
  Bytes out;
  if (!fromHex(s, out)) {
    out.clear();
  }
  return out;
}

/// One record of a generated vector file: "key value" lines between "vector NAME" and "end".
struct VectorRecord {
  std::string name;
  std::vector<std::pair<std::string, std::string>> fields;

  std::string get(const std::string& key) const {
    for (const auto& [k, v] : fields) {
      if (k == key) {
        return v;
      }
    }
    return {};
  }
};

inline std::vector<VectorRecord> loadVectors(const std::string& relativePath) {
  std::ifstream in(std::string(BH_SOURCE_DIR) + "/" + relativePath);
  std::vector<VectorRecord> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    const size_t space = line.find(' ');
    const std::string key = line.substr(0, space);
    const std::string value = space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "vector") {
      out.push_back({value, {}});
    } else if (key != "end" && !out.empty()) {
      out.back().fields.emplace_back(key, value);
    }
  }
  return out;
}

inline void put16(Bytes& p, size_t at, size_t v) {
  p[at] = static_cast<uint8_t>(v >> 8);
  p[at + 1] = static_cast<uint8_t>(v);
}

/// A SYN from 192.168.0.1:54321 to 192.168.0.2:135 (IPv4) or fd00::1 -> fd00::2 (IPv6) with the
/// given options (a 4-byte multiple, or the Data Offset is rounded down) and payload, and
/// correct checksums computed here.
inline Bytes buildSyn(int ipVersion, const Bytes& options, const Bytes& payload = {}) {
  Bytes tcp = hex("d431 0087 00000001 00000000 0002 faf0 0000 0000");
  tcp[12] = static_cast<uint8_t>(((20 + options.size()) / 4) << 4);
  tcp.insert(tcp.end(), options.begin(), options.end());
  tcp.insert(tcp.end(), payload.begin(), payload.end());
  Bytes ip;
  Bytes pseudo;
  if (ipVersion == 4) {
    ip = hex("45000000 0001 4000 4006 0000 c0a80001 c0a80002");
    put16(ip, 2, 20 + tcp.size());
    put16(ip, 10, referenceChecksum(ip));
    pseudo.insert(pseudo.end(), ip.begin() + 12, ip.begin() + 20);
    pseudo.insert(pseudo.end(), {0, 6, 0, 0});
    put16(pseudo, 10, tcp.size());
  } else {
    ip =
        hex("60000000 0000 06 40 fd000000000000000000000000000001"
            "fd000000000000000000000000000002");
    put16(ip, 4, tcp.size());
    pseudo.insert(pseudo.end(), ip.begin() + 8, ip.begin() + 40);
    pseudo.insert(pseudo.end(), {0, 0, 0, 0, 0, 0, 0, 6});
    put16(pseudo, 34, tcp.size());
  }
  pseudo.insert(pseudo.end(), tcp.begin(), tcp.end());
  put16(tcp, 16, referenceChecksum(pseudo));
  ip.insert(ip.end(), tcp.begin(), tcp.end());
  return ip;
}

/// Linux's SYN options: mss 1460, sackOK, TS, nop, wscale 7 (20 bytes).
inline Bytes linuxSynOptions() {
  return hex("020405b4 0402 080a 00000001 00000000 01 030307");
}

}  // namespace bh::proxy::codec::test
