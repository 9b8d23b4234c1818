// Walking a parsed filter's AND / OR / NOT tree. Every dialect has its own
// fields and comparisons but the same combinators: these walk the tree and
// leave each comparison (a kCompare node) to the caller's `leaf`.
#pragma once

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/conversation_query.h"
#include "core/filter.h"

namespace parley::core {

// The store condition for `expr`: its AND / OR / NOT nodes as they are, each
// comparison made by `leaf`, whose first error is returned.
absl::StatusOr<Condition> ConditionFromFilter(
    const FilterExpr& expr, absl::FunctionRef<absl::StatusOr<Condition>(const FilterExpr&)> leaf);

// Whether `expr` holds, `leaf` deciding each comparison. Every comparison is
// evaluated (no short cut), so an error in any of them is returned whatever
// the others decide.
absl::StatusOr<bool> EvalFilter(const FilterExpr& expr,
                                absl::FunctionRef<absl::StatusOr<bool>(const FilterExpr&)> leaf);

}  // namespace parley::core
