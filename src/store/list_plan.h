// What both stores' list compilers share about a query's plan. Private to
// src/store.
#pragma once

#include "core/conversation_query.h"

namespace parley::store {

// A top-level conjunct `agent_id = X` of `cond` (every match then has agent
// X), or null: in create_time order such a list walks conversation_agents'
// (tenant, agent_id, create_time, id) index instead of every conversation.
inline const core::Condition* FindAgentDriver(const core::Condition& cond, int depth = 0) {
  using core::Condition;
  if (depth > 64) return nullptr;
  if (cond.kind == Condition::Kind::kCompare) {
    const bool eq = cond.op == core::CompareOp::kEq ||
                    (cond.op == core::CompareOp::kHas && cond.string_value != "*");
    return cond.column == core::ConversationColumn::kAgentId && eq ? &cond : nullptr;
  }
  if (cond.kind != Condition::Kind::kAnd) return nullptr;
  for (const Condition& child : cond.children) {
    if (const Condition* found = FindAgentDriver(child, depth + 1)) return found;
  }
  return nullptr;
}

}  // namespace parley::store
