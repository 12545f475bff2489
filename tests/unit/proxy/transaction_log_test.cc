#include "proxy/transaction_log.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "proxy/codec/optimization_policy.h"
#include "proxy/device_identity.h"
#include "tests/unit/proxy/flow_info_test_util.h"

using namespace bh::proxy;

TEST_CASE("transaction log: the seed's tfo_log flow-end record") {
  setenv("TZ", "UTC", 1);
  tzset();
  FlowInfo f = test::optimizedFlow(codec::PolicyBits::All);
  f.decision.application = "Email-and-Messaging";
  f.lanBytesRead = 4612;
  f.lanBytesWritten = 4086;
  f.wanBytesRead = 2096;
  f.wanBytesWritten = 1973;
  const std::time_t when = 1764936000;  // Fri Dec  5 12:00:00 2025 UTC
  CHECK(transactionLogLine(f, when) ==
        "Fri Dec  5 12:00:00 2025 :342 :10.56.94.101 :4506 :10.10.100.100 :1456 :OT :SODRE :END "
        ":EXTERNAL CLIENT :(Email-and-Messaging) :0:1a:64:d3:2f:b8 :" +
            codec::policyName(codec::PolicyBits::All) + " :4612 :4086 :2096 :1973");
  f.state = FlowState::PassThrough;
  f.coreSide = true;
  std::string pt = transactionLogLine(f, when);
  CHECK(pt.find(" :OT :PT :END :INTERNAL SERVER :") != std::string::npos);
}

TEST_CASE("transaction log: appended to tfo.log, one rotated file over 10 MiB") {
  auto dir = std::filesystem::temp_directory_path() /
             ("bh-tfolog-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  appendTransactionLog(dir.string(), "one");
  appendTransactionLog(dir.string(), "two");
  auto read = [](const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  CHECK(read(dir / "tfo.log") == "one\ntwo\n");
  std::filesystem::resize_file(dir / "tfo.log", (10 << 20) + 1);
  appendTransactionLog(dir.string(), "three");
  CHECK(read(dir / "tfo.log") == "three\n");
  CHECK(std::filesystem::file_size(dir / "tfo.log.1") == (10u << 20) + 1);
  std::filesystem::remove_all(dir);
}

TEST_CASE("device id: the configured one when it parses") {
  auto configured = deriveDeviceId("00:1a:64:d3:2f:b8");
  CHECK(configured.toString() == codec::DeviceId::fromString("00:1a:64:d3:2f:b8")->toString());
  // Not a device id: one derived from this machine instead (never the unparsable text).
  CHECK(deriveDeviceId("not-a-mac").toString() == deriveDeviceId("").toString());
}
