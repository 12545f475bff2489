#pragma once

// Wireshark as an independent oracle for what we put on the wire: write IPv4 packets to a
// classic pcap (LINKTYPE_RAW, 101: each record a bare IP packet) and read tshark's fields back.
// tshark is a build dependency (scripts/deps installs it): a test that needs it fails when it is
// missing rather than passing with nothing checked.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace bh::test {

inline constexpr const char* kTshark = "/usr/bin/tshark";

inline void putLe32(std::ofstream& out, uint32_t v) {
  const char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 24)};
  out.write(b, 4);
}

inline void writePcap(const std::string& path, const std::vector<Bytes>& packets) {
  std::ofstream out(path, std::ios::binary);
  putLe32(out, 0xa1b2c3d4);
  putLe32(out, 0x00040002);  // version 2.4
  putLe32(out, 0);
  putLe32(out, 0);
  putLe32(out, 65535);
  putLe32(out, 101);
  for (const Bytes& p : packets) {
    putLe32(out, 1700000000);
    putLe32(out, 0);
    putLe32(out, static_cast<uint32_t>(p.size()));
    putLe32(out, static_cast<uint32_t>(p.size()));
    out.write(reinterpret_cast<const char*>(p.data()), static_cast<std::streamsize>(p.size()));
  }
}

/// Writes `packets` to a temporary pcap, runs tshark on it with `args` (options and -e fields)
/// and returns its output one row per packet (stderr dropped).
inline std::vector<std::string> tsharkRows(const std::vector<Bytes>& packets,
                                           const std::string& args) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("bh_tshark_" + std::to_string(::getpid()) + ".pcap"))
                               .string();
  writePcap(path, packets);
  const std::string cmd = std::string(kTshark) + " -r " + path + " " + args + " 2>/dev/null";
  std::string out;
  if (FILE* pipe = ::popen(cmd.c_str(), "r")) {
    char buf[4096];
    while (std::fgets(buf, sizeof(buf), pipe) != nullptr) {
      out += buf;
    }
    ::pclose(pipe);
  }
  std::filesystem::remove(path);
  std::vector<std::string> rows;
  for (size_t at = 0, nl; (nl = out.find('\n', at)) != std::string::npos; at = nl + 1) {
    rows.push_back(out.substr(at, nl - at));
  }
  return rows;
}

/// An IPv4 header (no options, checksum set) for a payload of `payloadBytes` of `protocol`.
inline Bytes ipv4Header(uint32_t src, uint32_t dst, uint8_t protocol, size_t payloadBytes) {
  const size_t total = 20 + payloadBytes;
  Bytes h = {0x45,
             0,
             uint8_t(total >> 8),
             uint8_t(total),
             0,
             1,
             0x40,
             0,
             64,
             protocol,
             0,
             0,
             uint8_t(src >> 24),
             uint8_t(src >> 16),
             uint8_t(src >> 8),
             uint8_t(src),
             uint8_t(dst >> 24),
             uint8_t(dst >> 16),
             uint8_t(dst >> 8),
             uint8_t(dst)};
  uint32_t sum = 0;
  for (size_t i = 0; i < h.size(); i += 2) {
    sum += (uint32_t{h[i]} << 8) | h[i + 1];
  }
  sum = (sum >> 16) + (sum & 0xffff);
  sum += sum >> 16;
  const uint16_t c = static_cast<uint16_t>(~sum);
  h[10] = uint8_t(c >> 8);
  h[11] = uint8_t(c);
  return h;
}

}  // namespace bh::test
