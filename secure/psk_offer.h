#pragma once

// The identities a ClientHello offers in its pre_shared_key extension (RFC 8446 section
// 4.2.11), so the server can tell a ticket it has already seen spent with early data (ClientHello
// recording, section 8.2; secure/README.md "Resumption and early data"). Pure code over the
// extension's bytes.

#include <vector>

#include "common/bytes.h"
#include "common/parse_result.h"

namespace bh::secure {

/// The extension_data of pre_shared_key in a ClientHello (OfferedPsks). Each identity is a span
/// into `ext`. Done(ext.size()) or Error (lengths that do not fit, an empty identity, a list
/// shorter than one PskIdentity, trailing bytes after the binders).
ParseResult parseOfferedPskIdentities(ByteSpan ext, std::vector<ByteSpan>& identities);

}  // namespace bh::secure
