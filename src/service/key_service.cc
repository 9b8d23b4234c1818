#include "service/key_service.h"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"
#include "core/ids.h"
#include "core/read_file.h"
#include "core/time_format.h"
#include "google/protobuf/util/json_util.h"
#include "service/resource_service.h"

namespace parley::service {
namespace {

// An auth file lists keys; a larger file is a mistake, not a key list.
constexpr size_t kMaxAuthFileBytes = 1u << 20;

constexpr std::string_view kPrefix = "prly_";
constexpr std::string_view kScope = "global";
constexpr size_t kHashBytes = 32;
constexpr size_t kSaltBytes = 16;
constexpr size_t kMinRandomChars = 16;
constexpr size_t kMaxCacheEntries = 10'000;

std::string Pbkdf2(std::string_view secret, const std::string& salt, int iterations) {
  std::string out(kHashBytes, '\0');
  PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()),
                    iterations, EVP_sha256(), static_cast<int>(kHashBytes),
                    reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string Sha256(std::string_view s) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

bool SameBytes(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool IsKeyId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

// The id part of "prly_<id>_<random>", or empty when `secret` has not that form.
std::string_view IdOf(std::string_view secret) {
  if (secret.substr(0, kPrefix.size()) != kPrefix) return {};
  std::string_view rest = secret.substr(kPrefix.size());
  size_t sep = rest.find('_');
  if (sep == std::string_view::npos || rest.size() - sep - 1 < kMinRandomChars) return {};
  std::string_view id = rest.substr(0, sep);
  return IsKeyId(id) ? id : std::string_view();
}

absl::Status Unauthenticated(std::string_view why) {
  return absl::UnauthenticatedError(Sv(why));
}

// The hashed record of `secret` (id from the secret) with `tenants` and `role`.
absl::StatusOr<core::ApiKey> Record(std::string_view id, std::string_view name,
                                    const std::vector<std::string>& tenants, core::ApiKeyRole role,
                                    std::string_view secret) {
  if (tenants.empty()) return absl::InvalidArgumentError("a key needs at least one tenant");
  for (const std::string& t : tenants) {
    if (!IsValidKeyTenant(t)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad tenant '", t, "': 1 to 128 characters of [A-Za-z0-9._-], not starting with '_' or '.'"));
    }
  }
  if (RoleName(role).empty()) return absl::InvalidArgumentError("the role must be viewer, editor or admin");
  auto salt = core::SecureRandomBytes(kSaltBytes);
  if (!salt.ok()) return salt.status();
  core::ApiKey key;
  key.set_id(std::string(id));
  key.set_name(std::string(name));
  for (const std::string& t : tenants) key.add_tenants(t);
  key.set_role(role);
  key.set_salt(*salt);
  key.set_iterations(KeyService::kIterations);
  key.set_hash(Pbkdf2(secret, *salt, KeyService::kIterations));
  key.set_create_time_us(core::NowMicros());
  return key;
}

}  // namespace

std::string_view RoleName(core::ApiKeyRole role) {
  switch (role) {
    case core::VIEWER: return "viewer";
    case core::EDITOR: return "editor";
    case core::ADMIN: return "admin";
    default: return "";
  }
}

std::optional<core::ApiKeyRole> ParseRole(std::string_view name) {
  std::string lower = absl::AsciiStrToLower(Sv(name));
  for (core::ApiKeyRole r : {core::VIEWER, core::EDITOR, core::ADMIN}) {
    if (RoleName(r) == lower) return r;
  }
  return std::nullopt;
}

bool IsValidKeyTenant(std::string_view tenant) {
  if (tenant.empty() || tenant.size() > 128 || tenant[0] == '_' || tenant[0] == '.') return false;
  return std::all_of(tenant.begin(), tenant.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

absl::StatusOr<CreatedKey> KeyService::Create(std::string_view name, const std::vector<std::string>& tenants,
                                              core::ApiKeyRole role) {
  auto id = core::SecureRandomHex(8);
  if (!id.ok()) return id.status();
  auto random = core::SecureRandomHex(32);
  if (!random.ok()) return random.status();
  CreatedKey created;
  created.secret = absl::StrCat(Sv(kPrefix), *id, "_", *random);
  auto key = Record(*id, name, tenants, role, created.secret);
  if (!key.ok()) return key.status();
  created.key = std::move(*key);
  absl::Status s = resources_->Create({kSystemTenant, kApiKeyKind, kScope, created.key.id()},
                                      created.key.create_time_us(), created.key);
  if (!s.ok()) return s;
  required_.store(true, std::memory_order_release);
  return created;
}

absl::StatusOr<std::vector<core::ApiKey>> KeyService::List() {
  std::vector<core::ApiKey> keys;
  auto scanned = resources_->Scan(
      kSystemTenant, kApiKeyKind, "", "", 100,
      [&keys](std::string_view id, const std::string& body) -> absl::StatusOr<bool> {
        core::ApiKey key;
        if (!key.ParseFromString(body)) {
          return absl::InternalError(absl::StrCat("stored key ", Sv(id), " is corrupt"));
        }
        keys.push_back(std::move(key));
        return true;
      });
  if (!scanned.ok()) return scanned.status();
  return keys;
}

absl::Status KeyService::Revoke(std::string_view id) {
  core::ApiKey scratch;
  absl::Status s = resources_->Update(
      {kSystemTenant, kApiKeyKind, "", id}, /*create_if_absent=*/false, &scratch,
      [id](google::protobuf::Message& m, int64_t stored_us) -> absl::StatusOr<int64_t> {
        auto& key = static_cast<core::ApiKey&>(m);
        if (key.revoke_time_us() != 0) {
          return absl::FailedPreconditionError(absl::StrCat("key ", Sv(id), " is revoked already"));
        }
        int64_t now = std::max(core::NowMicros(), stored_us + 1);
        key.set_revoke_time_us(now);
        return now;
      });
  if (absl::IsNotFound(s)) return absl::NotFoundError(absl::StrCat("no key ", Sv(id)));
  return s;
}

absl::Status KeyService::LoadAuthFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  if ((st.st_mode & 077) != 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, " holds secrets and is readable or writable by others: chmod 600 it"));
  }
  absl::StatusOr<std::string> text = core::ReadFile(path, kMaxAuthFileBytes);
  if (!text.ok()) return absl::InvalidArgumentError(text.status().message());
  core::AuthFile file;
  auto parsed = google::protobuf::util::JsonStringToMessage(*text, &file);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a key file: ", parsed.ToString()));
  }
  std::map<std::string, core::ApiKey> keys;
  for (int i = 0; i < file.keys_size(); ++i) {
    const core::AuthFile::Key& k = file.keys(i);
    std::string_view id = IdOf(k.secret());
    if (id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": keys[", i, "]: the secret must be prly_<id>_<random>, id of [a-z0-9], random of at least ",
          kMinRandomChars, " characters"));
    }
    if (keys.count(std::string(id))) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": two keys with id ", Sv(id)));
    }
    std::optional<core::ApiKeyRole> role = ParseRole(k.role());
    auto key = Record(id, k.name(), {k.tenants().begin(), k.tenants().end()},
                      role.value_or(core::API_KEY_ROLE_UNSPECIFIED), k.secret());
    if (!key.ok()) return absl::InvalidArgumentError(absl::StrCat(path, ": keys[", i, "]: ", key.status().message()));
    keys.emplace(std::string(id), std::move(*key));
  }
  {
    absl::MutexLock lock(&mu_);
    file_keys_ = std::move(keys);
  }
  required_.store(true, std::memory_order_release);
  return absl::OkStatus();
}

bool KeyService::Required() {
  if (required_.load(std::memory_order_acquire)) return true;
  const int64_t now = core::NowMicros();
  int64_t next = next_check_us_.load(std::memory_order_relaxed);
  // One thread per period looks for a key; the others answer from the flag.
  if (now < next || !next_check_us_.compare_exchange_strong(
                        next, now + kRecheckSeconds * 1'000'000, std::memory_order_relaxed)) {
    return required_.load(std::memory_order_acquire);
  }
  bool any = false;
  auto scanned = resources_->Scan(kSystemTenant, kApiKeyKind, "", "", 1,
                                  [&any](std::string_view, const std::string&) -> absl::StatusOr<bool> {
                                    any = true;
                                    return false;
                                  });
  if (any || !scanned.ok()) required_.store(true, std::memory_order_release);
  return required_.load(std::memory_order_acquire);
}

absl::StatusOr<core::ApiKey> KeyService::FindKey(std::string_view id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = file_keys_.find(std::string(id));
    if (it != file_keys_.end()) return it->second;
  }
  core::ApiKey key;
  auto got = resources_->Get({kSystemTenant, kApiKeyKind, "", id}, &key);
  if (!got.ok()) return got.status();
  return key;
}

absl::StatusOr<core::ApiKey> KeyService::Verify(std::string_view secret) {
  if (secret.empty()) return Unauthenticated("The request has no API key.");
  const std::string digest = Sha256(secret);
  const int64_t now = core::NowMicros();
  std::optional<Cached> cached;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(digest);
    if (it != cache_.end() && now < it->second.recheck_after_us) cached = it->second;
  }
  if (cached && !cached->valid) return Unauthenticated("The API key is not valid.");
  if (cached && cached->key.revoke_time_us() != 0) return Unauthenticated("The API key was revoked.");
  if (cached && cached->valid) return cached->key;

  std::string_view id = IdOf(secret);
  if (id.empty()) return Unauthenticated("The API key is not valid.");
  auto key = FindKey(id);
  if (absl::IsNotFound(key.status())) return Unauthenticated("The API key is not valid.");
  if (!key.ok()) return key.status();

  bool valid;
  {
    // A secret verified before needs no hashing while the stored key keeps the same hash.
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(digest);
    valid = it != cache_.end() && it->second.valid && SameBytes(it->second.key.hash(), key->hash()) &&
            SameBytes(it->second.key.salt(), key->salt());
  }
  if (!valid) {
    valid = key->iterations() > 0 &&
            SameBytes(Pbkdf2(secret, key->salt(), key->iterations()), key->hash());
  }
  {
    absl::MutexLock lock(&mu_);
    if (cache_.size() >= kMaxCacheEntries) cache_.clear();
    cache_[digest] = Cached{*key, now + kRecheckSeconds * 1'000'000, valid};
  }
  if (!valid) return Unauthenticated("The API key is not valid.");
  if (key->revoke_time_us() != 0) return Unauthenticated("The API key was revoked.");
  return key;
}

absl::StatusOr<Authorized> KeyService::Authorize(std::string_view secret, std::string_view tenant,
                                                 core::ApiKeyRole needed) {
  auto key = Verify(secret);
  if (!key.ok()) return key.status();
  if (tenant.empty()) {
    if (key->tenants_size() == 0) return absl::PermissionDeniedError("The API key has no tenant.");
    tenant = key->tenants(0);
  }
  // The same answer whether or not anything exists under the tenant.
  const bool has_tenant =
      std::find(key->tenants().begin(), key->tenants().end(), tenant) != key->tenants().end();
  if (!has_tenant) {
    return absl::PermissionDeniedError(absl::StrCat(
        "Permission denied on tenant '", Sv(tenant), "' (or it may not exist): the API key is not for it."));
  }
  if (key->role() < needed) {
    return absl::PermissionDeniedError(absl::StrCat("Permission denied: this method needs the ",
                                                    Sv(RoleName(needed)), " role; the API key has ",
                                                    Sv(RoleName(key->role())), "."));
  }
  return Authorized{std::string(tenant), key->id(), key->name()};
}

}  // namespace parley::service
