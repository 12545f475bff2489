#pragma once

// Messages as Bridgehead and a WCCP router exchange them, for the codec's tests.

#include <arpa/inet.h>

#include <fstream>
#include <iterator>
#include <string>

#include "redirect/wccp/wccp_message.h"

namespace bh::redirect::wccp::test {

inline uint32_t ip(const char* s) {
  in_addr a{};
  ::inet_pton(AF_INET, s, &a);
  return ntohl(a.s_addr);
}

inline Bytes readVector(const std::string& name) {
  std::ifstream in(std::string(BH_SOURCE_DIR) + "/tests/vectors/wccp/" + name + ".bin",
                   std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline ServiceInfo tcpPromiscuous(uint8_t id) {
  ServiceInfo s;
  s.type = ServiceType::Dynamic;
  s.id = id;
  s.priority = 34;
  s.protocol = 6;
  s.flags = id == 61 ? service_flags::kSrcIpHash : service_flags::kDstIpHash;
  return s;
}

inline CapabilityElement capability(CapabilityType type, uint32_t value) {
  return capabilityElement(type, value);
}

/// A HERE_I_AM with MD5 security (digest zero: sign it), one router in the view.
inline Message hereIAm() {
  Message m;
  m.type = MessageType::HereIAm;
  SecurityInfo sec;
  sec.option = SecurityOption::Md5;
  m.components.push_back(sec);
  m.components.push_back(tcpPromiscuous(61));
  WebCacheIdentity me;
  me.address = ip("10.91.1.5");
  me.unassigned = true;
  me.weight = 10000;
  m.components.push_back(me);
  WebCacheViewInfo view;
  view.changeNumber = 1;
  view.routers = {{ip("10.91.1.1"), 7}};
  m.components.push_back(view);
  CapabilityInfo caps;
  caps.elements = {capability(CapabilityType::ForwardingMethod, method::kGre),
                   capability(CapabilityType::AssignmentMethod, method::kHash),
                   capability(CapabilityType::ReturnMethod, method::kGre)};
  m.components.push_back(caps);
  return m;
}

/// A REDIRECT_ASSIGN with a hash assignment over `boxes` boxes in contiguous blocks.
inline Message redirectAssign(size_t boxes) {
  Message m;
  m.type = MessageType::RedirectAssign;
  m.components.push_back(SecurityInfo{});
  m.components.push_back(tcpPromiscuous(61));
  HashAssignment a;
  a.key = {ip("10.91.1.5"), 1};
  a.routers = {{ip("10.91.1.1"), 9, 2}};
  for (size_t i = 0; i < boxes; ++i) {
    a.webCaches.push_back(ip("10.91.1.5") + static_cast<uint32_t>(i));
  }
  for (size_t b = 0; b < 256; ++b) {
    a.buckets[b] = static_cast<uint8_t>(b * boxes / 256);
  }
  m.components.push_back(a);
  return m;
}

}  // namespace bh::redirect::wccp::test
