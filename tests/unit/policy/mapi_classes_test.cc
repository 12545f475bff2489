#include "policy/mapi_classes.h"

#include "policy_test_util.h"

// What verify encryption-settings' "Mapi encryption Settings" reads of the policy map: the
// classes that hand MAPI to the MAPI accelerator, and whether the endpoint mapper is accelerated.

using namespace bh::policy;
using namespace bh::policy::test;

TEST_CASE("mapiClasses: the shipped map's EMSMDB EPM map, and its MS-EndPointMapper class") {
  Config c = loadConfig(shippedConfigText()).value();
  auto rows = mapiClasses(c);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].name == "MAPI");
  CHECK(rows[0].match == "map adaptor EPM mapi");
  CHECK(rows[0].action == "optimize full accelerate mapi application Email-and-Messaging");
  CHECK(hasEpmClass(c));
}

TEST_CASE("mapiClasses: an EPM map of another interface, or one not accelerating mapi, is none") {
  Config c = loadConfig(shippedConfigText()).value();
  REQUIRE_FALSE(c.epmMaps.empty());
  c.epmMaps[0].uuid = "12345778-1234-abcd-ef00-0123456789ab";  // MS-SAMR, not EMSMDB
  CHECK(mapiClasses(c).empty());
  c = loadConfig(shippedConfigText()).value();
  c.epmMaps[0].accelerate = Accelerator::None;
  CHECK(mapiClasses(c).empty());
  // A static class accelerating mapi counts, named by its classifier.
  c.policyMap.classes.insert(c.policyMap.classes.begin(),
                             {"MAPI-static", "MS-EndPointMapper", "Email-and-Messaging",
                              Action::OptimizeFull, Accelerator::Mapi});
  auto rows = mapiClasses(c);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].match == "classifier MS-EndPointMapper");
  for (auto& pc : c.policyMap.classes) {
    if (pc.accelerate == Accelerator::Epm) {
      pc.accelerate = Accelerator::None;
    }
  }
  CHECK_FALSE(hasEpmClass(c));
}
