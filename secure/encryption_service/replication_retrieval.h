#pragma once

// Key retrieval by directory replication (seed: what WAAS's SRKeyRetriever does): as the
// identity (Kerberos, secure/kerberos/), find a domain controller, its DRSUAPI endpoint through
// the endpoint mapper, bind sealed (secure/sealed_rpc/, auth_type 16, level 6), IDL_DRSBind,
// IDL_DRSCrackNames (the Exchange SPN to the account's GUID), IDL_DRSGetNCChanges with
// EXOP_REPL_OBJ for that account (MS-DRSR 4.1.10.2.6; not EXOP_REPL_SECRETS, which Samba refuses
// to a caller that is not an RODC), and open the secret attributes with the connection's session
// key (secure/replication/): the NT hash from unicodePwd, the AES keys from
// supplementalCredentials. The kvno is the unicodePwd metadata's version.
//
// Blocking (Kerberos asks the KDC, the DC answers when it answers): the proxy runs it on a worker
// thread, with a transport and a DC locator of its own (sockets and DNS live in proxy/), every
// step bounded by the job's deadline there.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "secure/encryption_service/dc_security.h"
#include "secure/encryption_service/encryption_service.h"
#include "secure/encryption_service/rpc_transport.h"

namespace bh::secure::encryption_service {

struct DomainController {
  std::string fqdn;     ///< for its SPN host/<fqdn>
  std::string address;  ///< what connect() takes
};

/// The DCs of a domain: the configured ones (names, resolved), or the domain's
/// _ldap._tcp.dc._msdcs SRV records (MS-ADTS 6.3.6), in the order to try them.
class DcLocator {
 public:
  virtual ~DcLocator() = default;
  virtual std::vector<DomainController> locate(const std::string& domain,
                                               const std::vector<std::string>& configured,
                                               std::string& why) = 0;
};

RetrievalResult retrieveByReplication(const RetrievalJob& job, RpcTransport& transport,
                                      DcLocator& locator);

/// The security of one DC's DRSUAPI connection (Kerberos as the identity for host/<dc.fqdn>).
using DcSecurityFactory = std::function<std::unique_ptr<DcSecurity>(const DomainController&)>;

/// retrieveByReplication once the identity holds its credential: the DCs located, then each in
/// turn (endpoint mapper, sealed bind with the security `securityFor` makes, DsBind,
/// DsCrackNames, DsGetNCChanges, the secrets opened) until one gives the keys or a failure no
/// other DC would change. `out` holds the steps so far. The unit tests drive it against a fake
/// DC with a fake security (no KDC); the credential step is the lab tests' (Samba's KDC).
RetrievalResult replicateFromDcs(const RetrievalJob& job, const DcSecurityFactory& securityFor,
                                 RpcTransport& transport, DcLocator& locator, RetrievalResult out);

}  // namespace bh::secure::encryption_service
