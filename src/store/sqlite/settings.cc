// Process-wide settings: a key's value, created with a default on first use.
#include "store/sqlite/sqlite_internal.h"

namespace parley::store {

absl::StatusOr<std::string> SqliteStore::GetOrCreateSetting(std::string_view key_sv,
                                                            std::string_view default_sv) {
  if (closed_) return sqlite::Closed();
  const absl::string_view key = sqlite::Sv(key_sv), default_value = sqlite::Sv(default_sv);
  {
    ASSIGN_OR_RETURN(std::unique_ptr<Connection> reader, AcquireReader());
    ReadLease lease(this, std::move(reader));
    ASSIGN_OR_RETURN(Stmt s, lease.conn().Statement("SELECT value FROM settings WHERE key = ?1"));
    s.BindText(1, key);
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (row) return std::string(s.Blob(0));
  }
  std::string value;
  RETURN_IF_ERROR(Write([&](Connection& conn) -> absl::Status {
    {
      ASSIGN_OR_RETURN(
          Stmt s, conn.Statement("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)"));
      s.BindText(1, key).BindBlob(2, default_value);
      RETURN_IF_ERROR(s.Exec());
    }
    ASSIGN_OR_RETURN(Stmt s, conn.Statement("SELECT value FROM settings WHERE key = ?1"));
    s.BindText(1, key);
    ASSIGN_OR_RETURN(bool row, s.Next());
    if (!row) return absl::InternalError("setting vanished");
    value = std::string(s.Blob(0));
    return absl::OkStatus();
  }));
  return value;
}

}  // namespace parley::store
