#pragma once

// Internal to mapi/drsuapi: NDR readers and writers of the structures several stubs share.
// A structure with embedded pointers is read in two steps, as NDR lays it out (C706 14.3.12):
// its scalars (the pointers as referent ids) where it stands, its pointees ("buffers") after
// the outermost construct's scalars.

#include "common/bytes.h"
#include "mapi/dcerpc/ndr.h"
#include "mapi/drsuapi/drs_extensions.h"
#include "mapi/drsuapi/ds_name.h"
#include "mapi/drsuapi/prefix_table.h"
#include "mapi/drsuapi/stub_io.h"

namespace bh::mapi::drsuapi::detail {

/// DSNAME as the pointee of a DSNAME* (a conformant structure, 5.50).
bool readDsName(StubIn& in, DsName& out);
void writeDsName(ByteWriter& w, const DsName& d);

/// DRS_EXTENSIONS as the pointee of a DRS_EXTENSIONS* (conformant: MaxCount, cb, rgb).
bool readExtensions(StubIn& in, DrsExtensions& out);
void writeExtensions(ByteWriter& w, const DrsExtensions& e);

/// SCHEMA_PREFIX_TABLE: the scalars (PrefixCount, pPrefixEntry) and then, later, the buffers
/// (the entries and each entry's OID bytes). `count`/`present` carry what the scalars said.
struct PrefixTableScalars {
  uint32_t count = 0;
  bool present = false;
};
bool readPrefixTableScalars(StubIn& in, PrefixTableScalars& s);
bool readPrefixTableBuffers(StubIn& in, const PrefixTableScalars& s, PrefixTable& out);
void writePrefixTableScalars(ByteWriter& w, dcerpc::ndr::Referents& refs, const PrefixTable& t);
void writePrefixTableBuffers(ByteWriter& w, dcerpc::ndr::Referents& refs, const PrefixTable& t);

/// Turns a string's UTF-8 for callers; "" when not valid UTF-16.
std::string utf8Of(const std::u16string& s);

}  // namespace bh::mapi::drsuapi::detail
