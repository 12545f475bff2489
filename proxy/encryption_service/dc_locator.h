#pragma once

// The domain controllers of a domain, as a Windows client finds them (MS-ADTS 6.3.6.1, DC
// locator): the configured ones (identities[].domain_controllers), else the DNS SRV records
// _ldap._tcp.dc._msdcs.DOMAIN in priority order. Blocking DNS (the resolver's own timeouts), on the
// retrieval's worker thread.

#include "secure/encryption_service/replication_retrieval.h"

namespace bh::proxy {

class DnsDcLocator final : public secure::encryption_service::DcLocator {
 public:
  std::vector<secure::encryption_service::DomainController> locate(
      const std::string& domain, const std::vector<std::string>& configured,
      std::string& why) override;
};

}  // namespace bh::proxy
