// Fuzz target `service_group`: a web cache's service group fed arbitrary datagrams as if from
// its router (the input split at 0xFF 0x57 0x43 0x50 into several datagrams, time advancing
// 1 s each), with and without a password, ticking between them. Asserts: no crash, no read out
// of bounds (ASan); everything it sends decodes and carries its service.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "redirect/wccp/service_group.h"

using namespace bh;
using namespace bh::redirect::wccp;

namespace {

constexpr uint8_t kSeparator[4] = {0xff, 0x57, 0x43, 0x50};

void check(const std::vector<Datagram>& out) {
  for (const auto& d : out) {
    Message m;
    if (!decodeMessage(d.payload, m).ok() || m.find<ServiceInfo>() == nullptr ||
        m.find<ServiceInfo>()->id != 61) {
      std::abort();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (bool secured : {true, false}) {
    ServiceGroupConfig c;
    c.service.type = ServiceType::Dynamic;
    c.service.id = 61;
    c.service.priority = 34;
    c.service.protocol = 6;
    c.service.flags = service_flags::kSrcIpHash;
    if (secured) {
      c.password = Md5Password::make("bh61pw");
    }
    c.self = 0x0a5b0105;
    c.routers = {0x0a5b0101};
    ServiceGroup g(c);
    uint64_t now = 0;
    size_t start = 0;
    while (start <= size) {
      size_t end = start;
      while (end < size && !(end + 4 <= size && std::memcmp(data + end, kSeparator, 4) == 0)) {
        ++end;
      }
      g.onDatagram(0x0a5b0101, ByteSpan(data + start, end - start), now);
      check(g.tick(now));
      now += 1000;
      start = end + 4;
    }
    check(g.tick(now + 60'000));
  }
  return 0;
}
