// What every backend checks or keeps the same way (store/store.h's
// contracts), so that SQLite and PostgreSQL cannot drift apart.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "parley/conversation.pb.h"
#include "parley/operation.pb.h"

namespace parley::store {

inline absl::Status CheckNewConversation(const core::Conversation& conversation) {
  if (conversation.tenant().empty() || conversation.id().empty()) {
    return absl::InvalidArgumentError("a conversation needs a tenant and an id");
  }
  return absl::OkStatus();
}

inline absl::Status CheckNewOperation(const core::Operation& op) {
  if (op.tenant().empty() || op.id().empty()) {
    return absl::InvalidArgumentError("an operation needs a tenant and an id");
  }
  return absl::OkStatus();
}

inline absl::Status CheckNewAnalysis(const core::Analysis& analysis) {
  if (analysis.tenant().empty() || analysis.conversation_id().empty() || analysis.id().empty()) {
    return absl::InvalidArgumentError("an analysis needs a tenant, a conversation id and an id");
  }
  return absl::OkStatus();
}

// After ScrubUpdate::rewrite_analysis: the key and the create time (the
// row's ordering) are the store's, whatever the rewrite did to them.
inline void KeepAnalysisKey(const core::Analysis& stored, core::Analysis* rewritten) {
  rewritten->set_tenant(stored.tenant());
  rewritten->set_scope(stored.scope());
  rewritten->set_conversation_id(stored.conversation_id());
  rewritten->set_id(stored.id());
  rewritten->set_create_time_us(stored.create_time_us());
}

// The store owns latest_analysis_id (PutAnalysis sets it without touching
// update_time), so an update keeps the stored one. When `conversation`
// carries another, `patched` becomes a copy with the stored id and
// `patched_body` its serialization; the row to store is returned either way.
struct RowToStore {
  const core::Conversation* row;
  std::string_view body;
};
inline absl::StatusOr<RowToStore> KeepLatestAnalysis(const core::Conversation& conversation,
                                                     std::string_view body, std::string_view stored_latest,
                                                     core::Conversation* patched, std::string* patched_body) {
  if (conversation.latest_analysis_id() == stored_latest) return RowToStore{&conversation, body};
  *patched = conversation;
  patched->set_latest_analysis_id(std::string(stored_latest));
  if (!patched->SerializeToString(patched_body)) return absl::InternalError("cannot serialize conversation");
  return RowToStore{patched, *patched_body};
}

}  // namespace parley::store
