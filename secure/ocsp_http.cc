#include "secure/ocsp_http.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace bh::secure {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

Outcome<OcspUrl> OcspUrl::parse(const std::string& url) {
  using R = Outcome<OcspUrl>;
  const std::string scheme = "http://";
  if (url.size() > 2048 || lower(url.substr(0, scheme.size())) != scheme) {
    return R::failure("OCSP URL must be http://host[:port]/path");
  }
  OcspUrl u;
  u.text = url;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    unsigned port = 0;
    auto [p, ec] =
        std::from_chars(authority.data() + colon + 1, authority.data() + authority.size(), port);
    if (ec != std::errc() || p != authority.data() + authority.size() || port == 0 ||
        port > 65535) {
      return R::failure("OCSP URL has a bad port");
    }
    u.port = static_cast<uint16_t>(port);
    authority.resize(colon);
  }
  if (authority.empty()) {
    return R::failure("OCSP URL has no host");
  }
  for (char c : u.path + authority) {
    if (c <= ' ' || c == 0x7f) {
      return R::failure("OCSP URL holds a space or control character");
    }
  }
  u.host = authority;
  return R::success(std::move(u));
}

Bytes buildOcspHttpRequest(const OcspUrl& url, ByteSpan derRequest) {
  std::string head = "POST " + url.path + " HTTP/1.0\r\nHost: " + url.host +
                     (url.port != 80 ? ":" + std::to_string(url.port) : std::string()) +
                     "\r\nContent-Type: application/ocsp-request\r\nContent-Length: " +
                     std::to_string(derRequest.size()) + "\r\n\r\n";
  Bytes out(head.begin(), head.end());
  out.insert(out.end(), derRequest.begin(), derRequest.end());
  return out;
}

ParseResult OcspHttpResponseParser::failWith(std::string why) {
  stage_ = Stage::Failed;
  error_ = why;
  body_.clear();
  return ParseResult::fail(std::move(why));
}

ParseResult OcspHttpResponseParser::feed(ByteSpan bytes) {
  if (stage_ == Stage::Failed) {
    return ParseResult::fail(error_);
  }
  if (stage_ == Stage::Done) {
    return bytes.empty() ? ParseResult::done(0) : failWith("bytes after the OCSP response body");
  }
  size_t used = 0;
  if (stage_ == Stage::Header) {
    // Take header bytes up to the blank line, never more than the cap.
    size_t room = kMaxHeaderBytes - header_.size();
    size_t take = std::min(room, bytes.size());
    size_t before = header_.size();
    header_.append(reinterpret_cast<const char*>(bytes.data()), take);
    size_t end = header_.find("\r\n\r\n");
    if (end == std::string::npos) {
      if (header_.size() >= kMaxHeaderBytes) {
        return failWith("HTTP header longer than " + std::to_string(kMaxHeaderBytes) + " bytes");
      }
      return ParseResult::needMore(header_.size() + 1);
    }
    used = end + 4 - before;
    header_.resize(end + 4);
    ParseResult h = parseHeader();
    if (h.status == ParseStatus::Error) {
      return h;
    }
    stage_ = Stage::Body;
  }
  ByteSpan rest = bytes.subspan(used);
  if (body_.size() + rest.size() > contentLength_) {
    return failWith("bytes after the OCSP response body");
  }
  body_.insert(body_.end(), rest.begin(), rest.end());
  if (body_.size() < contentLength_) {
    return ParseResult::needMore(contentLength_ - body_.size());
  }
  stage_ = Stage::Done;
  return ParseResult::done(bytes.size());
}

ParseResult OcspHttpResponseParser::parseHeader() {
  size_t eol = header_.find("\r\n");
  std::string status = header_.substr(0, eol);
  // RFC 1945 section 6.1: Status-Line = HTTP-Version SP Status-Code SP Reason-Phrase.
  if (status.size() < 12 || status.compare(0, 7, "HTTP/1.") != 0 || status[8] != ' ') {
    return failWith("not an HTTP response");
  }
  if (status.compare(9, 3, "200") != 0) {
    return failWith("OCSP responder answered HTTP " + status.substr(9, 3));
  }
  bool haveLength = false;
  bool typeOk = false;
  size_t pos = eol + 2;
  while (pos < header_.size() - 2) {
    size_t next = header_.find("\r\n", pos);
    std::string line = header_.substr(pos, next - pos);
    pos = next + 2;
    size_t colon = line.find(':');
    if (colon == std::string::npos) {
      return failWith("malformed HTTP header line");
    }
    std::string name = lower(trim(line.substr(0, colon)));
    std::string value = trim(line.substr(colon + 1));
    if (name == "content-length") {
      size_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || haveLength) {
        return failWith("bad Content-Length");
      }
      haveLength = true;
      contentLength_ = n;
    } else if (name == "content-type") {
      typeOk = lower(value).rfind("application/ocsp-response", 0) == 0;
    } else if (name == "transfer-encoding") {
      return failWith("chunked OCSP responses are not accepted");
    }
  }
  if (!typeOk) {
    return failWith("Content-Type is not application/ocsp-response");
  }
  if (!haveLength) {
    return failWith("OCSP response without Content-Length");
  }
  // Check the announced length against the cap before buffering any of the body.
  if (contentLength_ > maxBody_) {
    return failWith("OCSP response of " + std::to_string(contentLength_) +
                    " bytes exceeds the cap of " + std::to_string(maxBody_));
  }
  if (contentLength_ == 0) {
    return failWith("empty OCSP response body");
  }
  body_.reserve(contentLength_);
  return ParseResult::needMore(contentLength_);
}

ParseResult OcspHttpResponseParser::finish() {
  if (stage_ == Stage::Done) {
    return ParseResult::done(0);
  }
  if (stage_ == Stage::Failed) {
    return ParseResult::fail(error_);
  }
  return failWith("OCSP responder closed the connection before the whole response");
}

}  // namespace bh::secure
