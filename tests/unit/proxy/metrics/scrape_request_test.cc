#include "proxy/metrics/scrape_request.h"

#include <doctest/doctest.h>

using namespace bh::proxy::metrics;
using Status = ScrapeRequest::Status;

TEST_CASE("scrape request: Prometheus' request, whole and byte by byte") {
  const std::string req =
      "GET /metrics HTTP/1.1\r\nHost: 10.0.0.1:9464\r\nUser-Agent: Prometheus/2.42.0\r\n"
      "Accept: text/plain;version=0.0.4;q=1,*/*;q=0.1\r\n\r\n";
  for (size_t cut = 0; cut < req.size(); ++cut) {
    CHECK(parseScrapeRequest(std::string_view(req).substr(0, cut), 8192).status ==
          Status::NeedMore);
  }
  auto r = parseScrapeRequest(req, 8192);
  REQUIRE(r.status == Status::Done);
  CHECK(r.method == "GET");
  CHECK(r.target == "/metrics");
  CHECK(r.headBytes == req.size());
}

TEST_CASE("scrape request: bare LF and a request line alone") {
  auto r = parseScrapeRequest("GET / HTTP/1.0\n\n", 8192);
  REQUIRE(r.status == Status::Done);
  CHECK(r.target == "/");
}

TEST_CASE("scrape request: malformed request lines are errors") {
  for (const char* bad : {"GET\r\n\r\n", "GET /metrics\r\n\r\n", " /metrics HTTP/1.1\r\n\r\n",
                          "GET  HTTP/1.1\r\n\r\n", "GET /metrics SPDY/3\r\n\r\n"}) {
    INFO(bad);
    CHECK(parseScrapeRequest(bad, 8192).status == Status::Error);
  }
}

TEST_CASE("scrape request: a head that does not end within the cap is an error") {
  std::string endless = "GET /metrics HTTP/1.1\r\nX: " + std::string(300, 'a');
  CHECK(parseScrapeRequest(endless, 4096).status == Status::NeedMore);
  CHECK(parseScrapeRequest(endless, 256).status == Status::Error);
  // Ending just past the cap is refused too: the cap is on the whole head.
  std::string head = "GET / HTTP/1.1\r\nX: " + std::string(220, 'a') + "\r\n\r\n";
  CHECK(parseScrapeRequest(head, head.size()).status == Status::Done);
  CHECK(parseScrapeRequest(head, head.size() - 1).status == Status::Error);
}
