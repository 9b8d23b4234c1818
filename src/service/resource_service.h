// ResourceService: a tenant's configuration resources (phrase matchers,
// settings, and next profiles and the like), each a core message stored under
// (tenant, kind, id) and living in one scope. Dialects keep their resources
// through it; it owns the read-modify-write rule (optimistic concurrency with
// retries) so that no handler talks to the store.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace parley::store {
class Store;
struct Resource;
}

namespace parley::service {

struct ResourceKey {
  std::string_view tenant;
  std::string_view kind;
  // Where the resource lives (a location); empty on a read: any scope.
  std::string_view scope;
  std::string_view id;
};

// A resource to create together with another write (a message append,
// MessageService::AppendOptions::create_resource), by the rules of
// ResourceService::Create: created and updated at `time_us`; `body` and the
// key's strings must outlive the write.
struct NewResource {
  ResourceKey key;
  int64_t time_us = 0;
  const google::protobuf::Message* body = nullptr;
};

class ResourceService {
 public:
  // `resource` as the store keeps it.
  static store::Resource Stored(const NewResource& resource);

  // `store` must outlive the service. Thread-safe.
  explicit ResourceService(store::Store* store) : store_(store) {}

  // Whether other processes (PostgreSQL nodes) write the same store, so a
  // per-process copy of a resource can be stale.
  bool SharedWithOtherProcesses() const;

  // Stores `body` as a new resource created and updated at `time_us`.
  // ALREADY_EXISTS if (tenant, kind, id) is taken.
  absl::Status Create(const ResourceKey& key, int64_t time_us, const google::protobuf::Message& body);

  // Parses the stored resource into `*out` and returns its stored update
  // time. NOT_FOUND when absent or (key.scope set) in another scope;
  // INTERNAL when the stored body does not parse.
  absl::StatusOr<int64_t> Get(const ResourceKey& key, google::protobuf::Message* out);

  // Read-modify-write. `mutate` gets the stored message in `*scratch` (or,
  // when absent and `create_if_absent`, `*scratch` cleared) and the stored
  // update time (0 when absent), changes the message and returns its new
  // update time, which must be later than the stored one; an error from it is
  // returned as is and nothing is stored. When another writer got there
  // first, the read and `mutate` are repeated (up to 5 times, then ABORTED).
  // NOT_FOUND as Get when absent and !create_if_absent. On success `*scratch`
  // holds what was stored.
  using Mutate = std::function<absl::StatusOr<int64_t>(google::protobuf::Message& message,
                                                       int64_t stored_update_time_us)>;
  absl::Status Update(const ResourceKey& key, bool create_if_absent,
                      google::protobuf::Message* scratch, const Mutate& mutate);

  // Deletes it. NOT_FOUND as Get.
  absl::Status Delete(const ResourceKey& key);

  // Visits the resources of (tenant, kind) in `scope` (empty: every scope) by
  // id, ascending, after `after_id`, reading `batch` at a time. `visit` gets
  // each id and serialized body and returns false to stop before that one.
  // Returns the id a later scan should start after when `visit` stopped it
  // early, nullopt when every resource was visited (it reads on through the
  // store's pages itself).
  using Visit = std::function<absl::StatusOr<bool>(std::string_view id, const std::string& body)>;
  absl::StatusOr<std::optional<std::string>> Scan(std::string_view tenant, std::string_view kind,
                                                  std::string_view scope, std::string_view after_id,
                                                  int batch, const Visit& visit);

 private:
  store::Store* store_;
};

}  // namespace parley::service
