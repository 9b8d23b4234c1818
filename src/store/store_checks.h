// What every backend checks or keeps the same way (store/store.h's
// contracts), so that SQLite and PostgreSQL cannot drift apart.
#pragma once

#include "absl/status/status.h"
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

}  // namespace parley::store
