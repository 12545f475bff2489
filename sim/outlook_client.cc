#include "sim/outlook_client.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "mapi/dcerpc/well_known.h"
#include "mapi/epm/ept_map.h"
#include "sim/content.h"
#include "sim/exchange_server.h"
#include "sim/fast_transfer.h"
#include "sim/mailbox.h"

namespace bh::sim {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

constexpr uint32_t kNoHandle = 0xffffffff;

/// The fixed part of a ROP request: RopId, LogonId 0, InputHandleIndex.
void rop(ByteWriter& w, uint8_t id, uint8_t in) {
  w.u8(id);
  w.u8(0);
  w.u8(in);
}

/// The ICS state properties a contents download uploads (MS-OXCFXICS 2.2.1.1.1-4; all four
/// MUST, by the table of 3.3.4.3.1).
constexpr uint32_t kContentsStateProperties[] = {rops::kMetaTagIdsetGiven, rops::kMetaTagCnsetSeen,
                                                 rops::kMetaTagCnsetSeenFAI,
                                                 rops::kMetaTagCnsetRead};

bool expectHeader(ByteReader& r, uint8_t id, uint32_t* rv = nullptr) {
  uint8_t got = r.u8();
  (void)r.u8();  // handle index
  uint32_t v = r.u32();
  if (rv != nullptr) {
    *rv = v;
  }
  return r.ok() && got == id && v == 0;
}

}  // namespace

void OutlookClient::record(RpcClient& conn, const std::string& name) {
  if (options_.recordDir.empty()) {
    return;
  }
  Recording* r = &recordings_[name];
  conn.setRecorder([r](bool fromClient, ByteSpan b) {
    Bytes& out = fromClient ? r->client : r->server;
    out.insert(out.end(), b.begin(), b.end());
  });
}

bool OutlookClient::writeRecordings() {
  for (const auto& [name, r] : recordings_) {
    for (bool client : {true, false}) {
      std::string path = options_.recordDir + "/" + name + (client ? ".client.bin" : ".server.bin");
      std::FILE* f = std::fopen(path.c_str(), "wb");
      const Bytes& b = client ? r.client : r.server;
      if (f == nullptr || std::fwrite(b.data(), 1, b.size(), f) != b.size()) {
        if (f != nullptr) {
          std::fclose(f);
        }
        return false;
      }
      std::fclose(f);
    }
  }
  return true;
}

std::string OpReport::line() const {
  char ui[64] = "";
  if (uiCalls > 0) {
    std::snprintf(ui, sizeof ui, " ui_calls=%llu ui_max=%.3f",
                  static_cast<unsigned long long>(uiCalls), uiMaxSeconds);
  }
  char buf[512];
  std::snprintf(buf, sizeof buf, "op=%s seconds=%.3f bytes=%llu calls=%llu%s sha256=%s ok=%d%s%s",
                name.c_str(), seconds, static_cast<unsigned long long>(bytes),
                static_cast<unsigned long long>(calls), ui, sha256.empty() ? "-" : sha256.c_str(),
                ok ? 1 : 0, detail.empty() ? "" : " detail=", detail.c_str());
  return buf;
}

std::optional<std::array<uint16_t, 3>> clientVersionTriple(const std::string& g) {
  // Old form (second WORD's high bit clear): product major, build major, build minor.
  if (g == "97") {  // Outlook 97 (8.x): older than the AO supports
    return std::array<uint16_t, 3>{8, 4212, 0};
  }
  if (g == "future") {  // a product major above every known Outlook (17.x)
    return std::array<uint16_t, 3>{17, 1234, 1000};
  }
  if (g == "2000") {
    return std::array<uint16_t, 3>{9, 3821, 0};
  }
  if (g == "2003") {
    return std::array<uint16_t, 3>{11, 8169, 0};
  }
  if (g == "2007") {
    return std::array<uint16_t, 3>{12, 6423, 1000};
  }
  if (g == "2010") {
    return std::array<uint16_t, 3>{14, 7015, 1000};
  }
  if (g == "2013") {
    return std::array<uint16_t, 3>{15, 4420, 1017};
  }
  if (g == "2016") {
    return std::array<uint16_t, 3>{16, 4266, 1001};
  }
  return std::nullopt;
}

bool OutlookClient::open(std::vector<OpReport>& reports, std::string* error) {
  namespace epm = bh::mapi::epm;
  auto version = clientVersionTriple(options_.clientVersion);
  if (!version) {
    *error = "unknown --client-version " + options_.clientVersion;
    return false;
  }
  record(epm_, "epm");
  record(main_, "main");
  record(bulk_, "bulk");
  record(async_, "async");
  // 1. The endpoint mapper: ept_map for EMSMDB (C706 Appendix O).
  OpReport r1;
  r1.name = "epm-resolve";
  auto t = Clock::now();
  if (!epm_.connect(options_.server, options_.epmPort, error) ||
      !epm_.bind(dcerpc::syntax::epm(), 0, error)) {
    return false;
  }
  epm::EptMapRequest q;
  q.mapTower.tower =
      epm::tcpIpTower(dcerpc::syntax::emsmdb(), dcerpc::syntax::ndr(), 0, {0, 0, 0, 0});
  q.maxTowers = 4;
  auto stub = epm::encodeEptMapRequest(q, Endian::Little);
  auto resp = epm_.call(epm::kEptMapOpnum, *stub, error);
  epm::EptMapResponse er;
  if (!resp || !epm::decodeEptMapResponse(*resp, Endian::Little, er).ok()) {
    if (error->empty()) {
      *error = "bad ept_map response";
    }
    return false;
  }
  auto ep = epm::mappedEndpoint(er);
  if (!ep || ep->port == 0) {
    *error = "EMSMDB not registered with the endpoint mapper";
    return false;
  }
  emsmdbPort_ = options_.emsmdbPortOverride != 0 ? options_.emsmdbPortOverride : ep->port;
  epm_.close();
  r1.seconds = since(t);
  r1.calls = 1;
  r1.ok = true;
  r1.detail = ep->addressString();
  reports.push_back(r1);

  // 2. The connections of one association group: the first bind makes the group, the others
  // join it (MS-RPCE 3.3.1.5.6), as Outlook's EMSMDB and AsyncEMSMDB connections do.
  OpReport r2;
  r2.name = "bind";
  main_.setNtlmConnect(options_.ntlmConnect);
  bulk_.setNtlmConnect(options_.ntlmConnect);
  async_.setNtlmConnect(options_.ntlmConnect);
  if (options_.kerberos != nullptr) {
    main_.setKerberos(options_.kerberos, options_.kerberosTarget, options_.kerberosOptions);
    bulk_.setKerberos(options_.kerberos, options_.kerberosTarget, options_.kerberosOptions);
    async_.setKerberos(options_.kerberos, options_.kerberosTarget, options_.kerberosOptions);
    for (RpcClient* c : {&main_, &bulk_, &async_}) {
      if (options_.keyLog) {
        c->setKeyLog(options_.keyLog);
      }
      if (options_.badVerifierCall != 0) {
        c->setCorruptVerifier([this] { return ++sealedCalls_ == options_.badVerifierCall; });
      }
    }
  }
  t = Clock::now();
  if (!main_.connect(options_.server, emsmdbPort_, error) ||
      !main_.bind(dcerpc::syntax::emsmdb(), 0, error)) {
    return false;
  }
  assocGroup_ = main_.assocGroup();
  if (!bulk_.connect(options_.server, emsmdbPort_, error) ||
      !bulk_.bind(dcerpc::syntax::emsmdb(), assocGroup_, error) ||
      !async_.connect(options_.server, emsmdbPort_, error) ||
      !async_.bind(asyncEmsmdbSyntax(), assocGroup_, error)) {
    return false;
  }
  if (bulk_.assocGroup() != assocGroup_ || async_.assocGroup() != assocGroup_) {
    *error = "server did not keep the association group";
    return false;
  }
  r2.seconds = since(t);
  r2.calls = 3;
  r2.ok = true;
  char g[16];
  std::snprintf(g, sizeof g, "0x%08x", assocGroup_);
  r2.detail = g;
  reports.push_back(r2);

  // 3. EcDoConnectEx (MS-OXCRPC 3.1.4.1).
  OpReport r3;
  r3.name = "connect";
  t = Clock::now();
  oxcrpc::ConnectExRequest cq;
  cq.userDn =
      "/o=Bridgehead/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/"
      "cn=simuser";
  cq.clientVersion = *version;
  auto cr = main_.call(oxcrpc::kOpEcDoConnectEx, oxcrpc::encode(cq), error);
  oxcrpc::ConnectExResponse cres;
  if (!cr || !oxcrpc::decode(*cr, cres) || cres.returnValue != 0) {
    if (error->empty()) {
      *error = "EcDoConnectEx failed";
    }
    return false;
  }
  cxh_ = cres.cxh;
  // 4. RopLogon to the private mailbox (MS-OXCROPS 2.2.3.1).
  Bytes l;
  ByteWriter w(l);
  w.u8(rops::kLogon);
  w.u8(0);            // LogonId
  w.u8(0);            // OutputHandleIndex
  w.u8(0x01);         // LogonFlags: Private
  w.u32(0x01000000);  // OpenFlags: USE_PER_MDB_REPLID_MAPPING
  w.u32(0);           // StoreState
  std::string essdn = cq.userDn;
  w.u16(static_cast<uint16_t>(essdn.size() + 1));
  w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(essdn.data()), essdn.size()));
  w.u8(0);
  RopResult res;
  if (!rpc(main_, l, {kNoHandle}, res, error)) {
    return false;
  }
  if (!expectHeader(res.rops, rops::kLogon)) {
    *error = "RopLogon failed";
    return false;
  }
  (void)res.rops.u8();  // LogonFlags
  for (auto& f : folderIds_) {
    f = res.rops.u64();
  }
  if (!res.rops.ok() || res.handles.empty()) {
    *error = "short RopLogon response";
    return false;
  }
  logon_ = res.handles[0];
  r3.seconds = since(t);
  r3.calls = 2;
  r3.ok = true;
  reports.push_back(r3);
  return true;
}

bool OutlookClient::rpc(RpcClient& conn, const Bytes& ropList, std::vector<uint32_t> handles,
                        RopResult& out, std::string* error) {
  Bytes payload;
  ByteWriter w(payload);
  w.u16(static_cast<uint16_t>(ropList.size() + 2));  // RopSize counts itself (2.2.1)
  w.bytes(ropList);
  for (uint32_t h : handles) {
    w.u32(h);
  }
  oxcrpc::RpcExt2Request q;
  q.cxh = cxh_;
  // pulFlags: what the server may do to rgbOut; rgbIn gets the same treatment from us.
  q.flags = (options_.noCompression ? 0x1 : 0) | (options_.noXor ? 0x2 : 0);
  q.in = oxcrpc::wrapExtended(payload, !options_.noXor, !options_.noCompression);
  q.cbOut = 0x40000;
  ++calls_;
  auto stub = conn.call(oxcrpc::kOpEcDoRpcExt2, oxcrpc::encode(q), error);
  oxcrpc::RpcExt2Response r;
  if (!stub || !oxcrpc::decode(*stub, r)) {
    if (error->empty()) {
      *error = "bad EcDoRpcExt2 response";
    }
    return false;
  }
  if (r.returnValue != 0) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "EcDoRpcExt2 returned 0x%08x", r.returnValue);
    *error = buf;
    return false;
  }
  auto plain = oxcrpc::unwrapExtended(r.out);
  if (!plain || plain->size() < 2) {
    *error = "bad rgbOut";
    return false;
  }
  out.payload = std::move(*plain);
  if (options_.ropTrace) {
    options_.ropTrace(payload, out.payload);
  }
  uint16_t ropSize = static_cast<uint16_t>(out.payload[0] | out.payload[1] << 8);
  if (ropSize < 2 || ropSize > out.payload.size() || (out.payload.size() - ropSize) % 4 != 0) {
    *error = "bad RopSize";
    return false;
  }
  out.rops = ByteReader(ByteSpan(out.payload).subspan(2, ropSize - 2u));
  out.handles.clear();
  ByteReader h(ByteSpan(out.payload).subspan(ropSize));
  while (h.remaining() > 0) {
    out.handles.push_back(h.u32());
  }
  return true;
}

bool OutlookClient::release(std::vector<uint32_t> handles) {
  Bytes l;
  ByteWriter w(l);
  for (size_t i = 0; i < handles.size(); ++i) {
    rop(w, rops::kRelease, static_cast<uint8_t>(i));
  }
  RopResult res;
  std::string e;
  return rpc(main_, l, std::move(handles), res, &e);
}

bool OutlookClient::openFolder(uint64_t fid, uint32_t& handle, std::string* error) {
  Bytes l;
  ByteWriter w(l);
  rop(w, rops::kOpenFolder, 0);
  w.u8(1);  // OutputHandleIndex
  w.u64(fid);
  w.u8(0);  // OpenModeFlags
  RopResult res;
  if (!rpc(main_, l, {logon_, kNoHandle}, res, error)) {
    return false;
  }
  if (!expectHeader(res.rops, rops::kOpenFolder) || res.handles.size() != 2) {
    *error = "RopOpenFolder failed";
    return false;
  }
  handle = res.handles[1];
  return true;
}

bool OutlookClient::contentsRows(uint32_t folderHandle, const std::vector<uint32_t>& columns,
                                 std::vector<std::vector<rops::Value>>& rows, std::string* error) {
  return tableRows(folderHandle, rops::kGetContentsTable, columns, rows, error);
}

bool OutlookClient::findFolder(const std::string& name, uint64_t& fid, std::string* error) {
  uint32_t subtree = 0;
  if (!openFolder(folderIds_[static_cast<size_t>(SpecialFolder::IpmSubtree)], subtree, error)) {
    return false;
  }
  std::vector<std::vector<rops::Value>> rows;
  bool ok = tableRows(subtree, rops::kGetHierarchyTable,
                      {rops::kPidTagFolderId, rops::kPidTagDisplayName}, rows, error);
  release({subtree});
  if (!ok) {
    return false;
  }
  for (const auto& r : rows) {
    const auto* id = std::get_if<uint64_t>(&r[0]);
    const auto* n = std::get_if<std::string>(&r[1]);
    if (id != nullptr && n != nullptr && *n == name) {
      fid = *id;
      return true;
    }
  }
  *error = "no folder '" + name + "'";
  return false;
}

bool OutlookClient::tableRows(uint32_t folderHandle, uint8_t tableRop,
                              const std::vector<uint32_t>& columns,
                              std::vector<std::vector<rops::Value>>& rows, std::string* error) {
  Bytes l;
  ByteWriter w(l);
  rop(w, tableRop, 0);
  w.u8(1);
  w.u8(0);  // TableFlags
  rop(w, rops::kSetColumns, 1);
  w.u8(0);
  w.u16(static_cast<uint16_t>(columns.size()));
  for (uint32_t c : columns) {
    w.u32(c);
  }
  RopResult res;
  if (!rpc(main_, l, {folderHandle, kNoHandle}, res, error)) {
    return false;
  }
  if (!expectHeader(res.rops, tableRop)) {
    *error = tableRop == rops::kGetContentsTable ? "RopGetContentsTable failed"
                                                 : "RopGetHierarchyTable failed";
    return false;
  }
  uint32_t total = res.rops.u32();
  if (!expectHeader(res.rops, rops::kSetColumns) || res.handles.size() != 2) {
    *error = "RopSetColumns failed";
    return false;
  }
  uint32_t table = res.handles[1];
  while (rows.size() < total) {
    Bytes q;
    ByteWriter qw(q);
    rop(qw, rops::kQueryRows, 0);
    qw.u8(0);  // QueryRowsFlags
    qw.u8(1);  // ForwardRead
    qw.u16(64);
    RopResult qr;
    if (!rpc(main_, q, {table}, qr, error)) {
      return false;
    }
    if (!expectHeader(qr.rops, rops::kQueryRows)) {
      *error = "RopQueryRows failed";
      return false;
    }
    (void)qr.rops.u8();  // Origin
    uint16_t n = qr.rops.u16();
    if (n == 0) {
      break;
    }
    for (uint16_t i = 0; i < n; ++i) {
      std::vector<rops::Value> v;
      if (!rops::readPropertyRow(qr.rops, columns, v)) {
        *error = "bad PropertyRow";
        return false;
      }
      rows.push_back(std::move(v));
    }
  }
  release({table});
  return true;
}

bool OutlookClient::findMessage(uint64_t fid, const std::string& subject, uint64_t& mid,
                                std::string* error) {
  uint32_t folder = 0;
  if (!openFolder(fid, folder, error)) {
    return false;
  }
  std::vector<std::vector<rops::Value>> rows;
  bool ok = contentsRows(folder, {rops::kPidTagMid, rops::kPidTagSubject}, rows, error);
  release({folder});
  if (!ok) {
    return false;
  }
  for (const auto& r : rows) {
    const auto* s = std::get_if<std::string>(&r[1]);
    const auto* m = std::get_if<uint64_t>(&r[0]);
    if (s != nullptr && m != nullptr && *s == subject) {
      mid = *m;
      return true;
    }
  }
  *error = "no message '" + subject + "' in the folder";
  return false;
}

bool OutlookClient::openAttachmentStream(uint64_t size, uint64_t inbox, uint64_t mid,
                                         std::vector<uint32_t>& handles,
                                         std::vector<rops::Value>& props, std::string& detail) {
  std::string error;
  // RopOpenMessage, RopOpenAttachment, RopGetPropertiesSpecific, RopOpenStream in one call.
  Bytes l;
  ByteWriter w(l);
  rop(w, rops::kOpenMessage, 0);
  w.u8(1);
  w.u16(0x0fff);  // CodePageId: the logon's
  w.u64(inbox);
  w.u8(0);  // ReadOnly
  w.u64(mid);
  rop(w, rops::kOpenAttachment, 1);
  w.u8(2);
  w.u8(0);   // ReadOnly
  w.u32(0);  // AttachmentID
  rop(w, rops::kGetPropertiesSpecific, 2);
  w.u16(0);
  w.u16(0);
  std::vector<uint32_t> tags = {rops::kPidTagAttachSize, rops::kPidTagSimContentSha256};
  w.u16(static_cast<uint16_t>(tags.size()));
  for (uint32_t tag : tags) {
    w.u32(tag);
  }
  rop(w, rops::kOpenStream, 2);
  w.u8(3);
  w.u32(rops::kPidTagAttachDataBinary);
  w.u8(rops::kStreamReadOnly);
  RopResult res;
  if (!rpc(main_, l, {logon_, kNoHandle, kNoHandle, kNoHandle}, res, &error)) {
    detail = error;
    return false;
  }
  ByteReader& r = res.rops;
  if (!expectHeader(r, rops::kOpenMessage)) {
    detail = "RopOpenMessage failed";
    return false;
  }
  r.skip(1);                     // HasNamedProperties
  for (int i = 0; i < 2; ++i) {  // SubjectPrefix, NormalizedSubject (TypedString)
    uint8_t type = r.u8();
    if (type == 0x02) {
      while (r.ok() && r.u8() != 0) {
      }
    }
  }
  r.skip(2 + 2 + 1);  // RecipientCount, ColumnCount (0), RowCount
  if (!expectHeader(r, rops::kOpenAttachment) || !expectHeader(r, rops::kGetPropertiesSpecific) ||
      !rops::readPropertyRow(r, tags, props) || !expectHeader(r, rops::kOpenStream)) {
    detail = "opening the attachment failed";
    return false;
  }
  uint32_t streamSize = r.u32();
  if (!r.ok() || res.handles.size() != 4 || streamSize != size) {
    detail = "stream size " + std::to_string(streamSize) + " != " + std::to_string(size);
    return false;
  }
  handles = res.handles;
  return true;
}

bool OutlookClient::openListedAttachment(uint64_t size, Clock::time_point& started,
                                         uint64_t& callsBefore, std::vector<uint32_t>& handles,
                                         std::vector<rops::Value>& props, OpReport& report) {
  std::string error;
  uint64_t inbox = folderIds_[static_cast<size_t>(SpecialFolder::Inbox)];
  uint64_t mid = 0;
  if (!findMessage(inbox, attachmentSubject(size), mid, &error)) {
    report.detail = error;
    return false;
  }
  // Timed from here: the user double-clicks an attachment of a message already listed (finding
  // it in the folder is browsing, not opening).
  started = Clock::now();
  callsBefore = calls_;
  return openAttachmentStream(size, inbox, mid, handles, props, report.detail);
}

bool OutlookClient::readCheckedChunk(uint32_t stream, uint64_t size, uint32_t chunk, uint64_t& pos,
                                     uint16_t& n, std::string& detail) {
  Bytes q;
  ByteWriter qw(q);
  rop(qw, rops::kReadStream, 0);
  qw.u16(static_cast<uint16_t>(chunk));
  RopResult rr;
  std::string error;
  if (!rpc(bulk_, q, {stream}, rr, &error) || !expectHeader(rr.rops, rops::kReadStream)) {
    detail = error.empty() ? "RopReadStream failed" : error;
    return false;
  }
  n = rr.rops.u16();
  ByteSpan data = rr.rops.take(n);
  uint64_t want = std::min<uint64_t>(chunk, size > pos ? size - pos : 0);
  Bytes expected(static_cast<size_t>(want), 0);
  fillContent(attachmentSeed(size), pos, expected);
  if (!rr.rops.ok() || n != want || !std::equal(data.begin(), data.end(), expected.begin())) {
    detail = "read at " + std::to_string(pos) + " differs from the content";
    return false;
  }
  pos += n;
  return true;
}

bool OutlookClient::openAttachment(uint64_t size, OpReport& report) {
  report.name = "open-attachment";
  std::string error;
  Clock::time_point t;
  uint64_t before = 0;
  std::vector<uint32_t> handlesOpen;
  std::vector<rops::Value> props;
  if (!openListedAttachment(size, t, before, handlesOpen, props, report)) {
    return false;
  }
  RopResult res;
  res.handles = handlesOpen;
  uint32_t stream = res.handles[3];
  // RopReadStream of 31744 bytes, one call outstanding at a time (online mode).
  Sha256 hash;
  uint64_t got = 0;
  while (got < size) {
    Bytes q;
    ByteWriter qw(q);
    rop(qw, rops::kReadStream, 0);
    qw.u16(static_cast<uint16_t>(options_.readStreamBytes));
    RopResult rr;
    if (!rpc(bulk_, q, {stream}, rr, &error)) {
      report.detail = error;
      return false;
    }
    if (!expectHeader(rr.rops, rops::kReadStream)) {
      report.detail = "RopReadStream failed";
      return false;
    }
    uint16_t n = rr.rops.u16();
    ByteSpan data = rr.rops.take(n);
    if (!rr.rops.ok() || n == 0) {
      report.detail = "short stream";
      return false;
    }
    hash.update(data);
    got += n;
  }
  auto digest = hash.finish();
  release({res.handles[3], res.handles[2], res.handles[1]});
  report.seconds = since(t);
  report.bytes = got;
  report.calls = calls_ - before;
  report.sha256 = hexDigest(digest);
  auto expected = contentSha256(attachmentSeed(size), size);
  const auto* serverHash = std::get_if<Bytes>(&props[1]);
  bool serverAgrees = serverHash != nullptr && *serverHash == Bytes(digest.begin(), digest.end());
  report.ok = digest == expected && serverAgrees;
  if (!report.ok) {
    report.detail = digest != expected ? "content differs from the generator's"
                                       : "content differs from the server's hash";
  }
  return report.ok;
}

bool OutlookClient::readSeek(uint64_t size, OpReport& report) {
  report.name = "read-seek";
  std::string error;
  Clock::time_point t;
  uint64_t before = 0;
  std::vector<uint32_t> handles;
  std::vector<rops::Value> props;
  if (!openListedAttachment(size, t, before, handles, props, report)) {
    return false;
  }
  uint32_t stream = handles[3];
  const uint32_t chunk = options_.readStreamBytes;
  uint64_t pos = 0;
  // Reads up to `count` chunks (all to the end when count is 0), checking each byte.
  auto readChunks = [&](int count) -> bool {
    for (int i = 0; count == 0 || i < count; ++i) {
      uint16_t n = 0;
      if (!readCheckedChunk(stream, size, chunk, pos, n, report.detail)) {
        return false;
      }
      report.bytes += n;
      if (n < chunk) {
        return true;
      }
    }
    return true;
  };
  // RopSeekStream (MS-OXCROPS 2.2.9.8); the answer must be where the client computes it.
  auto seek = [&](uint8_t origin, int64_t offset) -> bool {
    Bytes q;
    ByteWriter qw(q);
    rop(qw, rops::kSeekStream, 0);
    qw.u8(origin);
    qw.u64(static_cast<uint64_t>(offset));
    RopResult rr;
    if (!rpc(bulk_, q, {stream}, rr, &error) || !expectHeader(rr.rops, rops::kSeekStream)) {
      report.detail = error.empty() ? "RopSeekStream failed" : error;
      return false;
    }
    int64_t base = origin == 0   ? 0
                   : origin == 1 ? static_cast<int64_t>(pos)
                                 : static_cast<int64_t>(size);
    uint64_t want = static_cast<uint64_t>(base + offset);
    uint64_t got = rr.rops.u64();
    if (!rr.rops.ok() || got != want) {
      report.detail = "seek answered " + std::to_string(got) + ", expected " + std::to_string(want);
      return false;
    }
    pos = got;
    return true;
  };
  int64_t c = static_cast<int64_t>(chunk);
  bool ok = readChunks(6) && seek(1, -(2 * c + 1000)) && readChunks(3) &&
            seek(0, static_cast<int64_t>(size / 2) + 12345) && readChunks(5) &&
            seek(2, -(3 * c + 77)) && readChunks(0);
  release({handles[3], handles[2], handles[1]});
  report.seconds = since(t);
  report.calls = calls_ - before;
  report.ok = ok && pos == size;
  if (ok && !report.ok) {
    report.detail = "ended at " + std::to_string(pos) + " of " + std::to_string(size);
  }
  return report.ok;
}

bool OutlookClient::readStart(uint64_t size, int chunks, OpReport& report) {
  return readFirstChunks(size, chunks, false, report);
}

bool OutlookClient::previewAttachment(uint64_t size, int chunks, OpReport& report) {
  return readFirstChunks(size, chunks, true, report);
}

bool OutlookClient::readFirstChunks(uint64_t size, int chunks, bool release, OpReport& report) {
  report.name = release ? "preview-attachment" : "read-start";
  Clock::time_point t;
  uint64_t before = 0;
  std::vector<uint32_t> handles;
  std::vector<rops::Value> props;
  if (!openListedAttachment(size, t, before, handles, props, report)) {
    return false;
  }
  uint64_t pos = 0;
  for (int i = 0; i < chunks && pos < size; ++i) {
    uint16_t n = 0;
    if (!readCheckedChunk(handles[3], size, options_.readStreamBytes, pos, n, report.detail)) {
      return false;
    }
  }
  if (release && !this->release({handles[3], handles[2], handles[1]})) {
    report.detail = "RopRelease failed";
    return false;
  }
  report.seconds = since(t);
  report.bytes = pos;
  report.calls = calls_ - before;
  report.ok = true;
  return true;
}

bool OutlookClient::uiCall(uint32_t message, uint64_t mid, OpReport& report) {
  Bytes l;
  ByteWriter w(l);
  rop(w, rops::kGetPropertiesAll, 0);
  w.u16(0);  // PropertySizeLimit: only the ROP response buffer's size
  w.u16(0);  // WantUnicode
  auto t = Clock::now();
  RopResult res;
  std::string error;
  if (!rpc(main_, l, {message}, res, &error)) {
    report.detail = "UI call: " + error;
    return false;
  }
  double seconds = since(t);
  uint32_t rv = 0;
  if (!expectHeader(res.rops, rops::kGetPropertiesAll, &rv)) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "RopGetPropertiesAll failed: 0x%08x", rv);
    report.detail = buf;
    return false;
  }
  // The answer must be about the message being saved.
  uint16_t count = res.rops.u16();
  bool isTheMessage = false;
  for (uint16_t i = 0; i < count; ++i) {
    rops::TaggedValue v;
    if (!rops::readTaggedPropertyValue(res.rops, v)) {
      report.detail = "bad RopGetPropertiesAll answer";
      return false;
    }
    isTheMessage = isTheMessage || (v.tag == rops::kPidTagMid && v.value == rops::Value(mid));
  }
  if (!isTheMessage) {
    report.detail = "RopGetPropertiesAll answered for another message";
    return false;
  }
  ++report.uiCalls;
  report.uiMaxSeconds = std::max(report.uiMaxSeconds, seconds);
  return true;
}

bool OutlookClient::saveAttachment(uint64_t size, OpReport& report) {
  report.name = "save-attachment";
  std::string error;
  uint64_t outbox = folderIds_[static_cast<size_t>(SpecialFolder::Outbox)];
  uint64_t mid = 0;
  if (!findMessage(outbox, "upload", mid, &error)) {
    report.detail = error;
    return false;
  }
  // Timed from here, as open-attachment: the message is already listed.
  auto t = Clock::now();
  uint64_t before = calls_;
  Bytes l;
  ByteWriter w(l);
  rop(w, rops::kOpenMessage, 0);
  w.u8(1);
  w.u16(0x0fff);
  w.u64(outbox);
  w.u8(0x01);  // ReadWrite
  w.u64(mid);
  rop(w, rops::kCreateAttachment, 1);
  w.u8(2);
  rop(w, rops::kOpenStream, 2);
  w.u8(3);
  w.u32(rops::kPidTagAttachDataBinary);
  w.u8(rops::kStreamCreate);
  RopResult res;
  if (!rpc(main_, l, {logon_, kNoHandle, kNoHandle, kNoHandle}, res, &error)) {
    report.detail = error;
    return false;
  }
  ByteReader& r = res.rops;
  if (!expectHeader(r, rops::kOpenMessage)) {
    report.detail = "RopOpenMessage failed";
    return false;
  }
  r.skip(1);
  for (int i = 0; i < 2; ++i) {
    if (r.u8() == 0x02) {
      while (r.ok() && r.u8() != 0) {
      }
    }
  }
  r.skip(5);
  if (!expectHeader(r, rops::kCreateAttachment)) {
    report.detail = "RopCreateAttachment failed";
    return false;
  }
  (void)r.u32();  // AttachmentID
  if (!expectHeader(r, rops::kOpenStream) || res.handles.size() != 4) {
    report.detail = "RopOpenStream failed";
    return false;
  }
  uint32_t stream = res.handles[3];
  uint64_t seed = attachmentSeed(size) ^ 0xfaceULL;
  Sha256 hash;
  uint64_t sent = 0;
  uint64_t writes = 0;
  Bytes chunk;
  while (sent < size) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(options_.readStreamBytes, size - sent));
    chunk.resize(n);
    fillContent(seed, sent, chunk);
    hash.update(chunk);
    Bytes q;
    ByteWriter qw(q);
    rop(qw, rops::kWriteStream, 0);
    qw.u16(static_cast<uint16_t>(n));
    qw.bytes(chunk);
    RopResult wr;
    if (!rpc(bulk_, q, {stream}, wr, &error)) {
      report.detail = error;
      return false;
    }
    if (!expectHeader(wr.rops, rops::kWriteStream) || wr.rops.u16() != n) {
      report.detail = "RopWriteStream failed";
      return false;
    }
    sent += n;
    // The UI keeps reading on the main connection while the save streams; its calls are part
    // of the operation (they happen during it, and what they wait for is what the user sees).
    if (options_.uiCallEvery > 0 && ++writes % options_.uiCallEvery == 0 &&
        !uiCall(res.handles[1], mid, report)) {
      return false;
    }
  }
  // RopCommitStream, then read back the server's hash of what it stored.
  Bytes c;
  ByteWriter cw(c);
  rop(cw, rops::kCommitStream, 0);
  rop(cw, rops::kGetPropertiesSpecific, 1);
  cw.u16(0);
  cw.u16(0);
  std::vector<uint32_t> tags = {rops::kPidTagAttachSize, rops::kPidTagSimContentSha256};
  cw.u16(static_cast<uint16_t>(tags.size()));
  for (uint32_t tag : tags) {
    cw.u32(tag);
  }
  RopResult cr;
  std::vector<rops::Value> props;
  if (!rpc(options_.commitOnMain ? main_ : bulk_, c, {stream, res.handles[2]}, cr, &error) ||
      !expectHeader(cr.rops, rops::kCommitStream) ||
      !expectHeader(cr.rops, rops::kGetPropertiesSpecific) ||
      !rops::readPropertyRow(cr.rops, tags, props)) {
    report.detail = error.empty() ? "RopCommitStream failed" : error;
    return false;
  }
  release({res.handles[3], res.handles[2], res.handles[1]});
  auto digest = hash.finish();
  report.seconds = since(t);
  report.bytes = sent;
  report.calls = calls_ - before;
  report.sha256 = hexDigest(digest);
  const auto* serverHash = std::get_if<Bytes>(&props[1]);
  const auto* serverSize = std::get_if<uint32_t>(&props[0]);
  report.ok = serverHash != nullptr && *serverHash == Bytes(digest.begin(), digest.end()) &&
              serverSize != nullptr && *serverSize == size;
  if (!report.ok) {
    report.detail = "the server holds different bytes";
  }
  return report.ok;
}

bool OutlookClient::configureContentsDownload(uint64_t fid, uint32_t& folder, uint32_t& fx,
                                              std::string& detail) {
  std::string error;
  // RopOpenFolder goes in the same call as what the client does with the folder: MAPI clients
  // open folders with MAPI_DEFERRED_ERRORS, so "the opening of the folder and a possible
  // remote call can be postponed until you make another call" (MAPI, "Deferring processing";
  // IMsgStore::OpenEntry), as opening an attachment chains its opens. Configure names the
  // folder by OpenFolder's OutputHandleIndex (MS-OXCROPS 1.3.2, 3.2.5.1: the server runs the
  // ROPs in order and fills the handle table as it goes).
  // RopSynchronizationConfigure: contents, FastTransfer download (MS-OXCROPS 2.2.13.1), with
  // the initial ICS state chained behind it: a client MUST upload the state before anything
  // else on the context (MS-OXCFXICS 3.3.4.3.1), and needs no answer in between. A first sync
  // uploads every state property of a contents download as a zero-length value (same
  // section): Begin with TransferBufferSize 0, no Continue (3.3.5.8.3: skipped when there is no
  // data), End.
  Bytes l;
  ByteWriter w(l);
  rop(w, rops::kOpenFolder, 0);
  w.u8(1);  // OutputHandleIndex
  w.u64(fid);
  w.u8(0);  // OpenModeFlags
  rop(w, rops::kSynchronizationConfigure, 1);
  w.u8(2);
  w.u8(0x01);  // SynchronizationType: Contents
  w.u8(0x00);  // SendOptions
  // SynchronizationFlags: Normal, the folder's messages (without it a server sends none,
  // MS-OXCFXICS 3.2.5.3); not FAI, which Outlook syncs apart; not Unicode: 8-bit strings.
  w.u16(kSynchronizationFlagNormal);
  w.u16(0);  // RestrictionDataSize
  w.u32(0);  // SynchronizationExtraFlags
  w.u16(0);  // PropertyTagCount
  for (uint32_t stateProperty : kContentsStateProperties) {
    rop(w, rops::kSynchronizationUploadStateStreamBegin, 2);
    w.u32(stateProperty);
    w.u32(0);  // TransferBufferSize
    rop(w, rops::kSynchronizationUploadStateStreamEnd, 2);
  }
  RopResult res;
  if (!rpc(main_, l, {logon_, kNoHandle, kNoHandle}, res, &error)) {
    detail = error;
    return false;
  }
  if (!expectHeader(res.rops, rops::kOpenFolder) || res.handles.size() != 3) {
    detail = "RopOpenFolder failed";
    return false;
  }
  folder = res.handles[1];  // open from here: the caller releases it
  uint8_t hasRules = res.rops.u8();
  uint8_t isGhosted = res.rops.u8();
  (void)hasRules;
  if (!res.rops.ok() || isGhosted != 0) {
    // A ghosted (public) folder's answer names the servers holding it; a mailbox folder's
    // never is (MS-OXCROPS 2.2.4.1.2).
    detail = "RopOpenFolder answer: ghosted or short";
    return false;
  }
  if (!expectHeader(res.rops, rops::kSynchronizationConfigure)) {
    detail = "RopSynchronizationConfigure failed";
    return false;
  }
  fx = res.handles[2];  // the context exists from here: the caller releases it
  for (uint32_t stateProperty : kContentsStateProperties) {
    uint32_t rv = 0;
    for (uint8_t ropId : {rops::kSynchronizationUploadStateStreamBegin,
                          rops::kSynchronizationUploadStateStreamEnd}) {
      if (!expectHeader(res.rops, ropId, &rv)) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%s of state property 0x%08x failed: 0x%08x",
                      ropId == rops::kSynchronizationUploadStateStreamBegin
                          ? "RopSynchronizationUploadStateStreamBegin"
                          : "RopSynchronizationUploadStateStreamEnd",
                      stateProperty, rv);
        detail = buf;
        return false;
      }
    }
  }
  return true;
}

bool OutlookClient::readFastTransferStream(uint32_t fx, Sha256& hash, uint64_t& got,
                                           std::string& detail) {
  std::string error;
  for (;;) {
    Bytes q;
    ByteWriter qw(q);
    rop(qw, rops::kFastTransferSourceGetBuffer, 0);
    qw.u16(rops::kUseMaximum);
    qw.u16(options_.getBufferBytes);  // MaximumBufferSize
    RopResult gr;
    if (!rpc(bulk_, q, {fx}, gr, &error)) {
      detail = error;
      return false;
    }
    if (!expectHeader(gr.rops, rops::kFastTransferSourceGetBuffer)) {
      detail = "RopFastTransferSourceGetBuffer failed";
      return false;
    }
    uint16_t status = gr.rops.u16();
    gr.rops.skip(2 + 2 + 1);  // InProgressCount, TotalStepCount, Reserved
    uint16_t n = gr.rops.u16();
    ByteSpan data = gr.rops.take(n);
    if (!gr.rops.ok() || status == rops::kTransferError) {
      detail = "bad GetBuffer response";
      return false;
    }
    hash.update(data);
    got += n;
    if (status == rops::kTransferDone) {
      return true;
    }
    if (n == 0) {
      detail = "no progress";
      return false;
    }
  }
}

bool OutlookClient::sync(OpReport& report, const std::string& folderName) {
  report.name = "sync";
  std::string error;
  uint64_t inbox = folderIds_[static_cast<size_t>(SpecialFolder::Inbox)];
  if (!folderName.empty() && !findFolder(folderName, inbox, &error)) {
    report.detail = error;
    return false;
  }
  // Timed from here: a cached-mode client knows its folders (from the hierarchy sync); the
  // folder's contents sync is the operation.
  auto t = Clock::now();
  uint64_t before = calls_;
  uint32_t folder = kNoHandle;
  uint32_t fx = kNoHandle;
  Sha256 hash;
  uint64_t got = 0;
  bool streamed = configureContentsDownload(inbox, folder, fx, report.detail) &&
                  readFastTransferStream(fx, hash, got, report.detail);
  // What was opened is released whether the sync succeeded or not.
  std::vector<uint32_t> opened;
  for (uint32_t h : {fx, folder}) {
    if (h != kNoHandle) {
      opened.push_back(h);
    }
  }
  if (!opened.empty()) {
    release(opened);
  }
  if (!streamed) {
    return false;
  }
  // The operation ends with the server's last answer; checking it against the model below is
  // the test's work, not the user's wait (it took ~0.1 s of the 0.24 s LAN time).
  report.seconds = since(t);
  auto digest = hash.finish();
  // What the stream must be: the same mailbox, built here from the same seeds.
  auto model = Mailbox::sample(options_.mailboxMessages, options_.attachmentSizes, {},
                               options_.folderMessages);
  auto fxModel = buildContentsSync(*model, inbox, kSynchronizationFlagNormal);
  Sha256 expect;
  Bytes buf(1 << 16);
  for (uint64_t off = 0; off < fxModel->size();) {
    size_t n = fxModel->read(off, buf);
    expect.update(ByteSpan(buf.data(), n));
    off += n;
  }
  report.bytes = got;
  report.calls = calls_ - before;
  report.sha256 = hexDigest(digest);
  report.ok = digest == expect.finish() && got == fxModel->size();
  const Folder* synced = model->folder(inbox);
  report.detail = std::to_string(synced ? synced->messages.size() : 0) + "-messages";
  if (!report.ok) {
    report.detail = "FastTransfer stream differs from the mailbox model";
  }
  return report.ok;
}

bool OutlookClient::browse(OpReport& report) {
  report.name = "browse";
  std::string error;
  auto t = Clock::now();
  uint64_t before = calls_;
  uint64_t inbox = folderIds_[static_cast<size_t>(SpecialFolder::Inbox)];
  uint32_t folder = 0;
  if (!openFolder(inbox, folder, &error)) {
    report.detail = error;
    return false;
  }
  std::vector<uint32_t> columns = {rops::kPidTagMid, rops::kPidTagSubject, rops::kPidTagMessageSize,
                                   rops::kPidTagHasAttachments};
  std::vector<std::vector<rops::Value>> rows;
  bool ok = contentsRows(folder, columns, rows, &error);
  release({folder});
  report.seconds = since(t);  // the last answer; the model check below is not the user's wait
  if (!ok) {
    report.detail = error;
    return false;
  }
  auto model = Mailbox::sample(options_.mailboxMessages, {});
  const Folder* f = model->folder(inbox);
  // The model has no large attachments (sizes {}), so compare the small messages only.
  size_t matched = 0;
  Sha256 hash;
  for (const auto& r : rows) {
    const auto* s = std::get_if<std::string>(&r[1]);
    if (s == nullptr) {
      continue;
    }
    hash.update(ByteSpan(reinterpret_cast<const uint8_t*>(s->data()), s->size()));
    for (uint64_t mid : f->messages) {
      const Message* m = model->message(mid);
      if (m->subject == *s) {
        const auto* size = std::get_if<uint32_t>(&r[2]);
        matched += size != nullptr && *size == m->size() ? 1 : 0;
      }
    }
  }
  report.bytes = rows.size();
  report.calls = calls_ - before;
  report.sha256 = hexDigest(hash.finish());
  report.ok = matched == options_.mailboxMessages;
  report.detail = std::to_string(rows.size()) + "-rows";
  if (!report.ok) {
    report.detail += ",rows-differ-from-model";
  }
  return report.ok;
}

bool OutlookClient::close(OpReport& report) {
  report.name = "disconnect";
  std::string error;
  auto t = Clock::now();
  auto r = main_.call(oxcrpc::kOpEcDoDisconnect, oxcrpc::encodeDisconnectRequest(cxh_), &error);
  oxcrpc::Cxh back{};
  uint32_t rv = 1;
  report.ok = r && oxcrpc::decodeDisconnect(*r, back, &rv) && rv == 0 && back == oxcrpc::Cxh{};
  report.seconds = since(t);
  report.calls = 1;
  main_.close();
  bulk_.close();
  async_.close();
  if (!options_.recordDir.empty() && !writeRecordings()) {
    report.ok = false;
    report.detail = "cannot write recordings to " + options_.recordDir;
  }
  return report.ok;
}

}  // namespace bh::sim
