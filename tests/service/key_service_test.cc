// KeyService over the real SQLite store: keys are created, verified, revoked;
// the store never holds the secret; tenants and roles are enforced.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "service/key_service.h"
#include "core/ids.h"
#include "gtest/gtest.h"
#include "service/resource_service.h"
#include "store/store.h"

namespace parley::service {
namespace {

class KeyServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("parley-keys-" + core::NewId());
    auto s = store::OpenSqliteStore(dir_.string());
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    resources_ = std::make_unique<ResourceService>(store_.get());
    keys_ = std::make_unique<KeyService>(resources_.get());
  }
  void TearDown() override {
    store_->Close();
    std::filesystem::remove_all(dir_);
  }
  std::string WriteFile(const std::string& text, mode_t mode) {
    std::string path = (dir_ / "keys.json").string();
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    return path;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ResourceService> resources_;
  std::unique_ptr<KeyService> keys_;
};

TEST_F(KeyServiceTest, NoKeysIsDevelopmentMode) {
  EXPECT_FALSE(keys_->Required());
  auto list = keys_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(KeyServiceTest, CreateStoresAHashNeverTheSecret) {
  auto created = keys_->Create("ci", {"acme", "beta"}, core::EDITOR);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->secret.rfind("prly_" + created->key.id() + "_", 0) == 0) << created->secret;
  EXPECT_TRUE(keys_->Required());

  core::ApiKey stored;
  ASSERT_TRUE(resources_->Get({kSystemTenant, kApiKeyKind, "", created->key.id()}, &stored).ok());
  EXPECT_EQ(stored.name(), "ci");
  EXPECT_EQ(stored.role(), core::EDITOR);
  ASSERT_EQ(stored.tenants_size(), 2);
  EXPECT_EQ(stored.hash().size(), 32u);
  EXPECT_NE(stored.hash(), created->secret);
  EXPECT_EQ(stored.SerializeAsString().find(created->secret), std::string::npos);
  const std::string random_part = created->secret.substr(created->secret.rfind('_') + 1);
  EXPECT_EQ(stored.SerializeAsString().find(random_part), std::string::npos);

  // A second service (another process) sees the key.
  KeyService other(resources_.get());
  EXPECT_TRUE(other.Required());
  auto list = other.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id(), created->key.id());
}

TEST_F(KeyServiceTest, VerifiesTheRightSecretOnly) {
  auto created = keys_->Create("", {"acme"}, core::VIEWER);
  ASSERT_TRUE(created.ok());
  auto ok = keys_->Verify(created->secret);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->id(), created->key.id());
  // Cached now; a second service must hash again.
  EXPECT_TRUE(keys_->Verify(created->secret).ok());
  EXPECT_TRUE(KeyService(resources_.get()).Verify(created->secret).ok());

  std::string wrong = created->secret;
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  for (int i = 0; i < 2; ++i) EXPECT_TRUE(absl::IsUnauthenticated(keys_->Verify(wrong).status()));
  EXPECT_TRUE(absl::IsUnauthenticated(keys_->Verify("").status()));
  EXPECT_TRUE(absl::IsUnauthenticated(keys_->Verify("not-a-key").status()));
  EXPECT_TRUE(absl::IsUnauthenticated(keys_->Verify("prly_0000000000000000_0123456789abcdef0123").status()));
}

TEST_F(KeyServiceTest, RevokedKeysStopWorking) {
  auto created = keys_->Create("", {"acme"}, core::ADMIN);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(keys_->Verify(created->secret).ok());
  ASSERT_TRUE(keys_->Revoke(created->key.id()).ok());
  // Another process sees the revocation at once; this one within kRecheckSeconds.
  EXPECT_TRUE(absl::IsUnauthenticated(KeyService(resources_.get()).Verify(created->secret).status()));
  std::this_thread::sleep_for(std::chrono::seconds(KeyService::kRecheckSeconds) +
                              std::chrono::milliseconds(100));
  EXPECT_TRUE(absl::IsUnauthenticated(keys_->Verify(created->secret).status()));
  EXPECT_TRUE(absl::IsFailedPrecondition(keys_->Revoke(created->key.id())));
  EXPECT_TRUE(absl::IsNotFound(keys_->Revoke("nope")));
  // A revoked key still means authentication is on.
  EXPECT_TRUE(KeyService(resources_.get()).Required());
  auto list = keys_->List();
  ASSERT_TRUE(list.ok());
  EXPECT_NE((*list)[0].revoke_time_us(), 0);
}

TEST_F(KeyServiceTest, AuthorizesTenantsAndRoles) {
  auto viewer = keys_->Create("", {"acme", "beta"}, core::VIEWER);
  auto editor = keys_->Create("", {"acme"}, core::EDITOR);
  ASSERT_TRUE(viewer.ok() && editor.ok());
  EXPECT_EQ(keys_->Authorize(viewer->secret, "beta", core::VIEWER)->tenant, "beta");
  // No tenant in the path: the key's first.
  EXPECT_EQ(keys_->Authorize(viewer->secret, "", core::VIEWER)->tenant, "acme");
  EXPECT_TRUE(absl::IsPermissionDenied(keys_->Authorize(viewer->secret, "acme", core::EDITOR).status()));
  auto authorized = keys_->Authorize(editor->secret, "acme", core::EDITOR);
  ASSERT_TRUE(authorized.ok());
  EXPECT_EQ(authorized->key_id, editor->key.id());  // what rate limits count by
  EXPECT_EQ(authorized->key_name, "");
  EXPECT_TRUE(absl::IsPermissionDenied(keys_->Authorize(editor->secret, "acme", core::ADMIN).status()));
  auto other = keys_->Authorize(editor->secret, "beta", core::VIEWER);
  EXPECT_TRUE(absl::IsPermissionDenied(other.status()));
  EXPECT_EQ(other.status().message(),
            "Permission denied on tenant 'beta' (or it may not exist): the API key is not for it.");
  EXPECT_TRUE(absl::IsUnauthenticated(keys_->Authorize("", "acme", core::VIEWER).status()));
}

TEST_F(KeyServiceTest, RefusesBadTenantsAndRoles) {
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("", {}, core::VIEWER).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("", {"_system"}, core::VIEWER).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("", {"a/b"}, core::VIEWER).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->Create("", {"acme"}, core::API_KEY_ROLE_UNSPECIFIED).status()));
  EXPECT_FALSE(keys_->Required());
  EXPECT_EQ(ParseRole("Admin"), core::ADMIN);
  EXPECT_EQ(ParseRole("root"), std::nullopt);
}

TEST_F(KeyServiceTest, AuthFileKeys) {
  const std::string text = R"({"keys": [{"name": "ci", "tenants": ["acme"], "role": "editor",
                                          "secret": "prly_ci1_abcdefghijklmnop"}]})";
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->LoadAuthFile(WriteFile(text, 0644))));
  EXPECT_FALSE(keys_->Required());
  ASSERT_TRUE(keys_->LoadAuthFile(WriteFile(text, 0600)).ok());
  EXPECT_TRUE(keys_->Required());
  EXPECT_TRUE(keys_->Authorize("prly_ci1_abcdefghijklmnop", "acme", core::EDITOR).ok());
  EXPECT_TRUE(absl::IsUnauthenticated(keys_->Verify("prly_ci1_abcdefghijklmnoq").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      keys_->LoadAuthFile(WriteFile(R"({"keys": [{"tenants": ["a"], "role": "viewer", "secret": "short"}]})", 0600))));
  EXPECT_TRUE(absl::IsInvalidArgument(keys_->LoadAuthFile(WriteFile("not json", 0600))));
}

}  // namespace
}  // namespace parley::service
