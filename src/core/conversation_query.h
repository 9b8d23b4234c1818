// A typed query over stored conversations: the form every dialect's list
// filter and ordering is translated into, and the only form a Store answers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/filter.h"

namespace parley::core {

// Columns a conversation can be filtered or ordered on. Each is an indexed
// column in every store backend.
enum class ConversationColumn {
  kAgentId,        // string: matches any of the conversation's agent ids
  kMedium,         // int: core::Medium
  kLanguageCode,   // string
  kLabel,          // string: labels[key]; `kHas` tests presence of the key
  kCreateTime,     // int64 micros
  kUpdateTime,     // int64 micros
  kStartTime,      // int64 micros
  kDuration,       // int64 micros
  kTurnCount,      // int64
  kLatestAnalysis, // presence only: `kHas` with value "*" (has an analysis)
  kLifecycle,      // int: core::Lifecycle
  kStage,          // int: core::Stage
  kSource,         // int: core::Source
  kProfile,        // string
  kApp,            // string
};

// One node of a condition tree.
struct Condition {
  enum class Kind { kAnd, kOr, kNot, kCompare };
  Kind kind = Kind::kCompare;
  std::vector<Condition> children;

  ConversationColumn column = ConversationColumn::kAgentId;
  std::string label_key;  // kLabel only
  CompareOp op = CompareOp::kEq;
  // Exactly one of these is meaningful, by column type.
  std::string string_value;
  int64_t int_value = 0;
};

enum class SortOrder { kAscending, kDescending };

// Where a page of a list ends: the sort key and id of its last row. Opaque to
// clients (see page_token.h).
struct ListCursor {
  int64_t sort_value = 0;
  std::string id;
};

struct ConversationQuery {
  std::string tenant;
  std::string scope;                    // empty: every scope
  std::optional<Condition> condition;   // empty: every conversation
  ConversationColumn order_by = ConversationColumn::kCreateTime;
  SortOrder order = SortOrder::kDescending;
  int page_size = 100;
  std::optional<ListCursor> after;      // start after this row
  int64_t now_us = 0;                   // rows expired by then are excluded
};

}  // namespace parley::core
