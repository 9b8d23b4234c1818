// Insights' list filter and order_by vocabulary, translated to core queries.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "core/conversation_query.h"
#include "core/filter.h"
#include "parley/operation.pb.h"

namespace parley::insights_v1 {

// Turns a parsed AIP-160 filter over Insights conversation fields (agent_id,
// medium, language_code, labels.KEY, labels:"KEY", create_time, update_time,
// start_time, duration, turn_count, latest_analysis) into a core condition.
// INVALID_ARGUMENT naming the field or value that is not understood.
absl::StatusOr<core::Condition> ConversationCondition(const core::FilterExpr& expr);

// An Insights conversation filter (as above) in the stored form long-running
// work keeps: the condition plus the text to echo back. `location` "-" or
// empty: every location. INVALID_ARGUMENT as ConversationCondition.
absl::StatusOr<core::ConversationSelector> SelectorFromFilter(std::string_view filter,
                                                              std::string_view location);

struct Ordering {
  core::ConversationColumn column = core::ConversationColumn::kCreateTime;
  core::SortOrder order = core::SortOrder::kDescending;
};

// Parses order_by: one of create_time, update_time, start_time, duration,
// turn_count (snake_case or lowerCamelCase), optionally followed by " asc" or
// " desc" (default ascending, AIP-132). Empty: create_time desc.
absl::StatusOr<Ordering> ParseOrderBy(std::string_view order_by);

}  // namespace parley::insights_v1
