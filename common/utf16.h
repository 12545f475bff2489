#pragma once
// UTF-16LE as Windows protocols carry names (MS-SAMR, MS-DRSR), to and from UTF-8.

#include <string>

#include "common/bytes.h"

namespace bh {

/// False on an odd length or a lone surrogate (the text is then left unspecified).
bool utf16leToUtf8(ByteSpan in, std::string& out);
/// False on invalid UTF-8.
bool utf8ToUtf16le(const std::string& in, Bytes& out);

}  // namespace bh
