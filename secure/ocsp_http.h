#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/bytes.h"
#include "common/parse_result.h"
#include "secure/outcome.h"

namespace bh::secure {

/// An OCSP responder's address from an AIA accessLocation or the configuration
/// (RFC 6960 appendix A.1: OCSP over HTTP). Only http:// (the response is signed; RFC 6960
/// section 2.2 does not need a secure transport).
struct OcspUrl {
  std::string host;  ///< name or address as written (the proxy resolves it, not secure/)
  uint16_t port = 80;
  std::string path = "/";
  std::string text;  ///< the URL as given, for logs and `show crypto certificates`

  static Outcome<OcspUrl> parse(const std::string& url);
};

/// The HTTP/1.0 POST that carries a DER OCSPRequest (RFC 6960 A.1.1): Content-Type
/// application/ocsp-request, Content-Length, no keep-alive (one request per connection).
Bytes buildOcspHttpRequest(const OcspUrl& url, ByteSpan derRequest);

/// Incremental parser of the responder's HTTP/1.x answer: status line, headers, then a body of
/// exactly Content-Length bytes. feed() returns NeedMore until the body is complete, Done once
/// it is (body() holds it), Error on a malformed or refused answer (status not 200, Content-Type
/// not application/ocsp-response, no Content-Length, a header block or body over its cap).
class OcspHttpResponseParser {
 public:
  static constexpr size_t kMaxHeaderBytes = 8192;
  explicit OcspHttpResponseParser(size_t maxBodyBytes = 64 * 1024) : maxBody_(maxBodyBytes) {}

  ParseResult feed(ByteSpan bytes);
  /// The responder closed the connection: Error unless the body was complete.
  ParseResult finish();
  const Bytes& body() const { return body_; }
  bool done() const { return stage_ == Stage::Done; }

 private:
  enum class Stage { Header, Body, Done, Failed };
  ParseResult failWith(std::string why);
  ParseResult parseHeader();

  size_t maxBody_;
  Stage stage_ = Stage::Header;
  std::string header_;
  size_t contentLength_ = 0;
  Bytes body_;
  std::string error_;
};

}  // namespace bh::secure
