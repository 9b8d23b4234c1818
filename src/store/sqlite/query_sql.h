// Compiles a core::ConversationQuery into SQLite SQL text plus bound
// parameters. Private to the SQLite backend.
//
// Every value from the query is a bound parameter; no user text is ever
// interpolated into the SQL. The generated SQL reads table `conversations`
// under alias `c` (see the schema in schema.cc).
//
// Semantics (shared with the store conformance suite):
// - Optional time columns (start_time, duration) store an absent value as
//   kAbsentTime (INT64_MIN) so ordering is total and keyset paging works:
//   absent sorts before every present value ascending, after it descending.
//   Comparisons on them (=, !=, <, ...) never match an absent value.
// - kAgentId: `=` matches when ANY agent id equals; `!=` when NO agent id
//   equals; `:` "*" when some agent id is non-empty, `:` v is `= v`.
// - kLabel: `=` labels[key] exists and equals; `!=` the conversation has no
//   label key=value (absent key matches); `:` the key is present (any value).
//   <, <=, >, >= are refused.
// - String columns (language_code, profile, app): all comparisons, byte-wise;
//   `:` "*" means non-empty, `:` v means `= v`.
// - Integer columns: all comparisons on int_value; `:` "*" means non-zero
//   (present, for optional times), `:` v means `= int_value`.
// - kLatestAnalysis: only `:` (has an analysis).
// - Orderable columns: create_time, update_time, start_time, duration,
//   turn_count. Ordering is ORDER BY <col> <dir>, id <dir>; a cursor turns
//   into a row-value comparison (col, id) < / > (?, ?).
//
// Plans: the statement walks the (tenant, <order col>, id) index and filters
// rows as it goes, so a page costs about page_size / selectivity row visits
// and never sorts. In create_time order a top-level `agent_id = X` conjunct
// makes the statement walk conversation_agents' (tenant, agent_id,
// create_time, id) index instead, and else a top-level `labels.K = V`
// conversation_labels' (tenant, key, value, create_time, id) index
// (store/list_plan.h; agent and label rows carry copies of their
// conversation's tenant, create_time and id for this). Agent and label
// checks are then keyed by the driving row, so they run on its index entry
// before the conversation row is read.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/conversation_query.h"

namespace parley::store::sqlite {

// Stored in place of an absent optional time (start_time, duration).
inline constexpr int64_t kAbsentTime = std::numeric_limits<int64_t>::min();

// Deepest condition tree accepted (SQLite's own expression depth limit is
// 1000; stay well under it).
inline constexpr int kMaxConditionDepth = 64;

using SqlValue = std::variant<int64_t, std::string>;

struct SqlQuery {
  std::string sql;
  std::vector<SqlValue> params;  // in the order of the `?` in `sql`
};

// Name of the `conversations` column holding `column`'s sort key, or
// INVALID_ARGUMENT if the column cannot be ordered on.
absl::StatusOr<absl::string_view> OrderColumnName(core::ConversationColumn column);

// Appends to `out` a boolean SQL expression for `condition` over alias `c`.
// `order_column` is the column the query is ordered by: a comparison on it
// at the top level of the condition stays index-usable; every other column
// comparison is written `+c.col` so the planner always walks the ordering
// index (bounded cost per page, never a sort of the whole tenant).
//
// With a cursor, the cursor is the index bound on the side the scan starts
// from; a comparison on the ordering column that bounds the same side is then
// written as a plain filter so that the planner cannot pick it over the
// cursor (which would make every later page rescan the rows before it).
enum class OrderBounds {
  kBoth,       // no cursor: both sides may bound the index scan
  kLowerOnly,  // descending with a cursor: only >, >= bound the scan
  kUpperOnly,  // ascending with a cursor: only <, <= bound the scan
};
absl::Status AppendCondition(const core::Condition& condition,
                             core::ConversationColumn order_column, OrderBounds bounds,
                             SqlQuery* out);

// The full list statement. Result columns: 0 sort value (INTEGER), 1 id
// (TEXT), 2 body (BLOB). It returns up to page_size + 1 rows so the caller
// can tell whether a next page exists.
absl::StatusOr<SqlQuery> CompileListQuery(const core::ConversationQuery& query);

}  // namespace parley::store::sqlite
