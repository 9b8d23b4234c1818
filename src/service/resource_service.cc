#include "service/resource_service.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "store/store.h"

namespace parley::service {
namespace {

constexpr int kAttempts = 5;

store::Resource ToStored(const ResourceKey& key, int64_t create_time_us, int64_t update_time_us,
                         const google::protobuf::Message& body) {
  store::Resource r;
  r.tenant = std::string(key.tenant);
  r.kind = std::string(key.kind);
  r.id = std::string(key.id);
  r.location = std::string(key.scope);
  r.create_time_us = create_time_us;
  r.update_time_us = update_time_us;
  r.body = body.SerializeAsString();
  return r;
}

}  // namespace

bool ResourceService::SharedWithOtherProcesses() const { return store_->SharesOperations(); }

store::Resource ResourceService::Stored(const NewResource& resource) {
  return ToStored(resource.key, resource.time_us, resource.time_us, *resource.body);
}

absl::Status ResourceService::Create(const ResourceKey& key, int64_t time_us,
                                     const google::protobuf::Message& body) {
  return store_->CreateResource(ToStored(key, time_us, time_us, body));
}

absl::StatusOr<int64_t> ResourceService::Get(const ResourceKey& key, google::protobuf::Message* out) {
  auto r = store_->GetResource(key.tenant, key.kind, key.id);
  if (!r.ok()) return r.status();
  if (!key.scope.empty() && r->location != key.scope) return absl::NotFoundError("not found");
  if (!out->ParseFromString(r->body)) {
    return absl::InternalError(absl::StrCat("stored ", r->kind, " is corrupt"));
  }
  return r->update_time_us;
}

absl::Status ResourceService::Update(const ResourceKey& key, bool create_if_absent,
                                     google::protobuf::Message* scratch, const Mutate& mutate) {
  for (int attempt = 1;; ++attempt) {
    scratch->Clear();
    int64_t stored_update = 0;
    int64_t create_time = 0;
    auto r = store_->GetResource(key.tenant, key.kind, key.id);
    if (r.ok() && !key.scope.empty() && r->location != key.scope) {
      r = absl::NotFoundError("not found");
    }
    if (r.ok()) {
      if (!scratch->ParseFromString(r->body)) {
        return absl::InternalError(absl::StrCat("stored ", r->kind, " is corrupt"));
      }
      stored_update = r->update_time_us;
      create_time = r->create_time_us;
    } else if (!absl::IsNotFound(r.status()) || !create_if_absent) {
      return r.status();
    }
    absl::StatusOr<int64_t> now = mutate(*scratch, stored_update);
    if (!now.ok()) return now.status();
    store::Resource next = ToStored(key, stored_update == 0 ? *now : create_time, *now, *scratch);
    absl::Status st = stored_update == 0 ? store_->CreateResource(next)
                                         : store_->UpdateResource(next, stored_update);
    const bool lost_race = absl::IsAborted(st) || (stored_update == 0 && absl::IsAlreadyExists(st)) ||
                           (stored_update != 0 && absl::IsNotFound(st) && create_if_absent);
    if (!lost_race) return st;
    if (attempt == kAttempts) return absl::AbortedError("too many concurrent changes; try again");
  }
}

absl::Status ResourceService::Delete(const ResourceKey& key) {
  if (!key.scope.empty()) {
    auto r = store_->GetResource(key.tenant, key.kind, key.id);
    if (!r.ok()) return r.status();
    if (r->location != key.scope) return absl::NotFoundError("not found");
  }
  return store_->DeleteResource(key.tenant, key.kind, key.id);
}

absl::StatusOr<std::optional<std::string>> ResourceService::Scan(
    std::string_view tenant, std::string_view kind, std::string_view scope,
    std::string_view after_id, int batch, const Visit& visit) {
  std::string last(after_id);
  for (;;) {
    auto page = store_->ListResources(tenant, kind, scope, batch, last);
    if (!page.ok()) return page.status();
    for (const store::Resource& r : page->resources) {
      absl::StatusOr<bool> more = visit(r.id, r.body);
      if (!more.ok()) return more.status();
      if (!*more) return std::optional<std::string>(last);
      last = r.id;
    }
    if (!page->next_after_id) return std::optional<std::string>();
    last = *page->next_after_id;
  }
}

}  // namespace parley::service
