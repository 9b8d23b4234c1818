// AuditService: the audit log of destructive and admin actions (ADR 0013).
// The server records each audited request once it is answered, without
// waiting for the entry to be durable (it joins the store's next group
// commit); command-line tools record and wait.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "store/store.h"

namespace parley::service {

// One line of the log, as callers above the store (the API's audit tracker,
// the CLI) build it.
using AuditEntry = store::AuditEntry;

class AuditService {
 public:
  // `store` must outlive the service. Thread-safe.
  explicit AuditService(store::Store* store) : store_(store) {}

  // Appends `entry` (time_us 0: now) without waiting; a failure to store it
  // is reported on stderr. The caller's response is not held up.
  void Record(store::AuditEntry entry);

  // Appends `entry` (time_us 0: now) and returns once it is durable.
  absl::Status RecordNow(store::AuditEntry entry);

  // Removes the entries older than `retention_us` (answered before now -
  // retention_us); returns how many.
  absl::StatusOr<int64_t> Prune(int64_t retention_us);

  // Every entry at or after `since_us` (of `tenant`, when not empty), oldest first.
  absl::StatusOr<std::vector<store::AuditEntry>> List(int64_t since_us, const std::string& tenant);

 private:
  store::Store* store_;
};

}  // namespace parley::service
