// KeyService: the API keys of issue 9. A key is a secret
// "prly_<id>_<random>" handed out once; the store keeps only its public id,
// name, tenants, role and a PBKDF2-HMAC-SHA256 hash of the secret with a
// per-key salt, as a configuration resource of the reserved tenant "_system"
// (kind "api_key", id = the key id) through ResourceService: no schema change.
//
// Verification looks the key up by the id inside the secret and compares the
// hash in constant time. The slow hash runs once per secret per process: a
// verified secret is remembered (by its SHA-256) for a few seconds, after
// which the stored key is read again (cheap), so a revocation applies within
// kRecheckSeconds without hashing again.
//
// Requests need a key once one exists (any stored key, revoked or not, or
// keys loaded from an --auth-file); until then the server is in development
// mode.
#pragma once

#include <cstdint>
#include <atomic>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "parley/auth.pb.h"

namespace parley::service {

class ResourceService;

// The reserved tenant and kind keys are stored under. Tenants of keys may not
// start with '_', so no key can reach it.
inline constexpr std::string_view kSystemTenant = "_system";
inline constexpr std::string_view kApiKeyKind = "api_key";

// A key just created: its record and the secret, which is not kept anywhere.
struct CreatedKey {
  core::ApiKey key;
  std::string secret;
};

// "viewer", "editor", "admin" (and back); UNSPECIFIED / nullopt otherwise.
std::string_view RoleName(core::ApiKeyRole role);
std::optional<core::ApiKeyRole> ParseRole(std::string_view name);

// Whether `tenant` may be given to a key: 1 to 128 characters of
// [A-Za-z0-9._-], not starting with '_' (reserved) or '.'.
bool IsValidKeyTenant(std::string_view tenant);

// What KeyService::Authorize found: the tenant the request acts for, and
// the key (its id is what rate limits count by; its name is what the audit
// log shows).
struct Authorized {
  std::string tenant;
  std::string key_id;
  std::string key_name;
};

class KeyService {
 public:
  // PBKDF2 iterations of new keys (stored per key, so it can change). The
  // secrets carry 256 random bits, so the hash guards against nothing a
  // brute force could reach; it is slow so that a copied store is no faster
  // to attack than the server, and it is cached so that requests do not pay.
  static constexpr int kIterations = 20'000;
  // How long a verified secret is trusted before its key is read again.
  static constexpr int kRecheckSeconds = 2;

  // `resources` must outlive the service. Thread-safe.
  explicit KeyService(ResourceService* resources) : resources_(resources) {}

  // A new key for `tenants` (at least one, each IsValidKeyTenant; the first
  // is the tenant of dialects whose paths name none) with `role`.
  // INVALID_ARGUMENT on a bad tenant or role.
  absl::StatusOr<CreatedKey> Create(std::string_view name, const std::vector<std::string>& tenants,
                                    core::ApiKeyRole role);

  // Every stored key, by id (salt and hash included: callers print neither).
  absl::StatusOr<std::vector<core::ApiKey>> List();

  // Marks the key revoked: its secret stops working within kRecheckSeconds.
  // NOT_FOUND when there is no such key, FAILED_PRECONDITION when it is
  // revoked already.
  absl::Status Revoke(std::string_view id);

  // Loads the keys of an --auth-file: a JSON array of {"id", "name",
  // "tenants": [...], "role", "secret"} (a secret "prly_<id>_<random>" whose
  // id part is the key's id). The file must not be readable or writable by
  // group or others (mode 0600 or stricter): INVALID_ARGUMENT otherwise or
  // when malformed. Its keys are checked before the stored ones, and loading
  // them turns authentication on.
  absl::Status LoadAuthFile(const std::string& path);

  // Whether requests need a key: an auth file was loaded or the store holds
  // a key. Rechecked every kRecheckSeconds until true, then always true. A
  // store error counts as true (fail closed).
  bool Required();

  // The valid key whose secret is `secret`. UNAUTHENTICATED when the secret
  // is empty, malformed, unknown, wrong or revoked.
  absl::StatusOr<core::ApiKey> Verify(std::string_view secret);

  // Authenticates `secret` and authorizes it for `tenant` (empty: the key's
  // first tenant) at role `needed`. UNAUTHENTICATED as Verify; then
  // PERMISSION_DENIED, with a message that depends only on the request (not
  // on what is stored for the tenant), when the key lacks the tenant or the
  // role. Returns the tenant the request acts for and the key.
  absl::StatusOr<Authorized> Authorize(std::string_view secret, std::string_view tenant,
                                       core::ApiKeyRole needed);

 private:
  struct Cached {
    core::ApiKey key;
    int64_t recheck_after_us = 0;
    bool valid = false;  // false: this secret failed verification
  };
  absl::StatusOr<core::ApiKey> FindKey(std::string_view id);

  ResourceService* resources_;
  absl::Mutex mu_;
  std::map<std::string, core::ApiKey> file_keys_ ABSL_GUARDED_BY(mu_);  // by id
  // Read on every request, so lock-free: once true it stays true; while
  // false, the thread that moves next_check_us_ on looks for a key again.
  std::atomic<bool> required_{false};
  std::atomic<int64_t> next_check_us_{0};
  std::map<std::string, Cached> cache_ ABSL_GUARDED_BY(mu_);  // by SHA-256 of the secret
};

}  // namespace parley::service
