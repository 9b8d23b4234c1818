#include "service/audit_service.h"

#include <iostream>
#include <utility>

#include "core/time_format.h"

namespace parley::service {

void AuditService::Record(store::AuditEntry entry) {
  if (entry.time_us == 0) entry.time_us = core::NowMicros();
  std::string what = entry.action + " " + entry.resource;
  store_->AppendAuditAsync(std::move(entry), [what = std::move(what)](absl::Status s) {
    if (!s.ok()) std::cerr << "parley: audit entry lost (" << what << "): " << s.message() << "\n";
  });
}

absl::Status AuditService::RecordNow(store::AuditEntry entry) {
  if (entry.time_us == 0) entry.time_us = core::NowMicros();
  return store_->AppendAudit(entry);
}

absl::StatusOr<int64_t> AuditService::Prune(int64_t retention_us) {
  return store_->PruneAudit(core::NowMicros() - retention_us);
}

absl::StatusOr<std::vector<store::AuditEntry>> AuditService::List(int64_t since_us,
                                                                  const std::string& tenant) {
  std::vector<store::AuditEntry> all;
  store::AuditQuery query;
  query.since_us = since_us;
  query.tenant = tenant;
  for (;;) {
    auto page = store_->ListAudit(query);
    if (!page.ok()) return page.status();
    const bool more = static_cast<int>(page->size()) == query.limit;
    for (store::AuditEntry& e : *page) all.push_back(std::move(e));
    if (!more) break;
    query.after_seq = all.back().seq;
  }
  return all;
}

}  // namespace parley::service
