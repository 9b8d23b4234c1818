// Stored form of a conversation condition (core::Condition <-> ConditionNode),
// so that long-running work can keep the filter it was asked for.
#pragma once

#include "absl/status/statusor.h"
#include "core/conversation_query.h"
#include "parley/operation.pb.h"

namespace parley::core {

ConditionNode ConditionToProto(const Condition& condition);

// INVALID_ARGUMENT if `node` names a kind, column or operator this build
// does not know (a corrupt or newer operation).
absl::StatusOr<Condition> ConditionFromProto(const ConditionNode& node);

}  // namespace parley::core
