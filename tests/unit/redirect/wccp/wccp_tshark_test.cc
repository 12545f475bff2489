#include <doctest/doctest.h>

// Wireshark as the independent check of the WCCP codec: every message type we encode, in UDP to
// port 2048, and GRE-redirected packets (protocol 47, 0x883E) are dissected by tshark with no
// malformed packet and no expert item above "note", and the fields tshark reads are ours.

#include <filesystem>
#include <string>

#include "redirect/wccp/gre_redirect.h"
#include "redirect/wccp/wccp_message.h"
#include "redirect/wccp/wccp_security.h"
#include "tests/unit/redirect/wccp/wccp_test_util.h"
#include "tests/unit/tshark.h"

using namespace bh;
using namespace bh::redirect::wccp;
using bh::redirect::wccp::test::ip;

namespace {

constexpr uint32_t kPiNote = 0x400000;  // Wireshark's expert severities: chat < note < warn

Bytes udpDatagram(uint32_t src, uint32_t dst, const Bytes& payload) {
  Bytes udp;
  ByteWriter w(udp, Endian::Big);
  w.u16be(kWccpPort);
  w.u16be(kWccpPort);
  w.u16be(static_cast<uint16_t>(8 + payload.size()));
  w.u16be(0);  // UDP checksum 0: none (RFC 768)
  w.bytes(payload);
  Bytes packet = bh::test::ipv4Header(src, dst, 17, udp.size());
  ByteWriter(packet, Endian::Big).bytes(udp);
  return packet;
}

Bytes greRedirected(const RedirectHeader& h) {
  Bytes inner = bh::test::ipv4Header(ip("10.91.1.10"), ip("10.91.4.2"), 6, 20);
  Bytes tcp = {0x9c, 0x40, 0x17, 0x71, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0};
  inner.insert(inner.end(), tcp.begin(), tcp.end());
  Bytes gre = encodeGreRedirect(h, inner);
  Bytes packet = bh::test::ipv4Header(ip("10.91.1.1"), ip("10.91.1.5"), 47, gre.size());
  packet.insert(packet.end(), gre.begin(), gre.end());
  return packet;
}

std::vector<std::string> split(const std::string& row) {
  std::vector<std::string> cols;
  size_t at = 0;
  for (size_t tab; (tab = row.find('\t', at)) != std::string::npos; at = tab + 1) {
    cols.push_back(row.substr(at, tab - at));
  }
  cols.push_back(row.substr(at));
  return cols;
}

}  // namespace

TEST_CASE("tshark dissects every WCCP message we encode and every GRE redirect cleanly") {
  REQUIRE_MESSAGE(std::filesystem::exists(bh::test::kTshark),
                  "/usr/bin/tshark is missing: install it (scripts/deps) - this test needs it");
  std::vector<Message> messages;
  Message hia = bh::redirect::wccp::test::hereIAm();
  messages.push_back(hia);
  Message isy;
  isy.type = MessageType::ISeeYou;
  isy.components.push_back(SecurityInfo{SecurityOption::Md5, {}});
  isy.components.push_back(bh::redirect::wccp::test::tcpPromiscuous(62));
  isy.components.push_back(
      RouterIdentityInfo{{ip("10.91.1.1"), 8}, ip("10.91.1.5"), {ip("10.91.1.5")}});
  RouterViewInfo view;
  view.memberChangeNumber = 2;
  view.assignmentKey = {ip("10.91.1.5"), 1};
  view.routers = {ip("10.91.1.1")};
  WebCacheIdentity box;
  box.address = ip("10.91.1.5");
  box.buckets.fill(0xff);
  box.weight = 10000;
  view.webCaches = {box};
  isy.components.push_back(view);
  messages.push_back(isy);
  messages.push_back(bh::redirect::wccp::test::redirectAssign(3));
  Message rq;
  rq.type = MessageType::RemovalQuery;
  rq.components.push_back(SecurityInfo{});
  rq.components.push_back(bh::redirect::wccp::test::tcpPromiscuous(61));
  rq.components.push_back(RouterQueryInfo{ip("10.91.1.1"), 12, ip("10.91.1.1"), ip("10.91.1.5")});
  messages.push_back(rq);

  std::vector<Bytes> packets;
  const auto pw = *Md5Password::make("bh61pw");
  for (const Message& m : messages) {
    Bytes wire = encodeMessage(m);
    signMessage(wire, pw);  // the ones with an MD5 component
    packets.push_back(udpDatagram(ip("10.91.1.5"), ip("10.91.1.1"), wire));
  }
  packets.push_back(greRedirected({true, false, 61, 0, 0x5a}));
  packets.push_back(greRedirected({true, false, 62, 0, 0x07}));

  const auto rows = bh::test::tsharkRows(
      packets,
      "-T fields -E occurrence=a -E aggregator=, -e _ws.malformed -e _ws.expert.severity"
      " -e wccp.message -e wccp.service_info_dyn_id -e gre.wccp.service_id"
      " -e gre.wccp.primary_bucket -e wccp.security_md5_checksum -e gre.wccp.dynamic_service");
  REQUIRE(rows.size() == packets.size());
  const char* types[] = {"10", "11", "12", "13"};
  for (size_t i = 0; i < rows.size(); ++i) {
    CAPTURE(rows[i]);
    auto c = split(rows[i]);
    REQUIRE(c.size() == 8);
    CHECK(c[0].empty());                      // no malformed packet
    for (size_t at = 0; at < c[1].size();) {  // every expert item at most a note
      size_t comma = c[1].find(',', at);
      std::string sev =
          c[1].substr(at, comma == std::string::npos ? std::string::npos : comma - at);
      CHECK(std::stoul(sev) <= kPiNote);
      at = comma == std::string::npos ? c[1].size() : comma + 1;
    }
    if (i < messages.size()) {
      CHECK(c[2] == types[i]);
      CHECK(c[3] == (i == 1 ? "62" : "61"));
    }
  }
  CHECK(split(rows[4])[4] == "61");
  CHECK(split(rows[4])[5] == "90");  // 0x5a
  CHECK(split(rows[5])[4] == "62");
  CHECK(split(rows[5])[5] == "7");
  // D as Wireshark reads it (gre_redirect.h): a dynamic service.
  CHECK(split(rows[4])[7] == "1");
  CHECK_FALSE(split(rows[0])[6].empty());  // the HERE_I_AM's digest
}
