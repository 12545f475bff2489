// The EPM accelerator on a live conversation: a relay between outlook-sim's endpoint-mapper
// lookup and exchange-sim feeds EpmAccelerator every segment (in small pieces) and forwards it
// unchanged; the accelerator must learn the EMSMDB port exchange-sim handed out.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <fstream>
#include <iterator>
#include <mutex>
#include <thread>

#include "mapi/epm_ao/epm_accelerator.h"
#include "sim/exchange_server.h"
#include "sim/outlook_client.h"
#include "tests/unit/mapi/epm_ao/recording_sink.h"

using namespace bh;
using namespace bh::sim;

namespace {

/// Copies `from` to `to` in pieces of at most 7 bytes, showing each piece to `see` first.
void pump(Socket& from, Socket& to, const std::function<void(ByteSpan)>& see) {
  uint8_t buf[7];
  for (;;) {
    ssize_t n = ::recv(from.fd(), buf, sizeof buf, 0);
    if (n <= 0) {
      ::shutdown(to.fd(), SHUT_WR);
      return;
    }
    see(ByteSpan(buf, static_cast<size_t>(n)));
    if (!to.writeAll(ByteSpan(buf, static_cast<size_t>(n)))) {
      return;
    }
  }
}

}  // namespace

TEST_CASE("EpmAccelerator learns exchange-sim's EMSMDB port from a relayed lookup") {
  ExchangeSimOptions o;
  o.epmPort = 0;
  o.emsmdbPort = 0;
  o.mailboxMessages = 2;
  o.attachmentSizes = {};
  ExchangeSim sim(o);
  std::string error;
  REQUIRE(sim.start(&error));

  mapi::epm_ao::testing::RecordingSink events;
  mapi::epm_ao::EpmCounters counters;
  std::mutex mu;
  auto listener = listenTcp(0, &error);
  REQUIRE(listener);
  uint16_t relayPort = listener->localPort();
  {
    mapi::epm_ao::EpmAccelerator ao(*IpAddress::parse("127.0.0.1"), events, counters);
    std::thread relay([&] {
      auto client = acceptTcp(*listener);
      std::string e;
      auto server = connectTcp("127.0.0.1", sim.epmPort(), &e);
      if (!client || !server) {
        return;
      }
      std::thread up([&] {
        pump(*client, *server, [&](ByteSpan b) {
          std::lock_guard<std::mutex> l(mu);
          ao.onClientData(b);
        });
      });
      pump(*server, *client, [&](ByteSpan b) {
        std::lock_guard<std::mutex> l(mu);
        ao.onServerData(b);
      });
      up.join();
    });

    OutlookOptions c;
    c.server = "127.0.0.1";
    c.epmPort = relayPort;
    c.mailboxMessages = 2;
    c.attachmentSizes = {};
    OutlookClient client(c);
    std::vector<OpReport> reports;
    bool opened = client.open(reports, &error);
    CHECK_MESSAGE(opened, error);
    OpReport bye;
    if (opened) {
      CHECK(client.close(bye));
    }
    relay.join();
    CHECK(ao.state() == mapi::epm_ao::EpmAoState::Active);
  }
  REQUIRE(events.taken.size() == 1);
  CHECK(events.taken[0].address == *IpAddress::parse("127.0.0.1"));
  CHECK(events.taken[0].port == sim.emsmdbPort());
  CHECK(events.taken[0].interfaceUuid == "a4f1db00-ca47-1067-b31f-00dd010662da");
  CHECK(counters.totalHandledConnections == 1);
  CHECK(counters.currentActiveConnections == 0);
  CHECK(counters.totalRequestsSuccessfullyParsed == 1);
  CHECK(counters.totalResponsesSuccessfullyParsed == 1);
  CHECK(counters.totalRequestsFailedToParse == 0);
  CHECK(counters.totalResponsesFailedToParse == 0);
}
