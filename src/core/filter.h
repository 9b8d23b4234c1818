// AIP-160 filter expressions: parsing into a syntax tree.
//
// The parser knows the grammar only (literals, comparisons, AND/OR/NOT/-,
// parentheses, the `:` has-operator, dotted field paths). Which fields exist and
// what their values mean is decided by the caller (each dialect), which turns
// a FilterExpr into a typed core condition (see conversation_query.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace parley::core {

enum class CompareOp { kEq, kNe, kLt, kLe, kGt, kGe, kHas };

struct FilterExpr {
  enum class Kind {
    kAnd,      // children: two or more
    kOr,       // children: two or more
    kNot,      // children: exactly one
    kCompare,  // field op value
  };
  Kind kind = Kind::kCompare;
  std::vector<FilterExpr> children;

  // kCompare only.
  std::vector<std::string> field;  // path: `labels.env` -> {"labels", "env"}
  CompareOp op = CompareOp::kEq;
  std::string value;               // unquoted, escapes resolved
  bool value_quoted = false;       // true when written as "..." or '...'
  // Byte offset of the comparison in the filter text, for error messages.
  size_t position = 0;
};

// Bounds on filters, for every dialect (README, Limits). Process-wide: set
// once at start (`parley serve --max-filter-bytes/--max-filter-depth`) before
// any parse. The depth cannot exceed kMaxFilterDepth: the parser recurses once
// per level and the store's query builder has its own bound above it.
inline constexpr int kMaxFilterDepth = 32;
struct FilterLimits {
  size_t max_bytes = 4096;
  int max_depth = kMaxFilterDepth;  // parenthesis levels, 1..kMaxFilterDepth
};
void SetFilterLimits(FilterLimits limits);
FilterLimits GetFilterLimits();

// Parses `text` (AIP-160). An empty or all-blank text yields an error; callers
// treat an empty filter as "no filter" before calling. On a syntax error returns
// INVALID_ARGUMENT whose message names the problem and its position.
// A bare value with no field (a "global restriction") is refused.
absl::StatusOr<FilterExpr> ParseFilter(std::string_view text);

// Readable name of an operator, as written in a filter ("=", "!=", ":", ...).
std::string_view CompareOpText(CompareOp op);

}  // namespace parley::core
