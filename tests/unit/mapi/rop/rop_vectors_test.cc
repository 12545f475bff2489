// Golden ROP buffers (tests/vectors/rop/make_vectors.py, built from MS-OXCROPS layouts with
// struct): decode, check ids, handle tables and key fields, re-encode byte-identically.
#include <doctest/doctest.h>

#include "mapi/rop/rop_buffer.h"
#include "tests/unit/mapi/emsmdb/emsmdb_test_util.h"

using namespace bh;
using namespace bh::mapi::rop;
using bh::mapi::emsmdb::testing::manifest;
using bh::mapi::emsmdb::testing::readVector;

namespace {

nlohmann::json entry(const std::string& name) {
  for (const auto& v : manifest("rop")) {
    if (v["name"] == name) {
      return v;
    }
  }
  FAIL("no vector " << name);
  return {};
}

ResponseContext contextFor(const nlohmann::json& f) {
  ResponseContext ctx;
  if (f.contains("columns")) {
    ctx.columns[f["table_handle"].get<uint8_t>()] = f["columns"].get<std::vector<uint32_t>>();
  }
  if (f.contains("tags")) {
    ctx.propertyTags[f["props_handle"].get<uint8_t>()] = f["tags"].get<std::vector<uint32_t>>();
  }
  return ctx;
}

}  // namespace

TEST_CASE("Rop vectors decode to the generator's ROPs and re-encode identically") {
  auto all = manifest("rop");
  REQUIRE(all.size() >= 15);
  for (const auto& v : all) {
    std::string name = v["name"];
    CAPTURE(name);
    Bytes wire = readVector("rop", name + ".bin");
    REQUIRE(!wire.empty());
    const auto& f = v["fields"];
    std::vector<uint8_t> ids;
    std::vector<uint32_t> handles;
    if (v["kind"] == "request") {
      RopRequestBuffer b;
      ParseResult r = decodeRequestBuffer(wire, b);
      if (f.contains("unsupported")) {
        CHECK(r.status == ParseStatus::Error);
        REQUIRE(b.unsupportedRopId.has_value());
        CHECK(*b.unsupportedRopId == f["unsupported"].get<uint8_t>());
        continue;
      }
      REQUIRE_MESSAGE(r.ok(), r.error);
      for (const auto& rop : b.rops) {
        ids.push_back(static_cast<uint8_t>(ropIdOf(rop)));
      }
      handles = b.serverObjectHandleTable;
      CHECK(encodeRequestBuffer(b) == wire);
    } else {
      RopResponseBuffer b;
      ParseResult r = decodeResponseBuffer(wire, b, contextFor(f));
      if (f.contains("malformed")) {
        CHECK(r.status == ParseStatus::Error);
        continue;
      }
      REQUIRE_MESSAGE(r.ok(), r.error);
      for (const auto& rop : b.rops) {
        ids.push_back(static_cast<uint8_t>(ropIdOf(rop)));
      }
      handles = b.serverObjectHandleTable;
      CHECK(encodeResponseBuffer(b) == wire);
    }
    CHECK(ids == v["rops"].get<std::vector<uint8_t>>());
    CHECK(handles == v["handles"].get<std::vector<uint32_t>>());
  }
}

TEST_CASE("Rop request vectors carry the fields the generator wrote") {
  RopRequestBuffer b;
  REQUIRE(decodeRequestBuffer(readVector("rop", "req_attachment_read.bin"), b).ok());
  const auto& read = std::get<RopReadStreamRequest>(b.rops[4]);
  CHECK(read.byteCount == kByteCountUseMaximum);
  CHECK(read.maximumByteCount == 31744);
  CHECK(read.requestedBytes() == 31744);
  CHECK(read.inputHandleIndex == 5);
  CHECK(std::get<RopOpenStreamRequest>(b.rops[3]).propertyTag == 0x37010102);
  CHECK(std::get<RopOpenMessageRequest>(b.rops[0]).messageId == 0x0001000000001234);

  REQUIRE(decodeRequestBuffer(readVector("rop", "req_fast_transfer.bin"), b).ok());
  const auto& babe = std::get<RopFastTransferSourceGetBufferRequest>(b.rops[1]);
  CHECK(babe.requestedBytes() == 31680);
  CHECK(std::get<RopFastTransferSourceGetBufferRequest>(b.rops[2]).requestedBytes() == 0x7bc0);
  const auto& sync = std::get<RopSynchronizationConfigureRequest>(b.rops[3]);
  CHECK(sync.restrictionData.size() == 8);
  CHECK(sync.synchronizationExtraFlags == 0xf);
  CHECK(sync.propertyTags == std::vector<uint32_t>{0x0E080003, 0x65E20102});

  REQUIRE(decodeRequestBuffer(readVector("rop", "req_logon_private.bin"), b).ok());
  const auto& logon = std::get<RopLogonRequest>(b.rops[0]);
  CHECK(logon.essdn.size() == entry("req_logon_private")["fields"]["essdn_size"].get<size_t>());
  CHECK(logon.openFlags == 0x01000C00);
  CHECK(!inputHandleIndex(b.rops[0]).has_value());

  // MS-OXCPRPT 4.4.1.1's own RopOpenStream bytes: 2B 01 00 01 02 01 9A 0E 01.
  REQUIRE(decodeRequestBuffer(readVector("rop", "req_spec_open_stream.bin"), b).ok());
  const auto& os = std::get<RopOpenStreamRequest>(b.rops[0]);
  CHECK(os.logonId == 1);
  CHECK(os.inputHandleIndex == 0);
  CHECK(os.outputHandleIndex == 1);
  CHECK(os.propertyTag == 0x0E9A0102);
  CHECK(os.openModeFlags == 1);

  // ICS state upload chained behind RopSynchronizationConfigure: every Begin / Continue / End
  // names the context Configure put at its OutputHandleIndex.
  auto ics = entry("req_ics_state_upload")["fields"];
  REQUIRE(decodeRequestBuffer(readVector("rop", "req_ics_state_upload.bin"), b).ok());
  const auto& configure = std::get<RopSynchronizationConfigureRequest>(b.rops[0]);
  CHECK(configure.outputHandleIndex == ics["sync_handle_index"].get<uint8_t>());
  std::vector<uint32_t> stateProperties;
  Bytes streamData;
  for (size_t i = 1; i < b.rops.size(); ++i) {
    CAPTURE(i);
    CHECK(inputHandleIndex(b.rops[i]) == configure.outputHandleIndex);
    if (const auto* begin =
            std::get_if<RopSynchronizationUploadStateStreamBeginRequest>(&b.rops[i])) {
      stateProperties.push_back(begin->stateProperty);
      CHECK(begin->transferBufferSize ==
            (begin->stateProperty == 0x67960102 ? ics["stream_data_size"].get<uint32_t>() : 0u));
    } else if (const auto* more =
                   std::get_if<RopSynchronizationUploadStateStreamContinueRequest>(&b.rops[i])) {
      streamData.insert(streamData.end(), more->streamData.begin(), more->streamData.end());
    } else {
      CHECK(std::holds_alternative<RopSynchronizationUploadStateStreamEndRequest>(b.rops[i]));
    }
  }
  CHECK(stateProperties == ics["state_properties"].get<std::vector<uint32_t>>());
  CHECK(streamData.size() == ics["stream_data_size"].get<size_t>());

  REQUIRE(decodeRequestBuffer(readVector("rop", "req_props_receive_hierarchy.bin"), b).ok());
  CHECK(std::get<RopGetReceiveFolderRequest>(b.rops[1]).messageClass == "IPM.Note");
  ResponseContext ctx = responseContextFor(b);
  CHECK(ctx.propertyTags.at(1).size() == 7);
}

TEST_CASE("Rop response vectors carry the fields the generator wrote") {
  RopResponseBuffer b;
  REQUIRE(decodeResponseBuffer(readVector("rop", "resp_logon_private.bin"), b).ok());
  const auto& priv = std::get<RopLogonResponse>(b.rops[0]);
  CHECK(priv.isPrivate());
  CHECK(priv.logonTime.year == 2024);
  CHECK(priv.folderIds[12] == 0x0001000000000001 + 12);
  REQUIRE(decodeResponseBuffer(readVector("rop", "resp_logon_public.bin"), b).ok());
  CHECK(!std::get<RopLogonResponse>(b.rops[0]).isPrivate());
  CHECK(std::get<RopLogonResponse>(b.rops[0]).replId == 2);
  REQUIRE(decodeResponseBuffer(readVector("rop", "resp_logon_redirect.bin"), b).ok());
  const auto& redirect = std::get<RopLogonResponse>(b.rops[0]);
  CHECK(redirect.isRedirect());
  CHECK(std::string(redirect.serverName.begin(), redirect.serverName.end() - 1) ==
        "mbx02.example.test");

  auto f = entry("resp_folder_table")["fields"];
  REQUIRE(decodeResponseBuffer(readVector("rop", "resp_folder_table.bin"), b, contextFor(f)).ok());
  CHECK(std::get<RopOpenFolderResponse>(b.rops[0]).servers.size() == 2);
  CHECK(std::get<RopGetContentsTableResponse>(b.rops[1]).rowCount == 17);
  const auto& rows = std::get<RopQueryRowsResponse>(b.rops[3]);
  CHECK(!rows.opaque);
  REQUIRE(rows.rows.size() == 2);
  CHECK(rows.rows[0].values[1].raw.size() == 12);  // "Hello" in UTF-16 plus its terminator
  CHECK(rows.rows[1].flag == kFlaggedPropertyRow);
  CHECK(rows.rows[1].values[1].flag == 0x01);  // absent
  CHECK(rows.rows[1].values[2].flag == 0x0a);  // error code in place of the binary
  // Without the columns, the rows stay opaque and still re-encode identically.
  Bytes wire = readVector("rop", "resp_folder_table.bin");
  REQUIRE(decodeResponseBuffer(wire, b).ok());
  CHECK(std::get<RopQueryRowsResponse>(b.rops[3]).opaque);
  CHECK(encodeResponseBuffer(b) == wire);

  REQUIRE(decodeResponseBuffer(readVector("rop", "resp_attachment_read.bin"), b).ok());
  CHECK(std::get<RopReadStreamResponse>(b.rops[4]).data.size() ==
        entry("resp_attachment_read")["fields"]["data_size"].get<size_t>());
  CHECK(std::get<RopOpenStreamResponse>(b.rops[3]).streamSize == (1u << 20));
  const auto& msg = std::get<RopOpenMessageResponse>(b.rops[0]);
  CHECK(msg.recipientRows.size() == 1);
  CHECK(msg.normalizedSubject.stringType == 4);

  REQUIRE(decodeResponseBuffer(readVector("rop", "resp_stream_ops.bin"), b).ok());
  CHECK(std::get<RopReadStreamResponse>(b.rops[0]).returnValue == 0x80040102);
  CHECK(std::get<RopWriteStreamResponse>(b.rops[6]).returnValue == 0x80030309);
  CHECK(std::get<RopSeekStreamResponse>(b.rops[2]).newPosition == 0x10);
  CHECK(std::get<RopGetStreamSizeResponse>(b.rops[4]).streamSize == 0x12345);

  REQUIRE(decodeResponseBuffer(readVector("rop", "resp_fast_transfer.bin"), b).ok());
  const auto& gb = std::get<RopFastTransferSourceGetBufferResponse>(b.rops[1]);
  CHECK(gb.transferStatus == static_cast<uint16_t>(TransferStatus::Partial));
  CHECK(gb.totalStepCount == 10);
  CHECK(gb.transferBuffer.size() ==
        entry("resp_fast_transfer")["fields"]["transfer_buffer_size"].get<size_t>());
  CHECK(std::get<RopFastTransferSourceGetBufferResponse>(b.rops[2]).backoffTime == 250);
  const auto& small = std::get<RopBufferTooSmallResponse>(b.rops[4]);
  CHECK(small.sizeNeeded == 0x2000);
  RopRequestBuffer unexecuted;  // RequestBuffers is a RopsList, without RopSize
  Bytes rebuilt = {0, 0};
  rebuilt.insert(rebuilt.end(), small.requestBuffers.begin(), small.requestBuffers.end());
  rebuilt[0] = static_cast<uint8_t>(rebuilt.size());
  REQUIRE(decodeRequestBuffer(rebuilt, unexecuted).ok());
  CHECK(std::get<RopFastTransferSourceGetBufferRequest>(unexecuted.rops[0]).requestedBytes() ==
        31680);

  auto ics = entry("resp_ics_state_upload")["fields"];
  REQUIRE(decodeResponseBuffer(readVector("rop", "resp_ics_state_upload.bin"), b).ok());
  CHECK(std::get<RopSynchronizationUploadStateStreamBeginResponse>(b.rops[1]).handleIndex == 1);
  CHECK(std::get<RopSynchronizationUploadStateStreamContinueResponse>(b.rops[4]).returnValue == 0);
  CHECK(std::get<RopSynchronizationUploadStateStreamEndResponse>(b.rops[6]).returnValue ==
        ics["end_error"].get<uint32_t>());
  CHECK(std::get<RopSynchronizationUploadStateStreamBeginResponse>(b.rops[7]).returnValue ==
        ics["begin_error"].get<uint32_t>());

  auto p = entry("resp_props_receive_hierarchy")["fields"];
  REQUIRE(
      decodeResponseBuffer(readVector("rop", "resp_props_receive_hierarchy.bin"), b, contextFor(p))
          .ok());
  CHECK(std::get<RopGetReceiveFolderResponse>(b.rops[0]).explicitMessageClass == "IPM");
  const auto& props = std::get<RopGetPropertiesSpecificResponse>(b.rops[2]);
  REQUIRE(props.rowData.values.size() == 7);
  CHECK(props.rowData.values[2].raw == Bytes{'I', 'P', 'M', '.', 'N', 'o', 't', 'e', 0});
  CHECK(props.rowData.values[5].raw == Bytes{1});
}
