// secure/kerberos: Kerberos and GSS-API failures named from their status codes, and the
// credential's failures that need no KDC (an unreachable KDC on loopback, a missing keytab).
// The rest (a real TGT, the DCE-style context, sealing) is proven against Samba's KDC by
// tests/lab/sealed_rpc_test.sh.
#include <doctest/doctest.h>
#include <gssapi/gssapi.h>
#include <krb5.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "secure/kerberos/gss_credential.h"
#include "secure/kerberos/gss_status.h"

using namespace bh::secure::kerberos;

TEST_CASE("krb5 error codes name the encryption service's failures") {
  CHECK(classifyKrb5Error(0) == GssFailure::None);
  CHECK(classifyKrb5Error(KRB5KDC_ERR_PREAUTH_FAILED) == GssFailure::WrongPassword);
  CHECK(classifyKrb5Error(KRB5KRB_AP_ERR_BAD_INTEGRITY) == GssFailure::WrongPassword);
  CHECK(classifyKrb5Error(KRB5KDC_ERR_C_PRINCIPAL_UNKNOWN) == GssFailure::ClientUnknown);
  CHECK(classifyKrb5Error(KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN) == GssFailure::ServerUnknown);
  CHECK(classifyKrb5Error(KRB5KRB_AP_ERR_SKEW) == GssFailure::ClockSkew);
  CHECK(classifyKrb5Error(KRB5_KDC_UNREACH) == GssFailure::KdcUnreachable);
  CHECK(classifyKrb5Error(KRB5_REALM_CANT_RESOLVE) == GssFailure::RealmUnknown);
  CHECK(classifyKrb5Error(KRB5KDC_ERR_KEY_EXP) == GssFailure::PasswordExpired);
  CHECK(classifyKrb5Error(KRB5KDC_ERR_CLIENT_REVOKED) == GssFailure::ClientRevoked);
  CHECK(classifyKrb5Error(KRB5_KT_NOTFOUND) == GssFailure::KeytabNoKey);
  CHECK(classifyKrb5Error(KRB5KRB_AP_ERR_TKT_EXPIRED) == GssFailure::ContextExpired);
  CHECK(classifyKrb5Error(KRB5KDC_ERR_BADOPTION) == GssFailure::Other);

  CHECK(std::string(gssFailureName(GssFailure::WrongPassword)) == "KDC_ERR_PREAUTH_FAILED");
  CHECK(std::string(gssFailureName(GssFailure::ServerUnknown)) == "KDC_ERR_S_PRINCIPAL_UNKNOWN");
  CHECK(std::string(gssFailureName(GssFailure::ClockSkew)) == "KRB_AP_ERR_SKEW");
}

TEST_CASE("GSS-API major and minor status together: the minor says why, the major what") {
  CHECK(classifyGssStatus(GSS_S_COMPLETE, 0) == GssFailure::None);
  CHECK(classifyGssStatus(GSS_S_FAILURE, KRB5KDC_ERR_S_PRINCIPAL_UNKNOWN) ==
        GssFailure::ServerUnknown);
  CHECK(classifyGssStatus(GSS_S_FAILURE, KRB5KRB_AP_ERR_SKEW) == GssFailure::ClockSkew);
  CHECK(classifyGssStatus(GSS_S_BAD_SIG, 0) == GssFailure::VerifyFailed);
  CHECK(classifyGssStatus(GSS_S_DEFECTIVE_TOKEN, 0) == GssFailure::MutualAuthFailed);
  CHECK(classifyGssStatus(GSS_S_CONTEXT_EXPIRED, 0) == GssFailure::ContextExpired);
  // A replayed or reordered token is GSS_S_COMPLETE with a supplementary bit (RFC 2743 1.2.3).
  CHECK(classifyGssStatus(GSS_S_COMPLETE | GSS_S_DUPLICATE_TOKEN, 0) ==
        GssFailure::ReplayOrSequence);
  CHECK(classifyGssStatus(GSS_S_COMPLETE | GSS_S_UNSEQ_TOKEN, 0) == GssFailure::ReplayOrSequence);
}

namespace {

/// A krb5 profile for the realm TEST.INVALID whose KDC is a loopback port nobody listens on.
struct UnreachableRealm {
  std::string path;
  std::string old;
  bool hadOld = false;
  UnreachableRealm() {
    char tmpl[] = "/tmp/bh-gss-test-krb5.XXXXXX";
    int fd = mkstemp(tmpl);
    REQUIRE(fd >= 0);
    close(fd);
    path = tmpl;
    std::ofstream f(path);
    f << "[libdefaults]\n default_realm = TEST.INVALID\n dns_lookup_kdc = false\n"
         " dns_lookup_realm = false\n udp_preference_limit = 1\n"
         "[realms]\n TEST.INVALID = {\n  kdc = tcp/127.0.0.1:9\n }\n";
    f.close();
    if (const char* o = std::getenv("KRB5_CONFIG")) {
      old = o;
      hadOld = true;
    }
    setenv("KRB5_CONFIG", path.c_str(), 1);
  }
  ~UnreachableRealm() {
    if (hadOld) {
      setenv("KRB5_CONFIG", old.c_str(), 1);
    } else {
      unsetenv("KRB5_CONFIG");
    }
    std::remove(path.c_str());
  }
};

}  // namespace

TEST_CASE("credential: an unreachable KDC is named, and the password is in no message") {
  UnreachableRealm realm;
  GssStatus status;
  const std::string password = "Secret-Pass-1234!";
  auto cred = GssCredential::withPassword("bhrepl@TEST.INVALID", password, status);
  CHECK(cred == nullptr);
  CHECK(status.failure == GssFailure::KdcUnreachable);
  CHECK(status.minor == KRB5_KDC_UNREACH);
  CHECK(status.describe().find("KDC_UNREACHABLE") == 0);
  CHECK(status.describe().find(password) == std::string::npos);
}

TEST_CASE("credential: a missing client keytab and a malformed principal are named") {
  UnreachableRealm realm;
  GssStatus status;
  auto cred = GssCredential::withKeytab("bhrepl@TEST.INVALID", "/nonexistent/bh.keytab", status);
  CHECK(cred == nullptr);
  CHECK(status.failure == GssFailure::KeytabNoKey);
  auto bad = GssCredential::withPassword("a@b@c", "x", status);
  CHECK(bad == nullptr);
  CHECK(status.failure == GssFailure::BadInput);
}
