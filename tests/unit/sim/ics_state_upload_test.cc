// IcsStateUpload alone: which tags a context takes, one property at a time, concatenation, the
// per-property cap, and the first-sync-only rule (an empty state is fine, any other refused).
#include "sim/ics_state_upload.h"

#include <doctest/doctest.h>

#include "sim/rops.h"

using namespace bh;
using namespace bh::sim;

namespace {

constexpr size_t kCap = 1 << 20;

}  // namespace

TEST_CASE("ICS state properties by context kind (MS-OXCFXICS 3.3.4.3.1)") {
  for (uint32_t tag :
       {rops::kMetaTagIdsetGiven, rops::kMetaTagIdsetGivenBinary, rops::kMetaTagCnsetSeen,
        rops::kMetaTagCnsetSeenFAI, rops::kMetaTagCnsetRead}) {
    CAPTURE(tag);
    CHECK(isIcsStateProperty(kSynchronizationContents, tag));
  }
  CHECK(isIcsStateProperty(kSynchronizationHierarchy, rops::kMetaTagIdsetGiven));
  CHECK(isIcsStateProperty(kSynchronizationHierarchy, rops::kMetaTagCnsetSeen));
  CHECK_FALSE(isIcsStateProperty(kSynchronizationHierarchy, rops::kMetaTagCnsetSeenFAI));
  CHECK_FALSE(isIcsStateProperty(kSynchronizationHierarchy, rops::kMetaTagCnsetRead));
  // Other tags, the right id with another type, an unknown synchronization type.
  CHECK_FALSE(isIcsStateProperty(kSynchronizationContents, rops::kPidTagSubject));
  CHECK_FALSE(isIcsStateProperty(kSynchronizationContents, 0x6796001e));
  CHECK_FALSE(isIcsStateProperty(0x03, rops::kMetaTagCnsetSeen));
}

TEST_CASE("an empty state (a first sync's) is taken; the stream starts after it") {
  IcsStateUpload up(kSynchronizationContents, kCap);
  for (uint32_t tag : {rops::kMetaTagIdsetGiven, rops::kMetaTagCnsetSeen,
                       rops::kMetaTagCnsetSeenFAI, rops::kMetaTagCnsetRead}) {
    CHECK(up.begin(tag, 0) == rops::kSuccess);
    CHECK(up.uploading());
    CHECK(up.property() == tag);
    CHECK(up.end() == rops::kSuccess);
    CHECK_FALSE(up.uploading());
  }
  // A Continue with no data keeps the value empty (3.3.5.8.3 says to skip it; it is not wrong).
  CHECK(up.begin(rops::kMetaTagCnsetSeen, 0) == rops::kSuccess);
  CHECK(up.append(ByteSpan()) == rops::kSuccess);
  CHECK(up.end() == rops::kSuccess);
  CHECK(up.startDownload() == rops::kSuccess);
  CHECK(up.startDownload() == rops::kSuccess);  // every GetBuffer asks
  // Once the stream started, the state can no longer change.
  CHECK(up.begin(rops::kMetaTagCnsetSeen, 0) == rops::kGeneralFailure);
}

TEST_CASE("no state at all: the stream starts at once") {
  IcsStateUpload up(kSynchronizationContents, kCap);
  CHECK(up.startDownload() == rops::kSuccess);
}

TEST_CASE("one property at a time; Continue and End need a Begin") {
  IcsStateUpload up(kSynchronizationContents, kCap);
  CHECK(up.append(Bytes{1}) == rops::kGeneralFailure);
  CHECK(up.end() == rops::kGeneralFailure);
  REQUIRE(up.begin(rops::kMetaTagIdsetGiven, 0) == rops::kSuccess);
  CHECK(up.begin(rops::kMetaTagCnsetSeen, 0) == rops::kGeneralFailure);
  CHECK(up.property() == rops::kMetaTagIdsetGiven);  // the refused Begin changed nothing
  CHECK(up.startDownload() == rops::kGeneralFailure);
  CHECK(up.end() == rops::kSuccess);
  CHECK(up.begin(rops::kMetaTagCnsetSeen, 0) == rops::kSuccess);
  CHECK(up.end() == rops::kSuccess);
  CHECK(up.startDownload() == rops::kSuccess);
}

TEST_CASE("a tag that is no state property of the context is refused, and starts nothing") {
  IcsStateUpload contents(kSynchronizationContents, kCap);
  CHECK(contents.begin(rops::kPidTagSubject, 0) == rops::kInvalidParameter);
  CHECK_FALSE(contents.uploading());
  CHECK(contents.startDownload() == rops::kSuccess);
  IcsStateUpload hierarchy(kSynchronizationHierarchy, kCap);
  CHECK(hierarchy.begin(rops::kMetaTagCnsetSeenFAI, 0) == rops::kInvalidParameter);
  CHECK(hierarchy.begin(rops::kMetaTagCnsetRead, 0) == rops::kInvalidParameter);
  CHECK(hierarchy.begin(rops::kMetaTagIdsetGivenBinary, 0) == rops::kSuccess);
}

TEST_CASE("Continue concatenates; a non-empty state is refused at End, and so is the stream") {
  IcsStateUpload up(kSynchronizationContents, kCap);
  REQUIRE(up.begin(rops::kMetaTagCnsetSeen, 7) == rops::kSuccess);
  CHECK(up.append(Bytes{1, 2, 3}) == rops::kSuccess);
  CHECK(up.append(Bytes{4, 5, 6, 7}) == rops::kSuccess);
  CHECK(up.value() == Bytes{1, 2, 3, 4, 5, 6, 7});
  CHECK(up.end() == rops::kNoSupport);
  CHECK_FALSE(up.uploading());
  CHECK(up.startDownload() == rops::kNoSupport);
  CHECK(up.startDownload() == rops::kNoSupport);
}

TEST_CASE("the value of one property is capped; what went over still counts as a state") {
  IcsStateUpload up(kSynchronizationContents, kCap);
  CHECK(up.begin(rops::kMetaTagCnsetSeen, kCap + 1) == rops::kTooBig);
  CHECK_FALSE(up.uploading());
  REQUIRE(up.begin(rops::kMetaTagCnsetSeen, kCap) == rops::kSuccess);
  Bytes most(kCap - 10, 0x11);
  CHECK(up.append(most) == rops::kSuccess);
  CHECK(up.append(Bytes(11, 0x22)) == rops::kTooBig);
  CHECK(up.value().size() == kCap - 10);  // nothing of the refused Continue was kept
  CHECK(up.append(Bytes(10, 0x33)) == rops::kSuccess);
  CHECK(up.value().size() == kCap);
  CHECK(up.append(Bytes(1, 0x44)) == rops::kTooBig);
  CHECK(up.end() == rops::kNoSupport);

  // A state whose only Continue was refused for its size is still not empty.
  IcsStateUpload small(kSynchronizationContents, 4);
  REQUIRE(small.begin(rops::kMetaTagCnsetRead, 0) == rops::kSuccess);
  CHECK(small.append(Bytes(5, 0x55)) == rops::kTooBig);
  CHECK(small.value().empty());
  CHECK(small.end() == rops::kNoSupport);
  CHECK(small.startDownload() == rops::kNoSupport);
}
