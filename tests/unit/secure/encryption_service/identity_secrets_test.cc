#include "secure/encryption_service/identity_secrets.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../lab_ca.h"

using namespace bh;
using namespace bh::secure::encryption_service;

namespace {

std::string writeFile(const std::filesystem::path& p, const std::string& text, mode_t mode) {
  std::ofstream(p, std::ios::binary) << text;
  ::chmod(p.c_str(), mode);
  return p.string();
}

Identity user(std::string passwordFile) {
  Identity id;
  id.name = "repl";
  id.domain = "example.com";
  id.principal = "bhrepl";
  id.passwordFile = std::move(passwordFile);
  return id;
}

std::string text(const Bytes& b) {
  return std::string(b.begin(), b.end());
}

}  // namespace

TEST_CASE("identity secrets: a private password file, its newline dropped") {
  bh::secure::test::TempDir t;
  auto s = loadIdentitySecrets(user(writeFile(t.path / "pw", "S3cret!\n", 0600)), "");
  REQUIRE(s.ok());
  CHECK(text(s.value()->password) == "S3cret!");
  CHECK(s.value()->fingerprint == user((t.path / "pw").string()).fingerprint());
}

TEST_CASE("identity secrets: a password file others may read, a link, empty or too long: refused") {
  bh::secure::test::TempDir t;
  auto open = loadIdentitySecrets(user(writeFile(t.path / "pw", "S3cret!", 0644)), "");
  REQUIRE_FALSE(open.ok());
  CHECK(open.error().find("mode 0644") != std::string::npos);
  CHECK(open.error().find("S3cret") == std::string::npos);

  writeFile(t.path / "real", "S3cret!", 0600);
  std::filesystem::create_symlink(t.path / "real", t.path / "link");
  CHECK_FALSE(loadIdentitySecrets(user((t.path / "link").string()), "").ok());
  CHECK_FALSE(loadIdentitySecrets(user(writeFile(t.path / "empty", "\n", 0600)), "").ok());
  CHECK_FALSE(
      loadIdentitySecrets(user(writeFile(t.path / "long", std::string(2000, 'a'), 0600)), "").ok());
  auto missing = loadIdentitySecrets(user((t.path / "none").string()), "");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().find("identity repl") != std::string::npos);
}

TEST_CASE("identity secrets: a systemd credential; none given is named") {
  bh::secure::test::TempDir t;
  Identity id = user("");
  id.passwordCredential = "bhrepl.password";
  // systemd's credential directory is private already; the file's own mode is not checked.
  writeFile(t.path / "bhrepl.password", "FromCred", 0440);
  auto s = loadIdentitySecrets(id, t.path.string());
  REQUIRE(s.ok());
  CHECK(text(s.value()->password) == "FromCred");
  auto none = loadIdentitySecrets(id, "");
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().find("CREDENTIALS_DIRECTORY") != std::string::npos);
}

TEST_CASE("identity credentials: an unreadable file keeps the earlier copy only if unchanged") {
  bh::secure::test::TempDir t;
  std::string pw = writeFile(t.path / "pw", "First", 0600);
  std::vector<Identity> ids = {user(pw)};
  auto first = loadIdentityCredentials(ids, {}, "");
  REQUIRE(first.at("repl").secrets != nullptr);
  CHECK(first.at("repl").error.empty());

  std::filesystem::remove(pw);  // as after the privilege drop: no longer readable
  auto again = loadIdentityCredentials(ids, first, "");
  REQUIRE(again.at("repl").secrets != nullptr);
  CHECK(again.at("repl").kept);
  CHECK(text(again.at("repl").secrets->password) == "First");

  ids[0].principal = "other";  // a changed identity does not keep the old password
  auto changed = loadIdentityCredentials(ids, first, "");
  CHECK(changed.at("repl").secrets == nullptr);
  CHECK_FALSE(changed.at("repl").error.empty());
}
