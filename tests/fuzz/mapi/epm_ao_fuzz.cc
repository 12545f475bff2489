// Fuzz target: EpmAccelerator over both directions of one connection. The input is split into
// chunks at the separator 01 D5 CA 7A (as in dcerpc_fuzz.cc); the low bit of a chunk's first
// byte picks the direction (0 client, 1 server), the rest is one segment. Invariants: the AO
// never installs a rule it could not justify (port 0, a non-EPM user id, more than the cap per
// response) and its counters stay consistent.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mapi/epm_ao/epm_accelerator.h"

using namespace bh;
using namespace bh::mapi::epm_ao;

namespace {

constexpr uint8_t kSeparator[4] = {0x01, 0xd5, 0xca, 0x7a};

/// Takes every EMSMDB endpoint (as the shipped policy's EPM map would) and checks what the AO
/// hands out: never port 0, IPv4 only.
class Sink : public EndpointSink {
 public:
  bool onMappedEndpoint(const MappedEndpoint& endpoint) override {
    if (endpoint.port == 0 || !endpoint.address.isV4()) {
      std::abort();
    }
    if (endpoint.interfaceUuid != "a4f1db00-ca47-1067-b31f-00dd010662da") {
      return false;
    }
    ++rules;
    return true;
  }
  uint64_t rules = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  EpmCounters counters;
  Sink sink;
  EpmAoLimits limits;
  {
    EpmAccelerator ao(*IpAddress::parse("10.91.4.2"), sink, counters, limits);
    size_t start = 0;
    while (start < size) {
      size_t end = start;
      while (end < size && !(end + 4 <= size && std::memcmp(data + end, kSeparator, 4) == 0)) {
        ++end;
      }
      if (end > start) {
        ByteSpan chunk(data + start + 1, end - start - 1);
        if ((data[start] & 1) == 0) {
          ao.onClientData(chunk);
        } else {
          ao.onServerData(chunk);
        }
      }
      start = end + 4;
    }
    if (ao.outstandingCalls() > limits.maxOutstandingCalls ||
        (ao.state() == EpmAoState::Stopped && ao.outstandingCalls() != 0)) {
      std::abort();
    }
  }
  if (counters.currentActiveConnections != 0 || counters.totalHandledConnections != 1 ||
      counters.totalDynamicRulesInstalled != sink.rules ||
      sink.rules > counters.totalResponsesSuccessfullyParsed * limits.maxRulesPerResponse ||
      counters.totalConnectionsStopped > 1) {
    std::abort();
  }
  return 0;
}
