// What both stores' list compilers share about a query's plan: which index a
// list walks. Private to src/store.
//
// A list in create_time order walks one of three indexes, all led by the
// tenant (Citus distribution, ADR 0021), each giving rows in (create_time,
// id) order so that a page stops after page_size matches and a cursor is a
// bound on the index (keyset paging):
//   - conversation_agents (tenant, agent_id, create_time, id) for a top-level
//     conjunct `agent_id = X`;
//   - conversation_labels (tenant, key, value, create_time, id) for a
//     top-level conjunct `labels.K = V`;
//   - conversations (tenant, create_time, id) otherwise (every conversation
//     of the tenant, filtered as it goes).
// The driving conjunct is answered by the index; every other condition is
// checked on the rows it yields. With both an agent and a label conjunct the
// agent drives: an agent id names one person's conversations (Insights
// projects have hundreds or thousands of agents), while a label value is a
// category shared by a large share of them (a queue, a site, a product), so
// the agent's index walks the fewest rows per match. Among several label
// conjuncts the first one drives. Other orders walk (tenant, <column>, id).
#pragma once

#include "core/conversation_query.h"

namespace parley::store {

struct ListDriver {
  enum class Kind { kTable, kAgent, kLabel };
  Kind kind = Kind::kTable;
  // The driving conjunct (kAgent, kLabel): answered by the index, so the
  // compilers write it as TRUE.
  const core::Condition* condition = nullptr;
};

namespace list_plan_internal {

inline bool IsAgentEq(const core::Condition& c) {
  const bool eq = c.op == core::CompareOp::kEq ||
                  (c.op == core::CompareOp::kHas && c.string_value != "*");
  return c.column == core::ConversationColumn::kAgentId && eq;
}

// `labels.K = V` (`:` on a label tests the key's presence: no driver).
inline bool IsLabelEq(const core::Condition& c) {
  return c.column == core::ConversationColumn::kLabel && c.op == core::CompareOp::kEq &&
         !c.label_key.empty();
}

// The first top-level conjunct of `cond` that `pred` accepts, or null.
template <typename Pred>
const core::Condition* FindConjunct(const core::Condition& cond, Pred pred, int depth = 0) {
  using core::Condition;
  if (depth > 64) return nullptr;
  if (cond.kind == Condition::Kind::kCompare) return pred(cond) ? &cond : nullptr;
  if (cond.kind != Condition::Kind::kAnd) return nullptr;
  for (const Condition& child : cond.children) {
    if (const Condition* found = FindConjunct(child, pred, depth + 1)) return found;
  }
  return nullptr;
}

}  // namespace list_plan_internal

// The index `query` walks (see above).
inline ListDriver ChooseListDriver(const core::ConversationQuery& query) {
  using namespace list_plan_internal;
  if (!query.condition.has_value() || query.order_by != core::ConversationColumn::kCreateTime) {
    return {};
  }
  if (const core::Condition* agent = FindConjunct(*query.condition, IsAgentEq)) {
    return {ListDriver::Kind::kAgent, agent};
  }
  if (const core::Condition* label = FindConjunct(*query.condition, IsLabelEq)) {
    return {ListDriver::Kind::kLabel, label};
  }
  return {};
}

}  // namespace parley::store
