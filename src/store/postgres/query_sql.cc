// core::ConversationQuery as PostgreSQL SQL: the conditions of the SQLite
// store (store/sqlite/query_sql.h gives the semantics, which the store
// conformance suite pins down for both) over table `conversations` alias c.
// Every value is a bound parameter; no user text is ever written into SQL.
//
// Plan: ORDER BY <col>, id with LIMIT over the (tenant, <col>, id) index,
// filtering as it walks; a cursor is a row-value bound (col, id) < ($a, $b)
// on that index. In create_time order a top-level `agent_id = X` walks
// conversation_agents' (tenant, agent_id, create_time, conv_id) instead, and
// else a top-level `labels.K = V` conversation_labels' (tenant, key, value,
// create_time, conv_id) (store/list_plan.h); on the agents walk a label
// condition is first checked against the entry's label hashes (ADR 0039). The
// statement timeout bounds a filter that matches little over a large tenant.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "store/list_plan.h"
#include "store/postgres/postgres_internal.h"

namespace parley::store::pg {
namespace {

using core::CompareOp;
using core::Condition;
using core::ConversationColumn;

// Deepest condition tree accepted.
constexpr int kMaxConditionDepth = 64;

enum class ColumnType { kString, kInt, kOptionalTime, kAgent, kLabel, kLatestAnalysis };

struct ColumnInfo {
  absl::string_view name;
  ColumnType type;
};

absl::StatusOr<ColumnInfo> Info(ConversationColumn column) {
  switch (column) {
    case ConversationColumn::kAgentId: return ColumnInfo{"", ColumnType::kAgent};
    case ConversationColumn::kMedium: return ColumnInfo{"medium", ColumnType::kInt};
    case ConversationColumn::kLanguageCode: return ColumnInfo{"language_code", ColumnType::kString};
    case ConversationColumn::kLabel: return ColumnInfo{"", ColumnType::kLabel};
    case ConversationColumn::kCreateTime: return ColumnInfo{"create_time", ColumnType::kInt};
    case ConversationColumn::kUpdateTime: return ColumnInfo{"update_time", ColumnType::kInt};
    case ConversationColumn::kStartTime: return ColumnInfo{"start_time", ColumnType::kOptionalTime};
    case ConversationColumn::kDuration: return ColumnInfo{"duration", ColumnType::kOptionalTime};
    case ConversationColumn::kTurnCount: return ColumnInfo{"turn_count", ColumnType::kInt};
    case ConversationColumn::kLatestAnalysis:
      return ColumnInfo{"latest_analysis_id", ColumnType::kLatestAnalysis};
    case ConversationColumn::kLifecycle: return ColumnInfo{"lifecycle", ColumnType::kInt};
    case ConversationColumn::kStage: return ColumnInfo{"stage", ColumnType::kInt};
    case ConversationColumn::kSource: return ColumnInfo{"source", ColumnType::kInt};
    case ConversationColumn::kProfile: return ColumnInfo{"profile", ColumnType::kString};
    case ConversationColumn::kApp: return ColumnInfo{"app", ColumnType::kString};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown conversation column ", static_cast<int>(column)));
}

absl::string_view OpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq: return "=";
    case CompareOp::kNe: return "<>";
    case CompareOp::kLt: return "<";
    case CompareOp::kLe: return "<=";
    case CompareOp::kGt: return ">";
    case CompareOp::kGe: return ">=";
    case CompareOp::kHas: return "=";  // `:` v is `= v`
  }
  return "=";
}

bool IsOrdering(CompareOp op) {
  return op == CompareOp::kLt || op == CompareOp::kLe || op == CompareOp::kGt ||
         op == CompareOp::kGe;
}

absl::Status Unsupported(absl::string_view what, CompareOp op) {
  return absl::InvalidArgumentError(absl::StrCat(
      "operator '", op == CompareOp::kHas ? absl::string_view(":") : OpText(op),
      "' is not supported on ", what));
}

// The next placeholder, after adding a parameter.
std::string Next(const SqlQuery& q) { return absl::StrCat("$", q.params.size()); }

// EXISTS over a conversation's agents or labels rows, keyed by the row the
// list walks (the driving index's row when there is one: then PostgreSQL
// checks it on that index's entries, before it reads the conversation).
// Closed by kChildExistsEnd: OFFSET 0 keeps it a probe per row walked (a
// SubPlan). Without it PostgreSQL may turn it into a merge semi-join that
// reads the label's whole index over the time span the page covers (26,478
// entries of `labels.queue = "billing"` for a page of agent-3's rows at 1M
// conversations, against 1,059 probes: 12,177 buffers against 4,935).
std::string ChildExists(const SqlQuery& q, absl::string_view table, absl::string_view alias) {
  return absl::StrCat("EXISTS (SELECT 1 FROM ", table, " ", alias, " WHERE ", alias, ".tenant = ", q.key_alias,
                      ".tenant AND ", alias, ".scope = ", q.key_alias, ".scope AND ", alias,
                      ".conv_id = ", q.key_id, " AND ");
}

constexpr absl::string_view kChildExistsEnd = " OFFSET 0)";

absl::Status AppendCompare(const Condition& cond, SqlQuery* out) {
  if (&cond == out->skip) {
    out->sql += "TRUE";
    return absl::OkStatus();
  }
  ASSIGN_OR_RETURN(ColumnInfo info, Info(cond.column));
  std::string& sql = out->sql;
  const CompareOp op = cond.op;
  const bool has_any = op == CompareOp::kHas && cond.string_value == "*";
  const std::string col = cond.column == ConversationColumn::kCreateTime
                              ? out->create_time
                              : absl::StrCat("c.", info.name);
  switch (info.type) {
    case ColumnType::kAgent:
      if (IsOrdering(op)) return Unsupported("agent id", op);
      if (has_any) {
        absl::StrAppend(&sql, ChildExists(*out, "conversation_agents", "xa"), "xa.agent_id <> ''", kChildExistsEnd);
        return absl::OkStatus();
      }
      if (op == CompareOp::kNe) sql += "NOT ";
      out->params.Text(cond.string_value);
      absl::StrAppend(&sql, ChildExists(*out, "conversation_agents", "xa"), "xa.agent_id = ", Next(*out), kChildExistsEnd);
      return absl::OkStatus();
    case ColumnType::kLabel:
      if (cond.label_key.empty()) {
        return absl::InvalidArgumentError("a label condition needs a label key");
      }
      if (IsOrdering(op)) return Unsupported("labels", op);
      out->params.Text(cond.label_key);
      if (op == CompareOp::kHas) {
        absl::StrAppend(&sql, ChildExists(*out, "conversation_labels", "xl"), "xl.key = ", Next(*out), kChildExistsEnd);
        return absl::OkStatus();
      }
      {
        const std::string key = Next(*out);
        out->params.Text(cond.string_value);
        const std::string value = Next(*out);
        // On an agents index entry, its label hashes first (schema 5, ADR
        // 0039): without the pair's hash the label is absent; with it, the
        // probe below confirms (a hash may collide), or for a top-level
        // conjunct the store does, on the rows read. NULL: not known.
        const bool hashed = out->key_alias == "a";
        const std::string hash_test =
            absl::StrCat("(a.label_hashes IS NULL OR a.label_hashes @> ARRAY[parley_label_hash(", key, ", ",
                         value, ")])");
        if (hashed && std::find(out->confirm.begin(), out->confirm.end(), &cond) != out->confirm.end()) {
          sql += hash_test;
          return absl::OkStatus();
        }
        if (op == CompareOp::kNe) sql += "NOT ";
        if (hashed) absl::StrAppend(&sql, "(", hash_test, " AND ");
        // With create_time, the probe is one entry of the label-led index
        // (tenant, key, value, create_time, conv_id) INCLUDE (scope): index-only.
        absl::StrAppend(&sql, ChildExists(*out, "conversation_labels", "xl"), "xl.key = ", key,
                        " AND xl.value = ", value, " AND xl.create_time = ", out->create_time,
                        kChildExistsEnd, hashed ? ")" : "");
      }
      return absl::OkStatus();
    case ColumnType::kLatestAnalysis:
      if (op != CompareOp::kHas) return Unsupported("the latest analysis", op);
      sql += "c.latest_analysis_id <> ''";
      return absl::OkStatus();
    case ColumnType::kString:
      if (has_any) {
        absl::StrAppend(&sql, col, " <> ''");
        return absl::OkStatus();
      }
      out->params.Text(cond.string_value);
      absl::StrAppend(&sql, col, " ", OpText(op), " ", Next(*out));
      return absl::OkStatus();
    case ColumnType::kInt:
      if (has_any) {
        absl::StrAppend(&sql, col, " <> 0");
        return absl::OkStatus();
      }
      out->params.Int(cond.int_value);
      absl::StrAppend(&sql, col, " ", OpText(op), " ", Next(*out));
      return absl::OkStatus();
    case ColumnType::kOptionalTime:
      // Absent values never satisfy a comparison.
      out->params.Int(kAbsentTime);
      absl::StrAppend(&sql, "(", col, " <> ", Next(*out));
      if (!has_any) {
        out->params.Int(cond.int_value);
        absl::StrAppend(&sql, " AND ", col, " ", OpText(op), " ", Next(*out));
      }
      sql += ")";
      return absl::OkStatus();
  }
  return absl::InternalError("unhandled column type");
}

absl::Status Append(const Condition& cond, int depth, SqlQuery* out) {
  if (depth > kMaxConditionDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("condition nested deeper than ", kMaxConditionDepth, " levels"));
  }
  switch (cond.kind) {
    case Condition::Kind::kAnd:
    case Condition::Kind::kOr: {
      const bool is_and = cond.kind == Condition::Kind::kAnd;
      if (cond.children.empty()) {
        out->sql += is_and ? "TRUE" : "FALSE";
        return absl::OkStatus();
      }
      out->sql += "(";
      for (size_t i = 0; i < cond.children.size(); ++i) {
        if (i > 0) out->sql += is_and ? " AND " : " OR ";
        RETURN_IF_ERROR(Append(cond.children[i], depth + 1, out));
      }
      out->sql += ")";
      return absl::OkStatus();
    }
    case Condition::Kind::kNot:
      if (cond.children.size() != 1) {
        return absl::InvalidArgumentError("NOT takes exactly one condition");
      }
      out->sql += "NOT (";
      RETURN_IF_ERROR(Append(cond.children[0], depth + 1, out));
      out->sql += ")";
      return absl::OkStatus();
    case Condition::Kind::kCompare:
      return AppendCompare(cond, out);
  }
  return absl::InvalidArgumentError("unknown condition kind");
}

absl::StatusOr<absl::string_view> OrderColumnName(ConversationColumn column) {
  switch (column) {
    case ConversationColumn::kCreateTime: return absl::string_view("create_time");
    case ConversationColumn::kUpdateTime: return absl::string_view("update_time");
    case ConversationColumn::kStartTime: return absl::string_view("start_time");
    case ConversationColumn::kDuration: return absl::string_view("duration");
    case ConversationColumn::kTurnCount: return absl::string_view("turn_count");
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("conversations cannot be ordered by column ", static_cast<int>(column)));
  }
}

}  // namespace

bool ConfirmLabels(const std::vector<const Condition*>& confirm, const core::Conversation& c) {
  for (const Condition* cond : confirm) {
    auto it = c.labels().find(cond->label_key);
    if (it == c.labels().end() || it->second != cond->string_value) return false;
  }
  return true;
}

absl::Status CompileListQuery(const core::ConversationQuery& query, SqlQuery* q) {
  ASSIGN_OR_RETURN(absl::string_view col, OrderColumnName(query.order_by));
  if (query.page_size <= 0) return absl::InvalidArgumentError("page size must be positive");
  const bool desc = query.order == core::SortOrder::kDescending;
  // A top-level agent or label equality in the default order walks that
  // index, newest first, instead of every conversation of the tenant
  // (store/list_plan.h): a page costs page_size rows of it (with the other
  // conditions' selectivity), not a sort of all of them.
  const ListDriver driver = ChooseListDriver(query);
  // The columns that give the order (and the cursor's bound).
  std::string order_col = absl::StrCat("c.", col), order_id = "c.id";
  q->params.Text(query.tenant);
  if (driver.kind == ListDriver::Kind::kTable) {
    q->sql = absl::StrCat("SELECT c.", col, ", c.id, c.body FROM conversations c WHERE c.tenant = $1");
  } else {
    const bool agent = driver.kind == ListDriver::Kind::kAgent;
    const std::string d = q->key_alias = agent ? "a" : "l";
    order_col = q->create_time = d + ".create_time";
    order_id = q->key_id = d + ".conv_id";
    if (!agent) q->params.Text(driver.condition->label_key);
    q->params.Text(driver.condition->string_value);
    q->sql = absl::StrCat("SELECT ", d, ".create_time, ", d, ".conv_id, c.body FROM ",
                          agent ? "conversation_agents a" : "conversation_labels l",
                          " JOIN conversations c ON c.tenant = ", d, ".tenant AND c.scope = ", d,
                          ".scope AND c.id = ", d, ".conv_id WHERE ", d, ".tenant = $1",
                          agent ? " AND a.agent_id = $2" : " AND l.key = $2 AND l.value = $3");
  }
  q->skip = driver.condition;
  if (driver.kind == ListDriver::Kind::kAgent) {
    // The top-level label equalities, checked on the agents entries' hashes.
    auto conjuncts = [&](auto& self, const Condition& c, int depth) -> void {
      if (depth > kMaxConditionDepth) return;
      if (c.kind == Condition::Kind::kCompare && list_plan_internal::IsLabelEq(c)) q->confirm.push_back(&c);
      if (c.kind != Condition::Kind::kAnd) return;
      for (const Condition& child : c.children) self(self, child, depth + 1);
    };
    conjuncts(conjuncts, *query.condition, 0);
  }
  if (!query.scope.empty()) {
    q->params.Text(query.scope);
    absl::StrAppend(&q->sql, " AND c.scope = ", Next(*q));
  }
  if (query.now_us != 0) {
    q->params.Int(query.now_us);
    absl::StrAppend(&q->sql, " AND (c.expire_time = 0 OR c.expire_time > ", Next(*q), ")");
  }
  if (query.condition.has_value()) {
    q->sql += " AND ";
    RETURN_IF_ERROR(Append(*query.condition, 0, q));
  }
  if (query.after.has_value()) {
    q->params.Int(query.after->sort_value);
    const std::string a = Next(*q);
    q->params.Text(query.after->id);
    absl::StrAppend(&q->sql, " AND (", order_col, ", ", order_id, ") ", desc ? "<" : ">", " (", a,
                    ", ", Next(*q), ")");
  }
  const char* dir = desc ? " DESC" : " ASC";
  q->params.Int(static_cast<int64_t>(query.page_size) + 1);
  absl::StrAppend(&q->sql, " ORDER BY ", order_col, dir, ", ", order_id, dir, " LIMIT ", Next(*q));
  return absl::OkStatus();
}

}  // namespace parley::store::pg
