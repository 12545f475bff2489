#include "sim/emsmdb_service.h"

#include <algorithm>
#include <chrono>
#include <span>
#include <variant>

#include "sim/content.h"
#include "sim/ics_state_upload.h"
#include "sim/rops.h"

namespace bh::sim {

namespace {

enum class TableKind { Contents, Hierarchy, Attachments };

struct LogonObj {};
struct FolderObj {
  uint64_t fid = 0;
};
struct MessageObj {
  uint64_t mid = 0;
  bool writable = false;
};
struct AttachmentObj {
  uint64_t mid = 0;
  uint32_t number = 0;
};
struct StreamObj {
  uint64_t mid = 0;
  uint32_t number = 0;
  std::shared_ptr<const Bytes> data;  ///< what reads see until a write copies it
  Bytes pending;
  bool writable = false;
  bool dirty = false;
  uint64_t position = 0;
  const Bytes& view() const { return dirty ? pending : *data; }
};
struct TableObj {
  TableKind kind = TableKind::Contents;
  uint64_t id = 0;  ///< folder for Contents/Hierarchy, message for Attachments
  std::vector<uint32_t> columns;
  uint32_t position = 0;
};
struct FastTransferObj {
  std::shared_ptr<FxStream> stream;
  uint64_t position = 0;
  /// Set on a synchronization download context (RopSynchronizationConfigure).
  std::optional<IcsStateUpload> icsState;
};

using Object = std::variant<LogonObj, FolderObj, MessageObj, AttachmentObj, StreamObj, TableObj,
                            FastTransferObj>;

void readTags(ByteReader& r, std::vector<uint32_t>& tags) {
  uint16_t n = r.u16();
  if (n > 256) {
    r.fail();
    return;
  }
  tags.clear();
  for (uint16_t i = 0; i < n && r.ok(); ++i) {
    tags.push_back(r.u32());
  }
}

}  // namespace

struct EmsmdbService::Session {
  std::map<uint32_t, Object> objects;
  uint32_t nextHandle = 0x10;
  std::array<uint16_t, 3> clientVersion{};

  template <typename T>
  T* get(uint32_t handle) {
    auto it = objects.find(handle);
    return it == objects.end() ? nullptr : std::get_if<T>(&it->second);
  }
};

EmsmdbService::EmsmdbService(Mailbox& mailbox, EmsmdbLimits limits)
    : mailbox_(mailbox), limits_(limits) {}

EmsmdbService::~EmsmdbService() = default;

size_t EmsmdbService::sessionCount() {
  std::lock_guard<std::mutex> l(mutex_);
  return sessions_.size();
}

std::optional<Bytes> EmsmdbService::call(uint16_t opnum, ByteSpan stub, uint32_t& fault) {
  switch (opnum) {
    case oxcrpc::kOpEcDoConnectEx:
      return connectEx(stub, fault);
    case oxcrpc::kOpEcDoRpcExt2:
      return rpcExt2(stub, fault);
    case oxcrpc::kOpEcDoDisconnect:
      return disconnect(stub, fault);
    default:
      fault = kFaultOpRangeError;
      return std::nullopt;
  }
}

std::optional<Bytes> EmsmdbService::connectEx(ByteSpan stub, uint32_t& fault) {
  oxcrpc::ConnectExRequest q;
  if (!oxcrpc::decode(stub, q)) {
    fault = kFaultNdr;
    return std::nullopt;
  }
  oxcrpc::ConnectExResponse r;
  r.dnPrefix = "/o=Bridgehead/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)";
  r.displayName = "Simulated User";
  r.serverVersion = {15, 0x8001, 0x05c9};  // Exchange 2016 CU: 15.01.1481 in 2.2.2.2 form
  r.bestVersion = q.clientVersion;
  r.timeStamp = q.timeStamp;
  r.auxOutMax = q.cbAuxOut;
  std::lock_guard<std::mutex> l(mutex_);
  if (sessions_.size() >= limits_.maxSessions) {
    r.returnValue = 0x00000480;  // ecServerBusy... the session table is full
    return oxcrpc::encode(r);
  }
  uint64_t id = nextSession_++;
  r.cxh[0] = 0;  // attributes
  for (int i = 0; i < 8; ++i) {
    r.cxh[4 + i] = static_cast<uint8_t>(id >> (8 * i));
  }
  r.cxh[12] = 0xe5;
  r.cxh[13] = 0x5a;
  r.icxr = static_cast<uint16_t>(id);
  auto s = std::make_unique<Session>();
  s->clientVersion = q.clientVersion;
  sessions_[r.cxh] = std::move(s);
  return oxcrpc::encode(r);
}

std::optional<Bytes> EmsmdbService::rpcExt2(ByteSpan stub, uint32_t& fault) {
  oxcrpc::RpcExt2Request q;
  if (!oxcrpc::decode(stub, q)) {
    fault = kFaultNdr;
    return std::nullopt;
  }
  auto start = std::chrono::steady_clock::now();
  oxcrpc::RpcExt2Response r;
  r.cxh = q.cxh;
  r.outMax = q.cbOut;
  r.auxOutMax = q.cbAuxOut;
  std::lock_guard<std::mutex> l(mutex_);
  auto it = sessions_.find(q.cxh);
  if (it == sessions_.end()) {
    fault = kFaultContextMismatch;
    return std::nullopt;
  }
  auto payload = oxcrpc::unwrapExtended(q.in);
  std::optional<Bytes> out;
  if (payload) {
    out = processRopBuffer(*it->second, mailbox_, limits_, *payload);
  }
  if (!out) {
    r.returnValue = rops::kRpcFormat;  // ecRpcFormat: the ROP buffer is malformed
    return oxcrpc::encode(r);
  }
  // The client lets us compress and obfuscate unless it set NoCompression / NoXorMagic
  // (MS-OXCRPC 3.1.4.2), as Exchange does.
  r.out = oxcrpc::wrapExtended(*out, (q.flags & 0x2) == 0, (q.flags & 0x1) == 0);
  if (r.out.size() > q.cbOut) {
    r.out.clear();
    r.returnValue = 0x0000047d;  // ecBufferTooSmall
  }
  r.transTime = static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - start)
                                          .count());
  return oxcrpc::encode(r);
}

std::optional<Bytes> EmsmdbService::disconnect(ByteSpan stub, uint32_t& fault) {
  oxcrpc::Cxh cxh{};
  if (!oxcrpc::decodeDisconnect(stub, cxh, nullptr)) {
    fault = kFaultNdr;
    return std::nullopt;
  }
  std::lock_guard<std::mutex> l(mutex_);
  uint32_t rv = sessions_.erase(cxh) == 1 ? 0 : 0x000004b9;
  return oxcrpc::encodeDisconnectResponse(oxcrpc::Cxh{}, rv);
}

// --- ROP execution (MS-OXCROPS 3.2.5) ----------------------------------------------------

namespace {

struct RopContext {
  EmsmdbService::Session& session;
  Mailbox& mailbox;
  const EmsmdbLimits& limits;
  std::vector<uint32_t>& handles;
  ByteWriter& w;
};

uint32_t handleAt(RopContext& c, uint8_t index) {
  return index < c.handles.size() ? c.handles[index] : 0xffffffff;
}

/// Stores a new object and puts its handle at `outIndex`. @return false over the cap (the
/// ROP then fails with kInsufficientResources).
bool addObject(RopContext& c, uint8_t outIndex, Object o) {
  if (outIndex >= c.handles.size() || c.session.objects.size() >= c.limits.maxObjectsPerSession) {
    return false;
  }
  uint32_t h = c.session.nextHandle++;
  c.session.objects[h] = std::move(o);
  c.handles[outIndex] = h;
  return true;
}

void header(ByteWriter& w, uint8_t ropId, uint8_t index, uint32_t rv) {
  w.u8(ropId);
  w.u8(index);
  w.u32(rv);
}

rops::Value messageValue(const Message& m, uint32_t tag) {
  switch (tag) {
    case rops::kPidTagMid:
      return m.mid;
    case rops::kPidTagSubject:
      return m.subject;
    case rops::kPidTagMessageSize:
      return m.size();
    case rops::kPidTagHasAttachments:
      return !m.attachments.empty();
    default:
      return std::monostate{};
  }
}

rops::Value attachmentValue(const Attachment& a, uint32_t tag) {
  switch (tag) {
    case rops::kPidTagAttachNumber:
      return a.number;
    case rops::kPidTagAttachSize:
      return static_cast<uint32_t>(a.data ? a.data->size() : 0);
    case rops::kPidTagAttachLongFilename:
      return a.fileName;
    case rops::kPidTagSimContentSha256: {
      auto d = sha256(a.data ? ByteSpan(*a.data) : ByteSpan());
      return Bytes(d.begin(), d.end());
    }
    default:
      return std::monostate{};
  }
}

rops::Value folderValue(Mailbox& mb, const Folder& f, uint32_t tag) {
  (void)mb;
  switch (tag) {
    case rops::kPidTagFolderId:
      return f.fid;
    case rops::kPidTagDisplayName:
      return f.name;
    case rops::kPidTagContentCount:
      return static_cast<uint32_t>(f.messages.size());
    default:
      return std::monostate{};
  }
}

// The properties exchange-sim keeps on each kind of object: every tag messageValue,
// attachmentValue and folderValue answer. RopGetPropertiesAll returns all of them (MS-OXCPRPT
// 3.2.5.2: as RopGetPropertiesSpecific, but every property on the object).
constexpr uint32_t kMessageProperties[] = {rops::kPidTagMid, rops::kPidTagSubject,
                                           rops::kPidTagMessageSize, rops::kPidTagHasAttachments};
constexpr uint32_t kAttachmentProperties[] = {rops::kPidTagAttachNumber, rops::kPidTagAttachSize,
                                              rops::kPidTagAttachLongFilename,
                                              rops::kPidTagSimContentSha256};
constexpr uint32_t kFolderProperties[] = {rops::kPidTagFolderId, rops::kPidTagDisplayName,
                                          rops::kPidTagContentCount};

template <typename ValueOf>
std::vector<rops::TaggedValue> tagged(std::span<const uint32_t> tags, ValueOf valueOf) {
  std::vector<rops::TaggedValue> out;
  for (uint32_t tag : tags) {
    out.push_back({tag, valueOf(tag)});
  }
  return out;
}

/// The byte size of a variable-size value (PtypString8 with its terminator, PtypBinary);
/// nullopt for a fixed-size one.
std::optional<size_t> variableSize(const rops::Value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    return s->size() + 1;
  }
  if (const auto* b = std::get_if<Bytes>(&v)) {
    return b->size();
  }
  return std::nullopt;
}

/// A value longer than a non-zero PropertySizeLimit (MS-OXCPRPT 2.2.3.1) goes back as a
/// property error: the tag retyped PtypErrorCode, the value NotEnoughMemory (MS-OXCDATA 2.4.2:
/// too large for the request, to be read with RopOpenStream).
rops::TaggedValue withinSizeLimit(rops::TaggedValue v, uint16_t propertySizeLimit) {
  auto size = variableSize(v.value);
  if (propertySizeLimit == 0 || !size || *size <= propertySizeLimit) {
    return v;
  }
  return {(v.tag & 0xffff0000) | rops::kPtypErrorCode, rops::kNotEnoughMemory};
}

/// Rows of a table, from `position`, at most `count`.
uint16_t tableRows(RopContext& c, TableObj& t, uint16_t count, ByteWriter& rows) {
  uint16_t n = 0;
  Mailbox& mb = c.mailbox;
  auto emit = [&](const std::vector<rops::Value>& values) {
    rops::writePropertyRow(rows, t.columns, values);
    ++n;
    ++t.position;
  };
  if (t.kind == TableKind::Contents) {
    const Folder* f = mb.folder(t.id);
    while (f != nullptr && n < count && t.position < f->messages.size()) {
      Message* m = mb.message(f->messages[t.position]);
      std::vector<rops::Value> v;
      for (uint32_t tag : t.columns) {
        v.push_back(m ? messageValue(*m, tag) : rops::Value{});
      }
      emit(v);
    }
  } else if (t.kind == TableKind::Hierarchy) {
    const auto& fs = mb.folders();
    while (n < count && t.position < fs.size()) {
      std::vector<rops::Value> v;
      for (uint32_t tag : t.columns) {
        v.push_back(folderValue(mb, fs[t.position], tag));
      }
      emit(v);
    }
  } else {
    Message* m = mb.message(t.id);
    while (m != nullptr && n < count && t.position < m->attachments.size()) {
      std::vector<rops::Value> v;
      for (uint32_t tag : t.columns) {
        v.push_back(attachmentValue(m->attachments[t.position], tag));
      }
      emit(v);
    }
  }
  return n;
}

Attachment* findAttachment(Mailbox& mb, uint64_t mid, uint32_t number) {
  Message* m = mb.message(mid);
  if (m == nullptr) {
    return nullptr;
  }
  for (auto& a : m->attachments) {
    if (a.number == number) {
      return &a;
    }
  }
  return nullptr;
}

/// Every property the sim keeps on the message, attachment or folder at `handle`; nullopt if
/// the handle names none of those (or what it named is gone).
std::optional<std::vector<rops::TaggedValue>> allProperties(RopContext& c, uint32_t handle) {
  if (auto* a = c.session.get<AttachmentObj>(handle)) {
    const Attachment* att = findAttachment(c.mailbox, a->mid, a->number);
    if (att == nullptr) {
      return std::nullopt;
    }
    return tagged(kAttachmentProperties, [&](uint32_t tag) { return attachmentValue(*att, tag); });
  }
  if (auto* m = c.session.get<MessageObj>(handle)) {
    const Message* msg = c.mailbox.message(m->mid);
    if (msg == nullptr) {
      return std::nullopt;
    }
    return tagged(kMessageProperties, [&](uint32_t tag) { return messageValue(*msg, tag); });
  }
  if (auto* f = c.session.get<FolderObj>(handle)) {
    const Folder* folder = c.mailbox.folder(f->fid);
    if (folder == nullptr) {
      return std::nullopt;
    }
    return tagged(kFolderProperties,
                  [&](uint32_t tag) { return folderValue(c.mailbox, *folder, tag); });
  }
  return std::nullopt;
}

/// The ICS state upload of the synchronization context at `handle`, if it is one.
IcsStateUpload* icsStateOf(RopContext& c, uint32_t handle) {
  FastTransferObj* fx = c.session.get<FastTransferObj>(handle);
  return fx != nullptr && fx->icsState ? &*fx->icsState : nullptr;
}

/// Executes one ROP. @return false if the request is malformed (processing stops).
bool executeRop(RopContext& c, ByteReader& r) {
  ByteWriter& w = c.w;
  uint8_t ropId = r.u8();
  if (ropId == rops::kLogon) {
    (void)r.u8();  // LogonId
    uint8_t out = r.u8();
    uint8_t logonFlags = r.u8();
    (void)r.u32();  // OpenFlags
    (void)r.u32();  // StoreState
    uint16_t essdnSize = r.u16();
    r.skip(essdnSize);
    if (!r.ok()) {
      return false;
    }
    if (!addObject(c, out, LogonObj{})) {
      header(w, ropId, out, rops::kInsufficientResources);
      return true;
    }
    // Private mailbox response (MS-OXCROPS 2.2.3.1.2).
    header(w, ropId, out, rops::kSuccess);
    w.u8(logonFlags);
    for (size_t i = 0; i < kSpecialFolderCount; ++i) {
      w.u64(specialFolderId(static_cast<SpecialFolder>(i)));
    }
    w.u8(0x01);  // ResponseFlags: Reserved (must be set)
    for (int i = 0; i < 16; ++i) {
      w.u8(static_cast<uint8_t>(0x40 + i));  // MailboxGuid
    }
    w.u16(0x0001);  // ReplId
    for (int i = 0; i < 16; ++i) {
      w.u8(static_cast<uint8_t>(0x80 + i));  // ReplGuid
    }
    // LogonTime: Seconds, Minutes, Hour, DayOfWeek, Day, Month, Year.
    w.u8(0);
    w.u8(0);
    w.u8(12);
    w.u8(3);
    w.u8(25);
    w.u8(11);
    w.u16(2026);
    w.u64(0);  // GwartTime
    w.u32(0);  // StoreState
    return true;
  }
  uint8_t logonId = r.u8();
  (void)logonId;
  uint8_t in = r.u8();
  uint32_t h = handleAt(c, in);
  switch (ropId) {
    case rops::kRelease: {
      if (!r.ok()) {
        return false;
      }
      c.session.objects.erase(h);  // no response (MS-OXCROPS 2.2.15.3)
      return true;
    }
    case rops::kOpenFolder: {
      uint8_t out = r.u8();
      uint64_t fid = r.u64();
      (void)r.u8();  // OpenModeFlags
      if (!r.ok()) {
        return false;
      }
      if (c.session.get<LogonObj>(h) == nullptr && c.session.get<FolderObj>(h) == nullptr) {
        header(w, ropId, out, rops::kNullObject);
      } else if (c.mailbox.folder(fid) == nullptr) {
        header(w, ropId, out, rops::kNotFound);
      } else if (!addObject(c, out, FolderObj{fid})) {
        header(w, ropId, out, rops::kInsufficientResources);
      } else {
        header(w, ropId, out, rops::kSuccess);
        w.u8(0);  // HasRules
        w.u8(0);  // IsGhosted
      }
      return true;
    }
    case rops::kOpenMessage: {
      uint8_t out = r.u8();
      (void)r.u16();  // CodePageId
      uint64_t fid = r.u64();
      uint8_t mode = r.u8();
      uint64_t mid = r.u64();
      if (!r.ok()) {
        return false;
      }
      Message* m = c.mailbox.message(mid);
      if (m == nullptr || m->fid != fid) {
        header(w, ropId, out, rops::kNotFound);
      } else if (!addObject(c, out, MessageObj{mid, (mode & 0x01) != 0})) {
        header(w, ropId, out, rops::kInsufficientResources);
      } else {
        header(w, ropId, out, rops::kSuccess);
        w.u8(0);     // HasNamedProperties
        w.u8(0x01);  // SubjectPrefix: TypedString, empty
        w.u8(0x02);  // NormalizedSubject: 8-bit string
        w.bytes(ByteSpan(reinterpret_cast<const uint8_t*>(m->subject.data()), m->subject.size()));
        w.u8(0);
        w.u16(0);  // RecipientCount
        w.u16(0);  // ColumnCount
        w.u8(0);   // RowCount
      }
      return true;
    }
    case rops::kGetHierarchyTable:
    case rops::kGetContentsTable: {
      uint8_t out = r.u8();
      (void)r.u8();  // TableFlags
      if (!r.ok()) {
        return false;
      }
      FolderObj* f = c.session.get<FolderObj>(h);
      const Folder* folder = f ? c.mailbox.folder(f->fid) : nullptr;
      if (folder == nullptr) {
        header(w, ropId, out, rops::kNullObject);
        return true;
      }
      TableObj t;
      t.kind = ropId == rops::kGetContentsTable ? TableKind::Contents : TableKind::Hierarchy;
      t.id = folder->fid;
      uint32_t rows = static_cast<uint32_t>(
          t.kind == TableKind::Contents ? folder->messages.size() : c.mailbox.folders().size());
      if (!addObject(c, out, t)) {
        header(w, ropId, out, rops::kInsufficientResources);
      } else {
        header(w, ropId, out, rops::kSuccess);
        w.u32(rows);
      }
      return true;
    }
    case rops::kGetAttachmentTable: {
      uint8_t out = r.u8();
      (void)r.u8();
      if (!r.ok()) {
        return false;
      }
      MessageObj* m = c.session.get<MessageObj>(h);
      if (m == nullptr) {
        header(w, ropId, out, rops::kNullObject);
      } else if (!addObject(c, out, TableObj{TableKind::Attachments, m->mid, {}, 0})) {
        header(w, ropId, out, rops::kInsufficientResources);
      } else {
        header(w, ropId, out, rops::kSuccess);
      }
      return true;
    }
    case rops::kSetColumns: {
      (void)r.u8();  // SetColumnsFlags
      std::vector<uint32_t> tags;
      readTags(r, tags);
      if (!r.ok()) {
        return false;
      }
      TableObj* t = c.session.get<TableObj>(h);
      if (t == nullptr) {
        header(w, ropId, in, rops::kNullObject);
      } else {
        t->columns = tags;
        header(w, ropId, in, rops::kSuccess);
        w.u8(0);  // TableStatus: TBLSTAT_COMPLETE
      }
      return true;
    }
    case rops::kQueryRows: {
      (void)r.u8();  // QueryRowsFlags
      uint8_t forward = r.u8();
      uint16_t count = r.u16();
      if (!r.ok()) {
        return false;
      }
      TableObj* t = c.session.get<TableObj>(h);
      if (t == nullptr || t->columns.empty() || forward == 0) {
        header(w, ropId, in, t == nullptr ? rops::kNullObject : rops::kNoSupport);
        return true;
      }
      Bytes rowBytes;
      ByteWriter rows(rowBytes);
      // Keep the response inside one ROP buffer: at most 64 rows per call.
      uint16_t n = tableRows(c, *t, std::min<uint16_t>(count, 64), rows);
      header(w, ropId, in, rops::kSuccess);
      w.u8(n < std::min<uint16_t>(count, 64) ? 0x02 : 0x01);  // Origin: END or CURRENT
      w.u16(n);
      w.bytes(rowBytes);
      return true;
    }
    case rops::kGetPropertiesSpecific: {
      (void)r.u16();  // PropertySizeLimit
      (void)r.u16();  // WantUnicode
      std::vector<uint32_t> tags;
      readTags(r, tags);
      if (!r.ok()) {
        return false;
      }
      std::vector<rops::Value> v;
      bool found = true;
      if (auto* a = c.session.get<AttachmentObj>(h)) {
        Attachment* att = findAttachment(c.mailbox, a->mid, a->number);
        found = att != nullptr;
        for (uint32_t tag : tags) {
          v.push_back(att ? attachmentValue(*att, tag) : rops::Value{});
        }
      } else if (auto* m = c.session.get<MessageObj>(h)) {
        Message* msg = c.mailbox.message(m->mid);
        found = msg != nullptr;
        for (uint32_t tag : tags) {
          v.push_back(msg ? messageValue(*msg, tag) : rops::Value{});
        }
      } else {
        found = false;
      }
      if (!found) {
        header(w, ropId, in, rops::kNullObject);
        return true;
      }
      header(w, ropId, in, rops::kSuccess);
      rops::writePropertyRow(w, tags, v);
      return true;
    }
    // RopGetPropertiesAll (MS-OXCROPS 2.2.8.4, MS-OXCPRPT 2.2.3): PropertySizeLimit and
    // WantUnicode; the answer is PropertyValueCount and a TaggedPropertyValue per property
    // (2.2.8.4.2), or the header alone on failure. WantUnicode changes nothing here: it concerns
    // strings requested as PtypUnspecified, and the sim keeps its strings as PtypString8.
    case rops::kGetPropertiesAll: {
      uint16_t propertySizeLimit = r.u16();
      (void)r.u16();  // WantUnicode
      if (!r.ok()) {
        return false;
      }
      auto properties = allProperties(c, h);
      if (!properties) {
        header(w, ropId, in, rops::kNullObject);
        return true;
      }
      // Counted as written: a value not of its tag's type is left out, never sent half.
      Bytes values;
      ByteWriter vw(values);
      uint16_t count = 0;
      for (const auto& p : *properties) {
        count += rops::writeTaggedPropertyValue(vw, withinSizeLimit(p, propertySizeLimit)) ? 1 : 0;
      }
      header(w, ropId, in, rops::kSuccess);
      w.u16(count);
      w.bytes(values);
      return true;
    }
    case rops::kOpenAttachment: {
      uint8_t out = r.u8();
      (void)r.u8();  // OpenAttachmentFlags
      uint32_t number = r.u32();
      if (!r.ok()) {
        return false;
      }
      MessageObj* m = c.session.get<MessageObj>(h);
      if (m == nullptr) {
        header(w, ropId, out, rops::kNullObject);
      } else if (findAttachment(c.mailbox, m->mid, number) == nullptr) {
        header(w, ropId, out, rops::kNotFound);
      } else if (!addObject(c, out, AttachmentObj{m->mid, number})) {
        header(w, ropId, out, rops::kInsufficientResources);
      } else {
        header(w, ropId, out, rops::kSuccess);
      }
      return true;
    }
    case rops::kCreateAttachment: {
      uint8_t out = r.u8();
      if (!r.ok()) {
        return false;
      }
      MessageObj* m = c.session.get<MessageObj>(h);
      int64_t number = -1;
      if (m != nullptr && m->writable) {
        number = c.mailbox.addAttachment(m->mid, "upload.bin", Bytes{});
      }
      if (m == nullptr || !m->writable) {
        header(w, ropId, out, m == nullptr ? rops::kNullObject : 0x80070005);  // E_ACCESSDENIED
      } else if (number < 0) {
        header(w, ropId, out, rops::kMaxAttachmentExceeded);  // MailboxLimits' per-message cap
      } else if (!addObject(c, out, AttachmentObj{m->mid, static_cast<uint32_t>(number)})) {
        header(w, ropId, out, rops::kInsufficientResources);
      } else {
        header(w, ropId, out, rops::kSuccess);
        w.u32(static_cast<uint32_t>(number));
      }
      return true;
    }
    case rops::kOpenStream: {
      uint8_t out = r.u8();
      uint32_t tag = r.u32();
      uint8_t mode = r.u8();
      if (!r.ok()) {
        return false;
      }
      AttachmentObj* a = c.session.get<AttachmentObj>(h);
      Attachment* att = a ? findAttachment(c.mailbox, a->mid, a->number) : nullptr;
      if (att == nullptr) {
        header(w, ropId, out, rops::kNullObject);
        return true;
      }
      if (tag != rops::kPidTagAttachDataBinary) {
        header(w, ropId, out, rops::kNotFound);
        return true;
      }
      StreamObj s;
      s.mid = a->mid;
      s.number = a->number;
      s.data = att->data ? att->data : std::make_shared<const Bytes>();
      s.writable = mode != rops::kStreamReadOnly;
      if (mode == rops::kStreamCreate) {
        s.dirty = true;  // Create: starts empty
      }
      uint32_t size = static_cast<uint32_t>(s.view().size());
      if (!addObject(c, out, std::move(s))) {
        header(w, ropId, out, rops::kInsufficientResources);
      } else {
        header(w, ropId, out, rops::kSuccess);
        w.u32(size);
      }
      return true;
    }
    case rops::kReadStream: {
      uint32_t want = r.u16();
      if (want == rops::kUseMaximum) {
        want = r.u32();
      }
      if (!r.ok()) {
        return false;
      }
      StreamObj* s = c.session.get<StreamObj>(h);
      if (s == nullptr) {
        header(w, ropId, in, rops::kNullObject);
        w.u16(0);  // DataSize is present in error responses too (2.2.9.2.2)
        return true;
      }
      const Bytes& data = s->view();
      uint64_t left = s->position < data.size() ? data.size() - s->position : 0;
      uint32_t n = static_cast<uint32_t>(std::min<uint64_t>({want, c.limits.maxReadStream, left}));
      header(w, ropId, in, rops::kSuccess);
      w.u16(static_cast<uint16_t>(n));
      w.bytes(ByteSpan(data).subspan(static_cast<size_t>(s->position), n));
      s->position += n;
      return true;
    }
    case rops::kWriteStream: {
      uint16_t n = r.u16();
      ByteSpan data = r.take(n);
      if (!r.ok()) {
        return false;
      }
      StreamObj* s = c.session.get<StreamObj>(h);
      if (s == nullptr || !s->writable) {
        header(w, ropId, in, s == nullptr ? rops::kNullObject : 0x80030005);  // STG_E_ACCESSDENIED
        w.u16(0);
        return true;
      }
      if (s->position + n > c.mailbox.limits().maxAttachmentBytes) {
        header(w, ropId, in, rops::kTooBig);  // beyond the stream's maximum size
        w.u16(0);
        return true;
      }
      if (!s->dirty) {
        s->pending = *s->data;
        s->dirty = true;
      }
      if (s->pending.size() < s->position + n) {
        s->pending.resize(static_cast<size_t>(s->position + n));
      }
      std::copy(data.begin(), data.end(),
                s->pending.begin() + static_cast<std::ptrdiff_t>(s->position));
      s->position += n;
      header(w, ropId, in, rops::kSuccess);
      w.u16(n);  // WrittenSize
      return true;
    }
    case rops::kCommitStream: {
      if (!r.ok()) {
        return false;
      }
      StreamObj* s = c.session.get<StreamObj>(h);
      uint32_t rv = rops::kSuccess;
      if (s == nullptr) {
        rv = rops::kNullObject;
      } else if (s->dirty) {
        Bytes copy = s->pending;
        if (!c.mailbox.setAttachmentData(s->mid, s->number, std::move(copy))) {
          rv = rops::kQuotaExceeded;  // the mailbox's total of saved bytes (MailboxLimits)
        } else {
          s->data = std::make_shared<const Bytes>(std::move(s->pending));
          s->pending.clear();
          s->dirty = false;
        }
      }
      header(w, ropId, in, rv);
      return true;
    }
    case rops::kGetStreamSize: {
      if (!r.ok()) {
        return false;
      }
      StreamObj* s = c.session.get<StreamObj>(h);
      header(w, ropId, in, s ? rops::kSuccess : rops::kNullObject);
      if (s != nullptr) {
        w.u32(static_cast<uint32_t>(s->view().size()));
      }
      return true;
    }
    case rops::kSeekStream: {
      uint8_t origin = r.u8();
      int64_t offset = static_cast<int64_t>(r.u64());
      if (!r.ok()) {
        return false;
      }
      StreamObj* s = c.session.get<StreamObj>(h);
      if (s == nullptr || origin > 2) {
        header(w, ropId, in, s == nullptr ? rops::kNullObject : rops::kInvalidParameter);
        return true;
      }
      int64_t base = origin == 0   ? 0
                     : origin == 1 ? static_cast<int64_t>(s->position)
                                   : static_cast<int64_t>(s->view().size());
      int64_t pos = base + offset;
      if (pos < 0) {
        header(w, ropId, in, 0x80030019);  // StreamSeekError
        return true;
      }
      s->position = static_cast<uint64_t>(pos);
      header(w, ropId, in, rops::kSuccess);
      w.u64(s->position);
      return true;
    }
    case rops::kSetStreamSize: {
      uint64_t size = r.u64();
      if (!r.ok()) {
        return false;
      }
      StreamObj* s = c.session.get<StreamObj>(h);
      if (s == nullptr || !s->writable) {
        header(w, ropId, in, s == nullptr ? rops::kNullObject : 0x80030005);  // STG_E_ACCESSDENIED
        return true;
      }
      if (size > c.mailbox.limits().maxAttachmentBytes) {
        header(w, ropId, in, rops::kTooBig);  // beyond the stream's maximum size
        return true;
      }
      if (!s->dirty) {
        s->pending = *s->data;
        s->dirty = true;
      }
      s->pending.resize(static_cast<size_t>(size));
      header(w, ropId, in, rops::kSuccess);
      return true;
    }
    // RopSynchronizationConfigure (MS-OXCROPS 2.2.13.1): a contents download only; its Normal
    // and FAI SynchronizationFlags choose the messages (MS-OXCFXICS 3.2.5.3, fast_transfer.h).
    case rops::kSynchronizationConfigure: {
      uint8_t out = r.u8();
      uint8_t syncType = r.u8();
      (void)r.u8();  // SendOptions
      uint16_t synchronizationFlags = r.u16();
      uint16_t restrictionSize = r.u16();
      r.skip(restrictionSize);
      (void)r.u32();  // SynchronizationExtraFlags
      std::vector<uint32_t> tags;
      readTags(r, tags);
      if (!r.ok()) {
        return false;
      }
      FolderObj* f = c.session.get<FolderObj>(h);
      if (f == nullptr) {
        header(w, ropId, out, rops::kNullObject);
      } else if (syncType != kSynchronizationContents) {
        header(w, ropId, out, rops::kNoSupport);
      } else if (!addObject(
                     c, out,
                     FastTransferObj{buildContentsSync(c.mailbox, f->fid, synchronizationFlags), 0,
                                     IcsStateUpload(syncType, c.limits.maxIcsStateBytes)})) {
        header(w, ropId, out, rops::kInsufficientResources);
      } else {
        header(w, ropId, out, rops::kSuccess);
      }
      return true;
    }
    case rops::kFastTransferSourceGetBuffer: {
      uint32_t want = r.u16();
      if (want == rops::kUseMaximum) {
        want = r.u16();  // MaximumBufferSize (2.2.13.5.1)
      }
      if (!r.ok()) {
        return false;
      }
      FastTransferObj* fx = c.session.get<FastTransferObj>(h);
      if (fx == nullptr) {
        header(w, ropId, in, rops::kNullObject);
        return true;
      }
      // A synchronization context streams once its state upload is over (MS-OXCFXICS 3.3.4.3.1).
      if (uint32_t rv = fx->icsState ? fx->icsState->startDownload() : rops::kSuccess;
          rv != rops::kSuccess) {
        header(w, ropId, in, rv);  // an error answer is the header alone (2.2.13.5.2)
        return true;
      }
      uint32_t n = std::min(want, c.limits.maxGetBuffer);
      Bytes buf(n);
      size_t got = fx->stream->read(fx->position, buf);
      fx->position += got;
      bool done = fx->position >= fx->stream->size();
      header(w, ropId, in, rops::kSuccess);
      w.u16(done ? rops::kTransferDone : rops::kTransferPartial);
      w.u16(static_cast<uint16_t>(std::min<uint32_t>(fx->stream->stepAt(fx->position), 0xffff)));
      w.u16(static_cast<uint16_t>(std::min<uint32_t>(fx->stream->steps(), 0xffff)));
      w.u8(0);  // Reserved
      w.u16(static_cast<uint16_t>(got));
      w.bytes(ByteSpan(buf.data(), got));
      return true;
    }
    // The ICS state upload (MS-OXCROPS 2.2.13.9 - 2.2.13.11; sim/ics_state_upload.h): every
    // answer is the header alone. InputServerObject must be a synchronization context
    // (MS-OXCFXICS 2.2.3.2.2.1.1), else ecNullObject.
    case rops::kSynchronizationUploadStateStreamBegin: {
      uint32_t stateProperty = r.u32();
      uint32_t transferBufferSize = r.u32();
      if (!r.ok()) {
        return false;
      }
      IcsStateUpload* up = icsStateOf(c, h);
      header(w, ropId, in, up ? up->begin(stateProperty, transferBufferSize) : rops::kNullObject);
      return true;
    }
    case rops::kSynchronizationUploadStateStreamContinue: {
      uint32_t n = r.u32();
      if (!r.ok() || n > r.remaining()) {
        return false;  // StreamDataSize beyond the RopsList
      }
      ByteSpan data = r.take(n);
      IcsStateUpload* up = icsStateOf(c, h);
      header(w, ropId, in, up ? up->append(data) : rops::kNullObject);
      return true;
    }
    case rops::kSynchronizationUploadStateStreamEnd: {
      if (!r.ok()) {
        return false;
      }
      IcsStateUpload* up = icsStateOf(c, h);
      header(w, ropId, in, up ? up->end() : rops::kNullObject);
      return true;
    }
    default:
      return false;  // a ROP we do not implement: the buffer fails as a whole
  }
}

}  // namespace

std::optional<Bytes> processRopBuffer(EmsmdbService::Session& session, Mailbox& mailbox,
                                      const EmsmdbLimits& limits, ByteSpan request) {
  ByteReader head(request);
  uint16_t ropSize = head.u16();
  if (!head.ok() || ropSize < 2 || ropSize > request.size() ||
      (request.size() - ropSize) % 4 != 0) {
    return std::nullopt;
  }
  std::vector<uint32_t> handles;
  ByteReader ht(request.subspan(ropSize));
  while (ht.remaining() > 0) {
    handles.push_back(ht.u32());
  }
  if (handles.size() > 255) {
    return std::nullopt;
  }
  Bytes ropsOut;
  ByteWriter w(ropsOut);
  ByteReader r(request.subspan(2, ropSize - 2));
  std::lock_guard<std::mutex> l(mailbox.mutex());
  RopContext c{session, mailbox, limits, handles, w};
  while (r.remaining() > 0) {
    if (!executeRop(c, r) || !r.ok()) {
      return std::nullopt;
    }
  }
  if (ropsOut.size() + 2 > 0xffff) {
    return std::nullopt;
  }
  Bytes out;
  ByteWriter o(out);
  o.u16(static_cast<uint16_t>(ropsOut.size() + 2));
  o.bytes(ropsOut);
  for (uint32_t h : handles) {
    o.u32(h);
  }
  return out;
}

}  // namespace bh::sim
