#include "secure/ocsp_http.h"

#include <doctest/doctest.h>

#include <string>

using namespace bh;
using namespace bh::secure;

namespace {

Bytes bytesOf(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

const std::string kGood =
    "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 5\r\n\r\n"
    "\x30\x03\x0a\x01\x01";

ParseResult feedAll(OcspHttpResponseParser& p, const std::string& s) {
  return p.feed(bytesOf(s));
}

}  // namespace

TEST_CASE("ocsp http: the POST of RFC 6960 A.1.1") {
  auto u = OcspUrl::parse("http://ocsp.lab:8080/ca1");
  REQUIRE(u.ok());
  CHECK(u.value().host == "ocsp.lab");
  CHECK(u.value().port == 8080);
  CHECK(u.value().path == "/ca1");
  const uint8_t der[] = {0x30, 0x01, 0x00};
  Bytes req = buildOcspHttpRequest(u.value(), der);
  std::string text(req.begin(), req.end());
  std::string expected =
      "POST /ca1 HTTP/1.0\r\nHost: ocsp.lab:8080\r\nContent-Type: application/ocsp-request\r\n"
      "Content-Length: 3\r\n\r\n";
  expected.append(reinterpret_cast<const char*>(der), sizeof der);
  CHECK(text == expected);
  CHECK(OcspUrl::parse("http://127.0.0.1").value().path == "/");
  CHECK_FALSE(OcspUrl::parse("https://x/").ok());
  CHECK_FALSE(OcspUrl::parse("http://x:0/").ok());
  CHECK_FALSE(OcspUrl::parse("http://x:99999/").ok());
  CHECK_FALSE(OcspUrl::parse("http:///p").ok());
  CHECK_FALSE(OcspUrl::parse("http://x/a b").ok());
}

TEST_CASE("ocsp http: a response split at every point parses the same") {
  for (size_t cut = 0; cut <= kGood.size(); ++cut) {
    OcspHttpResponseParser p;
    ParseResult a = feedAll(p, kGood.substr(0, cut));
    if (cut < kGood.size()) {
      CHECK(a.status == ParseStatus::NeedMore);
    }
    ParseResult b = feedAll(p, kGood.substr(cut));
    CHECK(b.status == ParseStatus::Done);
    CHECK(p.body() == bytesOf(kGood.substr(kGood.size() - 5)));
  }
}

TEST_CASE("ocsp http: refused answers are named errors") {
  auto refused = [](const std::string& s, const char* why) {
    OcspHttpResponseParser p(1024);
    ParseResult r = p.feed(bytesOf(s));
    REQUIRE(r.status == ParseStatus::Error);
    CHECK_MESSAGE(r.error.find(why) != std::string::npos, r.error);
  };
  refused("garbage\r\n\r\n", "not an HTTP response");
  refused("HTTP/1.0 500 Internal\r\n\r\n", "HTTP 500");
  refused("HTTP/1.0 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1\r\n\r\nx",
          "Content-Type");
  refused("HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n\r\nxx",
          "without Content-Length");
  refused(
      "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 1025\r\n\r\n",
      "exceeds the cap");
  refused(
      "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 1x\r\n\r\n",
      "bad Content-Length");
  refused(
      "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 1\r\n\r\nxy",
      "after the OCSP response body");
  refused("HTTP/1.0 200 OK\r\nbroken line\r\n\r\n", "malformed");
  refused("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "chunked");
}

TEST_CASE("ocsp http: the header block is capped before the blank line") {
  OcspHttpResponseParser p;
  std::string head = "HTTP/1.0 200 OK\r\nX: " + std::string(100, 'a') + "\r\n";
  ParseResult r = ParseResult::needMore(0);
  size_t fed = 0;
  while (r.status == ParseStatus::NeedMore && fed < 100000) {
    r = feedAll(p, head);
    fed += head.size();
  }
  CHECK(r.status == ParseStatus::Error);
  CHECK(fed <= OcspHttpResponseParser::kMaxHeaderBytes + head.size());
}

TEST_CASE("ocsp http: a connection closed early is an error, after the body it is not") {
  OcspHttpResponseParser p;
  feedAll(p, kGood.substr(0, kGood.size() - 1));
  CHECK(p.finish().status == ParseStatus::Error);
  OcspHttpResponseParser q;
  feedAll(q, kGood);
  CHECK(q.finish().status == ParseStatus::Done);
}
