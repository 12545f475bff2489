// Fuzz target: the MAPI AO's protection layer (protected_mapi_filter.h), an edge layer and a
// core layer chained as on a real flow, around pass-through halves, with the fake association
// of the unit tests (tests/unit/mapi/mapi_ao/fake_protection.h; the Kerberos one has its own
// targets in tests/fuzz/secure). The input is split into chunks at the separator 01 D5 CA 7A;
// the low two bits of a chunk's first byte pick where the rest goes: 0 client -> edge layer,
// 1 server -> core layer, 2 raw into the edge's frame stream (a hostile core), 3 raw into the
// core's (a hostile edge). Bit 2: the peer leg's TLS is confirmed now; bit 3: the leg is not
// secured at all. What one layer emits for the other is delivered to it. Invariants: no crash,
// held bytes within kMaxHeldBytes, and once a layer asked for a reset nothing more is fed to it.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "mapi/mapi_ao/protected_mapi_filter.h"
#include "tests/unit/mapi/mapi_ao/fake_protection.h"

using namespace bh;
using namespace bh::mapi::mapi_ao;
using Output = accel::FlowFilter::Output;

namespace {

constexpr uint8_t kSeparator[4] = {0x01, 0xd5, 0xca, 0x7a};

class Relay : public accel::FlowFilter {
 public:
  void onLocalData(ByteSpan d, Output& o) override {
    o.toPeer.insert(o.toPeer.end(), d.begin(), d.end());
  }
  void onPeerData(ByteSpan d, Output& o) override {
    o.toLocal.insert(o.toLocal.end(), d.begin(), d.end());
  }
  bool onLocalEof(Output&) override { return true; }
  bool canFinishTowardsLocal() const override { return true; }
  size_t bufferedBytes() const override { return 0; }
};

struct Events : ProtectionEvents {
  bool* secured;
  bool* securing;
  Events(bool* a, bool* b) : secured(a), securing(b) {}
  bool peerLegSecured() const override { return *secured; }
  bool peerLegSecuring() const override { return *securing; }
};

struct Pair {
  testing::FakeProvider provider;
  bool secured = true, securing = true, dead = false;
  std::unique_ptr<ProtectedMapiFilter> edge, core;
  Pair() {
    edge = makeProtectedEdgeFilter(std::make_unique<Relay>(), &provider,
                                   std::make_unique<Events>(&secured, &securing));
    core = makeProtectedCoreFilter(std::make_unique<Relay>(), &provider,
                                   std::make_unique<Events>(&secured, &securing));
  }
  void settle(Output& o, bool fromEdge, int depth = 0) {
    if (o.reset) {
      dead = true;
      return;
    }
    if (o.toPeer.empty() || depth > 64) {
      return;
    }
    Output next;
    (fromEdge ? core : edge)->onPeerData(o.toPeer, next);
    settle(next, !fromEdge, depth + 1);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Pair p;
  size_t pos = 0;
  while (pos < size && !p.dead) {
    const uint8_t* end =
        static_cast<const uint8_t*>(memmem(data + pos, size - pos, kSeparator, sizeof kSeparator));
    const size_t stop = end ? static_cast<size_t>(end - data) : size;
    if (stop > pos) {
      const uint8_t sel = data[pos];
      ByteSpan chunk(data + pos + 1, stop - pos - 1);
      p.securing = (sel & 8) == 0;
      Output o;
      switch (sel & 3) {
        case 0:
          p.edge->onLocalData(chunk, o);
          p.settle(o, true);
          break;
        case 1:
          p.core->onLocalData(chunk, o);
          p.settle(o, false);
          break;
        case 2:
          p.edge->onPeerData(chunk, o);
          p.settle(o, false);
          break;
        default:
          p.core->onPeerData(chunk, o);
          p.settle(o, true);
          break;
      }
      if ((sel & 4) != 0 && !p.dead) {
        p.secured = true;
        Output s;
        p.core->onPeerLegSecured(s);
        p.settle(s, false);
      } else if ((sel & 4) == 0) {
        p.secured = (sel & 0x10) == 0;
      }
      if (p.edge->bufferedBytes() > 4 * kMaxHeldBytes ||
          p.core->bufferedBytes() > 4 * kMaxHeldBytes) {
        abort();
      }
    }
    pos = end ? stop + sizeof kSeparator : size;
  }
  return 0;
}
