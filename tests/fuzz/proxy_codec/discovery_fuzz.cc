// Fuzz target `discovery`: findOption / insertOption / stripOption on arbitrary packets.
// Input: byte 0 picks the option format, bytes 1..8 the option to insert, the rest is the IP
// packet. Asserts: nothing reads out of bounds (ASan), every rewritten packet has good checksums,
// and a successful insert is undone exactly by strip.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "proxy/codec/syn_rewrite.h"
#include "proxy/codec/tcp_packet.h"

using namespace bh::proxy::codec;

namespace {

void check(bool ok) {
  if (!ok) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 9) {
    (void)findOption(bh::ByteSpan(data, size));
    return 0;
  }
  const OptionFormat format =
      (data[0] & 1) ? OptionFormat::waasLike()
                    : OptionFormat::experimental((data[0] & 2) ? 0x1234 : kBridgeheadExid);
  DiscoveryOption option;
  for (size_t i = 0; i < option.deviceId.bytes.size(); ++i) {
    option.deviceId.bytes[i] = data[1 + i];
  }
  option.version = data[7] >> 4;
  option.role = static_cast<Role>((data[7] >> 2) & 3);
  option.flags = data[7] & 3;
  option.requestedPolicy = data[8];
  const bh::ByteSpan packet(data + 9, size - 9);

  const FindResult found = findOption(packet, format);
  const std::optional<bh::Bytes> inserted = insertOption(packet, option, format);
  if (inserted) {
    check(found.status == FindStatus::Absent);
    check(verifyChecksums(*inserted));
    const FindResult again = findOption(*inserted, format);
    check(again.status == FindStatus::Found && again.option == option);
    const std::optional<bh::Bytes> back = stripOption(*inserted, format);
    check(back.has_value() && std::equal(back->begin(), back->end(), packet.begin(), packet.end()));
  }
  const std::optional<bh::Bytes> stripped = stripOption(packet, format);
  if (stripped) {
    check(found.status == FindStatus::Found);
    check(verifyChecksums(*stripped));
    check(findOption(*stripped, format).status == FindStatus::Absent);
    check(stripped->size() < packet.size() && (packet.size() - stripped->size()) % 4 == 0);
  }
  return 0;
}
