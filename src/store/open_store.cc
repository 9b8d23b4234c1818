// OpenStore: the backend a `--store` value names.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "store/postgres/postgres_store.h"
#include "store/store.h"

namespace parley::store {

bool IsPostgresUrl(std::string_view spec) {
  const absl::string_view s(spec.data(), spec.size());
  return absl::StartsWith(s, "postgresql://") || absl::StartsWith(s, "postgres://");
}

absl::StatusOr<std::unique_ptr<Store>> OpenPostgresStore(const std::string& url,
                                                         const StoreOptions& options) {
  PostgresStoreOptions pg_options;
  pg_options.list_query_max_steps = options.list_query_max_steps;
  pg_options.view_cache_bytes = options.view_cache_bytes;
  auto store = PostgresStore::Open(url, pg_options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

absl::StatusOr<std::unique_ptr<Store>> OpenStore(const std::string& spec, const StoreOptions& options) {
  if (IsPostgresUrl(spec)) return OpenPostgresStore(spec, options);
  const absl::string_view s(spec.data(), spec.size());
  if (absl::StartsWith(s, "sqlite:") && spec.size() > 7) return OpenSqliteStore(spec.substr(7), options);
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown store \"", s, "\": give postgresql://USER@HOST:PORT/DATABASE or sqlite:DIRECTORY"));
}

}  // namespace parley::store
