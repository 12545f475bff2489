#include "proxy/metrics/scrape_request.h"

namespace bh::proxy::metrics {

ScrapeRequest parseScrapeRequest(std::string_view bytes, size_t maxHeadBytes) {
  ScrapeRequest r;
  // Scrapers end lines with CRLF; RFC 9112 section 2.2 lets a recipient accept a bare LF.
  size_t end = std::string_view::npos;
  size_t endLen = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != '\n') {
      continue;
    }
    if (i + 1 < bytes.size() && bytes[i + 1] == '\n') {
      end = i, endLen = 2;
      break;
    }
    if (i + 2 < bytes.size() && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') {
      end = i, endLen = 3;
      break;
    }
  }
  if (end == std::string_view::npos || end + endLen > maxHeadBytes) {
    r.status = bytes.size() >= maxHeadBytes || end != std::string_view::npos
                   ? ScrapeRequest::Status::Error
                   : ScrapeRequest::Status::NeedMore;
    return r;
  }
  r.headBytes = end + endLen;
  std::string_view line = bytes.substr(0, bytes.find('\n'));
  if (!line.empty() && line.back() == '\r') {
    line.remove_suffix(1);
  }
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == 0 || sp2 == std::string_view::npos || sp2 == sp1 + 1 ||
      !line.substr(sp2 + 1).starts_with("HTTP/1.")) {
    r.status = ScrapeRequest::Status::Error;
    return r;
  }
  r.method = std::string(line.substr(0, sp1));
  r.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  r.status = ScrapeRequest::Status::Done;
  return r;
}

}  // namespace bh::proxy::metrics
