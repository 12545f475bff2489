#include "mapi/mapi_ao/ao_record.h"

namespace bh::mapi::mapi_ao {

namespace {

bool knownType(uint8_t t) {
  return t >= static_cast<uint8_t>(RecordType::Pdus) &&
         t <= static_cast<uint8_t>(RecordType::WriteAck);
}

}  // namespace

ParseResult decodeRecord(ByteSpan in, Record& out, const RecordLimits& limits) {
  if (in.size() < kRecordHeaderSize) {
    return ParseResult::needMore(kRecordHeaderSize);
  }
  ByteReader r(in);
  uint8_t type = r.u8();
  uint32_t length = r.u32be();
  if (!knownType(type)) {
    return ParseResult::fail("unknown MAPI AO record type " + std::to_string(type));
  }
  if (length > limits.maxBody) {
    return ParseResult::fail("MAPI AO record of " + std::to_string(length) +
                             " bytes exceeds the cap");
  }
  size_t total = kRecordHeaderSize + length;
  if (in.size() < total) {
    return ParseResult::needMore(total);
  }
  out.type = static_cast<RecordType>(type);
  out.body.assign(in.begin() + kRecordHeaderSize, in.begin() + static_cast<ptrdiff_t>(total));
  return ParseResult::done(total);
}

void encodeRecord(RecordType type, ByteSpan body, Bytes& out) {
  ByteWriter w(out);
  w.u8(static_cast<uint8_t>(type));
  w.u32be(static_cast<uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
}

Bytes encodeReadAheadStart(const ReadAheadStart& s) {
  Bytes out;
  ByteWriter w(out);
  w.u32be(s.id);
  w.u8(static_cast<uint8_t>(s.kind));
  w.u32be(s.objectHandle);
  w.u16be(s.contextId);
  out.insert(out.end(), s.requestStub.begin(), s.requestStub.end());
  return out;
}

bool decodeReadAheadStart(ByteSpan body, ReadAheadStart& out) {
  ByteReader r(body);
  out.id = r.u32be();
  uint8_t kind = r.u8();
  out.objectHandle = r.u32be();
  out.contextId = r.u16be();
  if (!r.ok() || (kind != static_cast<uint8_t>(ReadAheadKind::ReadStream) &&
                  kind != static_cast<uint8_t>(ReadAheadKind::FastTransferGetBuffer))) {
    return false;
  }
  out.kind = static_cast<ReadAheadKind>(kind);
  ByteSpan stub = r.take(r.remaining());
  out.requestStub.assign(stub.begin(), stub.end());
  return !out.requestStub.empty();
}

bool splitFragments(const std::vector<Bytes>& fragments, uint8_t ptype, Bytes& headers,
                    Bytes& stub) {
  constexpr size_t kHeader = ReadAheadData::kFragmentHeader;
  headers.clear();
  stub.clear();
  for (const auto& f : fragments) {
    // auth_length (bytes 10-11) 0 and no PFC_OBJECT_UUID: the stub is all after 24 bytes.
    if (f.size() < kHeader || f[2] != ptype || f[10] != 0 || f[11] != 0 || (f[3] & 0x80) != 0) {
      return false;
    }
    headers.insert(headers.end(), f.begin(), f.begin() + kHeader);
    stub.insert(stub.end(), f.begin() + kHeader, f.end());
  }
  return !fragments.empty();
}

Bytes joinFragments(const Bytes& headers, const Bytes& stub, uint32_t callId) {
  constexpr size_t kHeader = ReadAheadData::kFragmentHeader;
  Bytes out;
  size_t off = 0;
  for (size_t h = 0; h + kHeader <= headers.size(); h += kHeader) {
    Bytes header(headers.begin() + static_cast<ptrdiff_t>(h),
                 headers.begin() + static_cast<ptrdiff_t>(h + kHeader));
    bool le = (header[4] & 0x10) != 0;
    size_t fragLength = le ? (header[8] | (header[9] << 8)) : ((header[8] << 8) | header[9]);
    if (fragLength < kHeader || stub.size() - off < fragLength - kHeader) {
      return {};
    }
    for (int i = 0; i < 4; ++i) {
      header[12 + static_cast<size_t>(i)] =
          static_cast<uint8_t>(callId >> (le ? 8 * i : 8 * (3 - i)));
    }
    out.insert(out.end(), header.begin(), header.end());
    size_t n = fragLength - kHeader;
    out.insert(out.end(), stub.begin() + static_cast<ptrdiff_t>(off),
               stub.begin() + static_cast<ptrdiff_t>(off + n));
    off += n;
  }
  if (off != stub.size() || headers.size() % kHeader != 0) {
    return {};
  }
  return out;
}

bool ReadAheadData::fromFragments(uint32_t id, uint32_t dataBytes,
                                  const std::vector<Bytes>& fragments, ReadAheadData& out) {
  out = ReadAheadData{};
  out.id = id;
  out.dataBytes = dataBytes;
  return splitFragments(fragments, 2 /* response */, out.fragmentHeaders, out.stub);
}

Bytes ReadAheadData::toFragments(uint32_t callId) const {
  return joinFragments(fragmentHeaders, stub, callId);
}

namespace {

/// The taken-apart fragments at the end of a body: headers' length, headers, stub. `cuts` gets
/// where the stub's stable part starts and ends (between `prefix` and `suffix` bytes).
void writeSplit(Bytes& out, const Bytes& headers, const Bytes& stub, size_t prefix, size_t suffix,
                std::vector<size_t>* cuts) {
  ByteWriter(out).u32be(static_cast<uint32_t>(headers.size()));
  out.insert(out.end(), headers.begin(), headers.end());
  size_t stubAt = out.size();
  out.insert(out.end(), stub.begin(), stub.end());
  if (cuts && stub.size() > prefix + suffix) {
    cuts->push_back(stubAt + prefix);
    cuts->push_back(out.size() - suffix);
  }
}

/// The inverse; false unless the headers are whole and add up with the stub.
bool readSplit(ByteReader& r, Bytes& headers, Bytes& stub) {
  uint32_t n = r.u32be();
  if (!r.ok() || n == 0 || n % ReadAheadData::kFragmentHeader != 0 || n > r.remaining()) {
    return false;
  }
  ByteSpan h = r.take(n);
  headers.assign(h.begin(), h.end());
  ByteSpan rest = r.take(r.remaining());
  stub.assign(rest.begin(), rest.end());
  return !joinFragments(headers, stub, 0).empty();
}

}  // namespace

Bytes encodeReadAheadData(const ReadAheadData& d, std::vector<size_t>* cuts) {
  Bytes out;
  ByteWriter w(out);
  w.u32be(d.id);
  w.u32be(d.dataBytes);
  writeSplit(out, d.fragmentHeaders, d.stub, ReadAheadData::kStubPrefix, ReadAheadData::kStubSuffix,
             cuts);
  return out;
}

bool decodeReadAheadData(ByteSpan body, ReadAheadData& out) {
  ByteReader r(body);
  out.id = r.u32be();
  out.dataBytes = r.u32be();
  return r.ok() && readSplit(r, out.fragmentHeaders, out.stub);
}

Bytes encodeReadAheadId(uint32_t id) {
  Bytes out;
  ByteWriter(out).u32be(id);
  return out;
}

bool decodeReadAheadId(ByteSpan body, uint32_t& id) {
  ByteReader r(body);
  id = r.u32be();
  return r.ok() && r.remaining() == 0;
}

Bytes encodeReadAheadConsumed(uint32_t id, uint32_t count) {
  Bytes out;
  ByteWriter w(out);
  w.u32be(id);
  w.u32be(count);
  return out;
}

bool decodeReadAheadConsumed(ByteSpan body, uint32_t& id, uint32_t& count) {
  ByteReader r(body);
  id = r.u32be();
  count = r.u32be();
  return r.ok() && r.remaining() == 0;
}

Bytes encodeReadAheadCancel(const ReadAheadCancel& c) {
  Bytes out;
  ByteWriter w(out);
  w.u32be(c.id);
  w.u32be(c.consumed);
  w.u8(c.releaseOnly ? 1 : 0);
  return out;
}

bool decodeReadAheadCancel(ByteSpan body, ReadAheadCancel& out) {
  ByteReader r(body);
  out.id = r.u32be();
  out.consumed = r.u32be();
  uint8_t flags = r.u8();
  out.releaseOnly = (flags & 1) != 0;
  return r.ok() && r.remaining() == 0 && flags <= 1;
}

Bytes encodeWriteBehind(const WriteBehind& w, std::vector<size_t>* cuts) {
  Bytes out;
  ByteWriter bw(out);
  bw.u32be(w.objectHandle);
  bw.u16be(w.dataBytes);
  writeSplit(out, w.fragmentHeaders, w.stub, WriteBehind::kStubPrefix, WriteBehind::kStubSuffix,
             cuts);
  return out;
}

bool decodeWriteBehind(ByteSpan body, WriteBehind& out) {
  ByteReader r(body);
  out.objectHandle = r.u32be();
  out.dataBytes = r.u16be();
  return r.ok() && readSplit(r, out.fragmentHeaders, out.stub);
}

Bytes encodeHandOff(HandOffReason reason) {
  Bytes out;
  ByteWriter(out).u16be(static_cast<uint16_t>(reason));
  return out;
}

bool decodeHandOff(ByteSpan body, HandOffReason& out) {
  ByteReader r(body);
  uint16_t v = r.u16be();
  if (!r.ok() || r.remaining() != 0 || v >= kHandOffReasonCount) {
    return false;
  }
  out = static_cast<HandOffReason>(v);
  return true;
}

ParseResult RecordReader::feed(ByteSpan data, std::vector<Record>& records, Bytes& raw) {
  if (failed_) {
    return ParseResult::fail("MAPI AO channel already failed");
  }
  if (handedOff_) {
    raw.insert(raw.end(), data.begin(), data.end());
    return ParseResult::done(data.size());
  }
  buffer_.insert(buffer_.end(), data.begin(), data.end());
  size_t off = 0;
  while (off < buffer_.size()) {
    Record rec;
    ParseResult r = decodeRecord(ByteSpan(buffer_).subspan(off), rec, limits_);
    if (r.status == ParseStatus::NeedMore) {
      break;
    }
    if (!r.ok()) {
      failed_ = true;
      buffer_.clear();
      return r;
    }
    off += r.consumed;
    bool handOff = rec.type == RecordType::HandOff;
    records.push_back(std::move(rec));
    if (handOff) {
      handedOff_ = true;
      raw.insert(raw.end(), buffer_.begin() + static_cast<ptrdiff_t>(off), buffer_.end());
      off = buffer_.size();
      break;
    }
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<ptrdiff_t>(off));
  if (buffer_.empty()) {
    Bytes().swap(buffer_);  // an idle connection keeps no capacity (~4.5 KiB each otherwise)
  }
  return ParseResult::done(data.size());
}

std::string recordTypeName(uint8_t type) {
  switch (static_cast<RecordType>(type)) {
    case RecordType::Pdus:
      return "Pdus";
    case RecordType::ReadAheadStart:
      return "ReadAheadStart";
    case RecordType::ReadAheadData:
      return "ReadAheadData";
    case RecordType::ReadAheadEnd:
      return "ReadAheadEnd";
    case RecordType::ReadAheadConsumed:
      return "ReadAheadConsumed";
    case RecordType::ReadAheadCancel:
      return "ReadAheadCancel";
    case RecordType::HandOff:
      return "HandOff";
    case RecordType::WriteBehind:
      return "WriteBehind";
    case RecordType::WriteAck:
      return "WriteAck";
  }
  return "record type " + std::to_string(type);
}

const char* readAheadKindName(ReadAheadKind kind) {
  return kind == ReadAheadKind::ReadStream ? "ReadStream" : "FastTransfer";
}

}  // namespace bh::mapi::mapi_ao
