// ROP buffer framing (MS-OXCROPS 2.2.1): truncation, caps, unsupported ROPs, malformed fields,
// and round trips of buffers built through the typed API.
#include "mapi/rop/rop_buffer.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/unit/mapi/emsmdb/emsmdb_test_util.h"

using namespace bh;
using namespace bh::mapi::rop;
using bh::mapi::emsmdb::testing::manifest;
using bh::mapi::emsmdb::testing::readVector;

TEST_CASE("RopBuffer prefixes cut inside the RopsList are need-more, never success") {
  for (const auto& v : manifest("rop")) {
    std::string name = v["name"];
    if (v["fields"].contains("malformed") || v["fields"].contains("unsupported")) {
      continue;
    }
    CAPTURE(name);
    Bytes wire = readVector("rop", name + ".bin");
    size_t ropSize = wire[0] | (wire[1] << 8);
    for (size_t cut = 0; cut < wire.size(); ++cut) {
      ByteSpan prefix = ByteSpan(wire).first(cut);
      ParseResult r;
      size_t decodedHandles = 0;
      if (v["kind"] == "request") {
        RopRequestBuffer b;
        r = decodeRequestBuffer(prefix, b);
        decodedHandles = b.serverObjectHandleTable.size();
      } else {
        RopResponseBuffer b;
        r = decodeResponseBuffer(prefix, b);
        decodedHandles = b.serverObjectHandleTable.size();
      }
      if (cut < ropSize) {
        CHECK_MESSAGE(r.status == ParseStatus::NeedMore, "cut " << cut);
        CHECK(r.needed == (cut < 2 ? 2 : ropSize));
      } else if ((cut - ropSize) % 4 != 0) {
        CHECK(r.status == ParseStatus::Error);
      } else {
        // The handle table's length comes from the caller's framing (RPC_HEADER_EXT.Size):
        // a shorter table is a different buffer, and it shows.
        CHECK(r.ok());
        CHECK(decodedHandles < v["handles"].size());
      }
    }
  }
}

TEST_CASE("RopBuffer caps ROP count and handle table size") {
  RopRequestBuffer b;
  for (int i = 0; i < 10; ++i) {
    RopReleaseRequest rel;
    rel.inputHandleIndex = static_cast<uint8_t>(i);
    b.rops.push_back(rel);
  }
  b.serverObjectHandleTable.assign(10, 0xffffffff);
  Bytes wire = encodeRequestBuffer(b);
  RopLimits limits;
  limits.maxRops = 9;
  RopRequestBuffer out;
  CHECK(decodeRequestBuffer(wire, out, limits).status == ParseStatus::Error);
  CHECK(out.rops.size() <= 9);
  limits.maxRops = 10;
  REQUIRE(decodeRequestBuffer(wire, out, limits).ok());
  CHECK(out == b);
  limits.maxHandles = 9;
  CHECK(decodeRequestBuffer(wire, out, limits).status == ParseStatus::Error);
  // Defaults: 256 handles fit, 257 do not.
  b.serverObjectHandleTable.assign(257, 1);
  CHECK(decodeRequestBuffer(encodeRequestBuffer(b), out).status == ParseStatus::Error);
  b.serverObjectHandleTable.assign(256, 1);
  CHECK(decodeRequestBuffer(encodeRequestBuffer(b), out).ok());
  // Default ROP cap: 128.
  b.rops.assign(129, RopReleaseRequest{});
  CHECK(decodeRequestBuffer(encodeRequestBuffer(b), out).status == ParseStatus::Error);
  b.rops.assign(128, RopReleaseRequest{});
  CHECK(decodeRequestBuffer(encodeRequestBuffer(b), out).ok());
}

TEST_CASE("RopBuffer stops at an unknown RopId with a well-defined error") {
  Bytes wire = readVector("rop", "req_unsupported.bin");
  RopRequestBuffer out;
  ParseResult r = decodeRequestBuffer(wire, out);
  CHECK(r.status == ParseStatus::Error);
  REQUIRE(out.unsupportedRopId.has_value());
  CHECK(*out.unsupportedRopId == 0x08);
  CHECK(r.error.find("unsupported ROP 0x08") != std::string::npos);
  // RopBufferTooSmall is response-only; RopRelease has no response.
  Bytes tooSmall = {0x06, 0x00, 0xff, 0x00, 0x00, 0x00};
  CHECK(decodeRequestBuffer(tooSmall, out).status == ParseStatus::Error);
  CHECK(out.unsupportedRopId == 0xff);
  RopResponseBuffer resp;
  Bytes release = {0x06, 0x00, 0x01, 0x00, 0x00, 0x00};
  CHECK(decodeResponseBuffer(release, resp).status == ParseStatus::Error);
  CHECK(resp.unsupportedRopId == 0x01);
}

TEST_CASE("RopBuffer rejects malformed framing and fields") {
  RopRequestBuffer out;
  CHECK(decodeRequestBuffer(Bytes{0x01, 0x00}, out).status == ParseStatus::Error);  // RopSize 1
  // RopReadStream 0xBABE whose MaximumByteCount runs past RopSize.
  Bytes cut = {0x08, 0x00, 0x2c, 0x00, 0x01, 0xbe, 0xba, 0x00};
  CHECK(decodeRequestBuffer(cut, out).status == ParseStatus::Error);
  // RopWriteStream whose DataSize is larger than what follows.
  Bytes write = {0x0a, 0x00, 0x2d, 0x00, 0x01, 0x09, 0x00, 'a', 'b', 'c'};
  CHECK(decodeRequestBuffer(write, out).status == ParseStatus::Error);
  // RopLogon with an Essdn lacking its terminator.
  Bytes logon = {0x11, 0x00, 0xfe, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 'a', 'b'};
  logon[0] = static_cast<uint8_t>(logon.size());
  CHECK(decodeRequestBuffer(logon, out).status == ParseStatus::Error);
  // A PropertyTagCount larger than the bytes left.
  Bytes tags = {0x0a, 0x00, 0x12, 0x00, 0x01, 0x00, 0xff, 0x7f, 0, 0};
  CHECK(decodeRequestBuffer(tags, out).status == ParseStatus::Error);
  // A RopQueryRows response whose RowCount exceeds the bytes left (with columns known).
  ResponseContext ctx;
  ctx.columns[1] = {0x00030003};
  Bytes rows = {0, 0, 0x15, 0x01, 0, 0, 0, 0, 0x02, 0xff, 0xff, 0x00, 1, 0, 0, 0};
  rows[0] = static_cast<uint8_t>(rows.size());
  RopResponseBuffer resp;
  CHECK(decodeResponseBuffer(rows, resp, ctx).status == ParseStatus::Error);
  // A property row with a type whose size cannot be derived (PtypObject 0x000D).
  ctx.columns[1] = {0x3701000D};
  Bytes obj = {0, 0, 0x15, 0x01, 0, 0, 0, 0, 0x02, 0x01, 0x00, 0x00, 1, 2, 3, 4};
  obj[0] = static_cast<uint8_t>(obj.size());
  CHECK(decodeResponseBuffer(obj, resp, ctx).status == ParseStatus::Error);
  // Ghosted RopOpenFolder announcing more servers than bytes.
  Bytes ghost = {0, 0, 0x02, 0x01, 0, 0, 0, 0, 0x00, 0x01, 0xff, 0x00, 0x01, 0x00, 'a', 0};
  ghost[0] = static_cast<uint8_t>(ghost.size());
  CHECK(decodeResponseBuffer(ghost, resp).status == ParseStatus::Error);
  // TransferStatus beyond Done.
  Bytes status = {0, 0, 0x4e, 0x01, 0, 0, 0, 0, 0x09, 0x00, 0, 0, 0, 0, 0, 0x00, 0x00};
  status[0] = static_cast<uint8_t>(status.size());
  CHECK(decodeResponseBuffer(status, resp).status == ParseStatus::Error);
}

TEST_CASE("RopBuffer: ICS state upload ROPs cut anywhere by RopSize are malformed") {
  // A RopSize that ends the RopsList inside a Begin, a Continue (in its StreamDataSize or its
  // StreamData) or an End leaves a ROP short: Error. Ending it between two ROPs is a shorter,
  // valid list.
  Bytes wire = readVector("rop", "req_ics_state_upload.bin");
  RopRequestBuffer whole;
  REQUIRE(decodeRequestBuffer(wire, whole).ok());
  size_t ropSize = wire[0] | (wire[1] << 8);
  ByteSpan handles = ByteSpan(wire).subspan(ropSize);
  std::vector<size_t> boundaries = {2};
  for (const auto& rop : whole.rops) {
    RopRequestBuffer one{{rop}, {}, {}};
    boundaries.push_back(boundaries.back() + encodeRequestBuffer(one).size() - 2);
  }
  REQUIRE(boundaries.back() == ropSize);
  size_t errors = 0;
  for (size_t end = 2; end < ropSize; ++end) {
    CAPTURE(end);
    Bytes cut(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(end));
    cut[0] = static_cast<uint8_t>(end);
    cut[1] = static_cast<uint8_t>(end >> 8);
    cut.insert(cut.end(), handles.begin(), handles.end());
    RopRequestBuffer out;
    ParseResult r = decodeRequestBuffer(cut, out);
    auto at = std::find(boundaries.begin(), boundaries.end(), end);
    if (at != boundaries.end()) {
      REQUIRE(r.ok());
      CHECK(out.rops.size() == static_cast<size_t>(at - boundaries.begin()));
    } else {
      CHECK(r.status == ParseStatus::Error);
      ++errors;
    }
  }
  CHECK(errors == ropSize - 1 - boundaries.size());  // every other end point
}

TEST_CASE("RopBuffer: a StreamDataSize beyond the RopsList is malformed before any copy") {
  // RopSynchronizationUploadStateStreamContinue (MS-OXCROPS 2.2.13.10.1): RopId, LogonId,
  // InputHandleIndex, StreamDataSize (u32), StreamData.
  Bytes exact = {0, 0, 0x76, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 'a', 'b', 'c'};
  exact[0] = static_cast<uint8_t>(exact.size());
  RopRequestBuffer out;
  REQUIRE(decodeRequestBuffer(exact, out).ok());
  CHECK(std::get<RopSynchronizationUploadStateStreamContinueRequest>(out.rops[0]).streamData ==
        Bytes{'a', 'b', 'c'});
  Bytes oneOver = exact;
  oneOver[5] = 0x04;
  CHECK(decodeRequestBuffer(oneOver, out).status == ParseStatus::Error);
  Bytes huge = exact;
  huge[5] = huge[6] = huge[7] = huge[8] = 0xff;  // 4 GiB announced in a 12-byte buffer
  CHECK(decodeRequestBuffer(huge, out).status == ParseStatus::Error);
  // StreamDataSize itself cut short, Begin without its TransferBufferSize, End without its
  // InputHandleIndex.
  Bytes shortSize = {0x07, 0x00, 0x76, 0x00, 0x01, 0x00, 0x00};
  CHECK(decodeRequestBuffer(shortSize, out).status == ParseStatus::Error);
  Bytes shortBegin = {0x0b, 0x00, 0x75, 0x00, 0x01, 0x03, 0x00, 0x17, 0x40, 0x00, 0x00};
  CHECK(decodeRequestBuffer(shortBegin, out).status == ParseStatus::Error);
  Bytes shortEnd = {0x04, 0x00, 0x77, 0x00};
  CHECK(decodeRequestBuffer(shortEnd, out).status == ParseStatus::Error);
  // A response header cut inside ReturnValue.
  Bytes shortAnswer = {0x06, 0x00, 0x76, 0x01, 0x00, 0x00};
  RopResponseBuffer resp;
  CHECK(decodeResponseBuffer(shortAnswer, resp).status == ParseStatus::Error);
}

TEST_CASE("RopBuffer typed round trips of every ROP in both directions") {
  RopRequestBuffer req;
  RopLogonRequest logon;
  logon.logonFlags = 1;
  logon.essdn = {'/', 'o', 0};
  req.rops.push_back(logon);
  RopReadStreamRequest read;
  read.byteCount = kByteCountUseMaximum;
  read.maximumByteCount = 31744;
  req.rops.push_back(read);
  RopFastTransferSourceGetBufferRequest gb;
  gb.bufferSize = kBufferSizeUseMaximum;
  gb.maximumBufferSize = 31680;
  req.rops.push_back(gb);
  req.rops.push_back(RopSeekStreamRequest{{0, 1}, 2, 99});
  req.rops.push_back(RopSetStreamSizeRequest{{0, 1}, 1234});
  req.rops.push_back(RopOpenAttachmentRequest{{0, 1}, 2, 0, 7});
  RopSynchronizationUploadStateStreamBeginRequest begin;
  begin.inputHandleIndex = 2;
  begin.stateProperty = 0x67960102;  // MetaTagCnsetSeen
  begin.transferBufferSize = 5;
  req.rops.push_back(begin);
  RopSynchronizationUploadStateStreamContinueRequest more;
  more.inputHandleIndex = 2;
  more.streamData = {1, 2, 3, 4, 5};
  req.rops.push_back(more);
  req.rops.push_back(RopSynchronizationUploadStateStreamContinueRequest{{0, 2}, {}});
  req.rops.push_back(RopSynchronizationUploadStateStreamEndRequest{{0, 2}});
  req.serverObjectHandleTable = {1, 2, 3};
  Bytes wire = encodeRequestBuffer(req);
  RopRequestBuffer back;
  REQUIRE(decodeRequestBuffer(wire, back).ok());
  CHECK(back == req);

  RopResponseBuffer resp;
  RopLogonResponse pub;
  pub.replId = 9;
  pub.perUserGuid[0] = 0xaa;
  resp.rops.push_back(pub);
  RopOpenFolderResponse ghosted;
  ghosted.isGhosted = 1;
  ghosted.cheapServerCount = 1;
  ghosted.servers = {"a", "bb"};
  resp.rops.push_back(ghosted);
  RopFastTransferSourceGetBufferResponse busy;
  busy.returnValue = kErrorServerBusy;
  busy.backoffTime = 500;
  resp.rops.push_back(busy);
  RopFastTransferSourceGetBufferResponse err;
  err.returnValue = 0x80004005;  // other errors: header alone
  resp.rops.push_back(err);
  RopOpenStreamResponse failed;
  failed.returnValue = 0x8004010f;
  resp.rops.push_back(failed);
  RopSynchronizationUploadStateStreamBeginResponse begun;
  begun.handleIndex = 2;
  resp.rops.push_back(begun);
  RopSynchronizationUploadStateStreamContinueResponse tooBig;
  tooBig.handleIndex = 2;
  tooBig.returnValue = 0x80040305;
  resp.rops.push_back(tooBig);
  RopSynchronizationUploadStateStreamEndResponse refused;
  refused.handleIndex = 2;
  refused.returnValue = 0x80040102;
  resp.rops.push_back(refused);
  resp.serverObjectHandleTable = {7};
  wire = encodeResponseBuffer(resp);
  RopResponseBuffer respBack;
  REQUIRE(decodeResponseBuffer(wire, respBack).ok());
  CHECK(respBack == resp);
  // The error forms really are short: header (6 bytes) only.
  Bytes one = encodeResponseBuffer(RopResponseBuffer{{failed}, {}, {}});
  CHECK(one.size() == 2 + 6);
  // The ICS state upload ROPs: header alone, success or not (MS-OXCROPS 2.2.13.9.2 - 2.2.13.11.2).
  for (const RopResponse& r : {RopResponse{begun}, RopResponse{tooBig}, RopResponse{refused}}) {
    CHECK(encodeResponseBuffer(RopResponseBuffer{{r}, {}, {}}).size() == 2 + 6);
  }
  // Requests: Begin 11 bytes, Continue 7 + StreamDataSize, End 3 (2.2.13.9.1 - 2.2.13.11.1).
  CHECK(encodeRequestBuffer(RopRequestBuffer{{begin}, {}, {}}).size() == 2 + 11);
  CHECK(encodeRequestBuffer(RopRequestBuffer{{more}, {}, {}}).size() == 2 + 7 + 5);
  CHECK(encodeRequestBuffer(
            RopRequestBuffer{{RopSynchronizationUploadStateStreamEndRequest{}}, {}, {}})
            .size() == 2 + 3);
}
