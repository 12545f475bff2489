// summarizeRequest on the ICS state upload (MS-OXCFXICS 3.3.4.3.1): the Begin / Continue / End
// ROPs name the synchronization context by InputHandleIndex like any other ROP, so a call that
// carries them is decoded and says which server objects it touches.
#include "mapi/mapi_ao/rop_call_summary.h"

#include <doctest/doctest.h>

#include "mapi_ao_test_util.h"

using namespace bh;
using namespace bh::mapi;
using namespace bh::mapi::mapi_ao;
using namespace bh::mapi::mapi_ao::testing;

namespace {

constexpr uint32_t kFolder = 0x00000a10;
constexpr uint32_t kSyncContext = 0x00000a11;
/// What a client puts in the handle slot a ROP of the same call fills (MS-OXCROPS 1.3.2).
constexpr uint32_t kUnset = 0xffffffff;
constexpr uint32_t kMetaTagIdsetGiven = 0x40170003;  // MS-OXCFXICS 2.2.1.1.1
constexpr uint32_t kMetaTagCnsetSeen = 0x67960102;   // MS-OXCFXICS 2.2.1.1.2

rop::RopSynchronizationConfigureRequest configure() {
  rop::RopSynchronizationConfigureRequest c;
  c.inputHandleIndex = 0;
  c.outputHandleIndex = 1;
  c.synchronizationType = 0x01;  // contents
  return c;
}

rop::RopSynchronizationUploadStateStreamBeginRequest begin(uint8_t index, uint32_t tag,
                                                           uint32_t size = 0) {
  rop::RopSynchronizationUploadStateStreamBeginRequest b;
  b.inputHandleIndex = index;
  b.stateProperty = tag;
  b.transferBufferSize = size;
  return b;
}

rop::RopSynchronizationUploadStateStreamEndRequest end(uint8_t index) {
  rop::RopSynchronizationUploadStateStreamEndRequest e;
  e.inputHandleIndex = index;
  return e;
}

RequestSummary summarize(const std::vector<rop::RopRequest>& rops, std::vector<uint32_t> handles) {
  return summarizeRequest(emsmdb::encodeEcDoRpcExt2Request(rpcRequest(rops, std::move(handles))));
}

}  // namespace

TEST_CASE("Configure with the state upload chained behind it decodes and touches its objects") {
  // Outlook's first sync of a folder: the context Configure creates at index 1 is where the
  // Begin / End go, in the same call.
  RequestSummary s = summarize(
      {configure(), begin(1, kMetaTagIdsetGiven), end(1), begin(1, kMetaTagCnsetSeen), end(1)},
      {kFolder, kUnset});
  REQUIRE(s.decoded);
  CHECK_FALSE(s.objectsBounded);  // known exactly, not merely bounded by the handle table
  CHECK_FALSE(s.key.empty());
  CHECK(s.touchedHandles == std::vector<uint32_t>{kFolder, kUnset, kUnset, kUnset, kUnset});
  CHECK(s.releasedHandles.empty());
  CHECK_FALSE(s.onlyReleases);
  CHECK_FALSE(s.candidate.has_value());
  CHECK_FALSE(s.write.has_value());
}

TEST_CASE("a state upload on an existing synchronization context touches that context") {
  rop::RopSynchronizationUploadStateStreamContinueRequest more;
  more.inputHandleIndex = 1;
  more.streamData = Bytes(40, 0x7e);
  RequestSummary s =
      summarize({begin(1, kMetaTagCnsetSeen, 40), more, end(1)}, {kFolder, kSyncContext});
  REQUIRE(s.decoded);
  CHECK(s.touchedHandles == std::vector<uint32_t>{kSyncContext, kSyncContext, kSyncContext});
  CHECK_FALSE(s.candidate.has_value());
  // The key is the question: another state is another question.
  more.streamData[0] ^= 1;
  CHECK(summarize({begin(1, kMetaTagCnsetSeen, 40), more, end(1)}, {kFolder, kSyncContext}).key !=
        s.key);
}

TEST_CASE("a state upload naming a handle slot the table lacks is not judged") {
  // InputHandleIndex 2 in a two-entry table: the summary gives up (neither decoded nor
  // bounded), as for any other ROP, and the AO treats the call as touching anything.
  RequestSummary s =
      summarize({configure(), begin(2, kMetaTagIdsetGiven), end(2)}, {kFolder, kUnset});
  CHECK_FALSE(s.decoded);
  CHECK_FALSE(touchedObjectsKnown(s));
}
