#pragma once

// The request head of one scrape (RFC 9112 section 3: request-line, header fields, empty line):
// framed first, capped before it is buffered, parsed without throwing. Only what a scraper
// sends is understood: "GET /metrics" (or "/"); the fields are skipped.

#include <cstddef>
#include <string>
#include <string_view>

namespace bh::proxy::metrics {

struct ScrapeRequest {
  enum class Status { NeedMore, Done, Error };
  Status status = Status::NeedMore;
  std::string method;
  std::string target;
  /// Done: the head's length (the bytes up to and including the empty line).
  size_t headBytes = 0;
};

/// Parses the bytes received so far. Error when the head does not end within `maxHeadBytes`,
/// or its request line is not "METHOD SP TARGET SP HTTP/1.x".
ScrapeRequest parseScrapeRequest(std::string_view bytes, size_t maxHeadBytes);

}  // namespace bh::proxy::metrics
