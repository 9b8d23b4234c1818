#include "store/sqlite/query_sql.h"

#include "store/list_plan.h"
#include "absl/strings/str_cat.h"
#include "store/sqlite/sqlite_internal.h"

namespace parley::store::sqlite {
namespace {

using core::CompareOp;
using core::Condition;
using core::ConversationColumn;

enum class ColumnType {
  kString,        // TEXT column, compared byte-wise
  kInt,           // INTEGER column, always present
  kOptionalTime,  // INTEGER column, kAbsentTime when absent
  kAgent,         // any-match over conversation_agents
  kLabel,         // EXISTS over conversation_labels
  kLatestAnalysis,
};

struct ColumnInfo {
  absl::string_view name;  // column of `conversations` (empty for kAgent/kLabel)
  ColumnType type;
};

absl::StatusOr<ColumnInfo> Info(ConversationColumn column) {
  switch (column) {
    case ConversationColumn::kAgentId:
      return ColumnInfo{"", ColumnType::kAgent};
    case ConversationColumn::kMedium:
      return ColumnInfo{"medium", ColumnType::kInt};
    case ConversationColumn::kLanguageCode:
      return ColumnInfo{"language_code", ColumnType::kString};
    case ConversationColumn::kLabel:
      return ColumnInfo{"", ColumnType::kLabel};
    case ConversationColumn::kCreateTime:
      return ColumnInfo{"create_time", ColumnType::kInt};
    case ConversationColumn::kUpdateTime:
      return ColumnInfo{"update_time", ColumnType::kInt};
    case ConversationColumn::kStartTime:
      return ColumnInfo{"start_time", ColumnType::kOptionalTime};
    case ConversationColumn::kDuration:
      return ColumnInfo{"duration", ColumnType::kOptionalTime};
    case ConversationColumn::kTurnCount:
      return ColumnInfo{"turn_count", ColumnType::kInt};
    case ConversationColumn::kLatestAnalysis:
      return ColumnInfo{"latest_analysis_id", ColumnType::kLatestAnalysis};
    case ConversationColumn::kLifecycle:
      return ColumnInfo{"lifecycle", ColumnType::kInt};
    case ConversationColumn::kStage:
      return ColumnInfo{"stage", ColumnType::kInt};
    case ConversationColumn::kSource:
      return ColumnInfo{"source", ColumnType::kInt};
    case ConversationColumn::kProfile:
      return ColumnInfo{"profile", ColumnType::kString};
    case ConversationColumn::kApp:
      return ColumnInfo{"app", ColumnType::kString};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown conversation column ", static_cast<int>(column)));
}

absl::string_view OpText(CompareOp op) {
  switch (op) {
    case CompareOp::kEq:
      return "=";
    case CompareOp::kNe:
      return "!=";
    case CompareOp::kLt:
      return "<";
    case CompareOp::kLe:
      return "<=";
    case CompareOp::kGt:
      return ">";
    case CompareOp::kGe:
      return ">=";
    case CompareOp::kHas:
      return ":";
  }
  return "?";
}

bool IsOrdering(CompareOp op) {
  return op == CompareOp::kLt || op == CompareOp::kLe || op == CompareOp::kGt ||
         op == CompareOp::kGe;
}

absl::Status Unsupported(absl::string_view what, CompareOp op) {
  return absl::InvalidArgumentError(
      absl::StrCat("operator '", OpText(op), "' is not supported on ", what));
}

// EXISTS over the agents or labels rows of the conversation of the row the
// list walks, alias `row`: c (the conversation), or the driving agents (a)
// or labels (l) row, which carry copies of its tenant, create_time, id and
// pk (conv); then SQLite checks it on that index's entry, before it reads
// the conversation row.
std::string RowPk(absl::string_view row) { return row == "c" ? "c.pk" : absl::StrCat(row, ".conv"); }
std::string AgentExists(absl::string_view row) {
  return absl::StrCat("EXISTS (SELECT 1 FROM conversation_agents xa WHERE xa.conv = ", RowPk(row),
                      " AND xa.agent_id ");
}
// `labels.K = V` (or its negation) probes the label-led index at the row's
// (tenant, K, V, create_time, id): the rows of a walk in create_time order
// probe it in order, so successive probes read the same few pages instead
// of one page of (conv, key) each (half the CPU of read_bench's combined
// filter at 1M conversations).
std::string LabelValueExists(absl::string_view row) {
  return absl::StrCat("EXISTS (SELECT 1 FROM conversation_labels xl INDEXED BY conversation_labels_by_create_time"
                      " WHERE xl.tenant = ", row, ".tenant AND xl.key = ? AND xl.value = ? AND xl.create_time = ",
                      row, ".create_time AND xl.id = ", row, ".id AND xl.conv = ", RowPk(row), ")");
}
std::string LabelKeyExists(absl::string_view row) {
  return absl::StrCat("EXISTS (SELECT 1 FROM conversation_labels xl WHERE xl.conv = ", RowPk(row),
                      " AND xl.key = ?)");
}

// `prefix` qualifies a plain column: "c." (index-usable), "+c." (filter
// only) or "a."/"l." (the driving agents or labels row's copy of
// create_time). `row` is the alias of the row walked, for agent and label
// checks.
absl::Status AppendCompare(const Condition& cond, absl::string_view prefix, absl::string_view row,
                           SqlQuery* out) {
  absl::StatusOr<ColumnInfo> info = Info(cond.column);
  if (!info.ok()) return info.status();
  std::string& sql = out->sql;
  const CompareOp op = cond.op;
  const bool has_any = op == CompareOp::kHas && cond.string_value == "*";

  switch (info->type) {
    case ColumnType::kAgent:
      if (IsOrdering(op)) return Unsupported("agent id", op);
      if (has_any) {
        absl::StrAppend(&sql, AgentExists(row), "!= '')");
        return absl::OkStatus();
      }
      if (op == CompareOp::kNe) sql += "NOT ";
      absl::StrAppend(&sql, AgentExists(row), "= ?)");
      out->params.emplace_back(cond.string_value);
      return absl::OkStatus();

    case ColumnType::kLabel:
      if (cond.label_key.empty()) {
        return absl::InvalidArgumentError("a label condition needs a label key");
      }
      if (IsOrdering(op)) return Unsupported("labels", op);
      out->params.emplace_back(cond.label_key);
      if (op == CompareOp::kHas) {
        sql += LabelKeyExists(row);
        return absl::OkStatus();
      }
      if (op == CompareOp::kNe) sql += "NOT ";
      sql += LabelValueExists(row);
      out->params.emplace_back(cond.string_value);
      return absl::OkStatus();

    case ColumnType::kLatestAnalysis:
      if (op != CompareOp::kHas) return Unsupported("the latest analysis", op);
      sql += "+c.latest_analysis_id != ''";
      return absl::OkStatus();

    case ColumnType::kString: {
      const std::string col = absl::StrCat(prefix, info->name);
      if (has_any) {
        absl::StrAppend(&sql, col, " != ''");
        return absl::OkStatus();
      }
      absl::StrAppend(&sql, col, " ", op == CompareOp::kHas ? absl::string_view("=") : OpText(op),
                      " ?");
      out->params.emplace_back(cond.string_value);
      return absl::OkStatus();
    }

    case ColumnType::kInt: {
      const std::string col = absl::StrCat(prefix, info->name);
      if (has_any) {
        absl::StrAppend(&sql, col, " != 0");
        return absl::OkStatus();
      }
      absl::StrAppend(&sql, col, " ", op == CompareOp::kHas ? absl::string_view("=") : OpText(op),
                      " ?");
      out->params.emplace_back(cond.int_value);
      return absl::OkStatus();
    }

    case ColumnType::kOptionalTime: {
      const std::string col = absl::StrCat(prefix, info->name);
      // Absent values never satisfy a comparison.
      absl::StrAppend(&sql, "(", col, " != ?");
      out->params.emplace_back(kAbsentTime);
      if (!has_any) {
        absl::StrAppend(&sql, " AND ", col, " ",
                        op == CompareOp::kHas ? absl::string_view("=") : OpText(op), " ?");
        out->params.emplace_back(cond.int_value);
      }
      sql += ")";
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unhandled column type");
}

bool BoundsAllowed(CompareOp op, OrderBounds bounds) {
  switch (bounds) {
    case OrderBounds::kBoth:
      return true;
    case OrderBounds::kLowerOnly:
      return op != CompareOp::kLt && op != CompareOp::kLe;
    case OrderBounds::kUpperOnly:
      return op != CompareOp::kGt && op != CompareOp::kGe;
  }
  return true;
}

struct Context {
  ConversationColumn order_column;
  OrderBounds bounds;
  absl::string_view order_prefix = "c.";  // index-usable order column
  absl::string_view row = "c";             // alias of the row walked (agent and label checks)
  const Condition* skip = nullptr;        // already answered by the driving index
};

absl::Status Append(const Condition& cond, const Context& ctx, bool top_level, int depth,
                    SqlQuery* out) {
  if (depth > kMaxConditionDepth) {
    return absl::InvalidArgumentError(
        absl::StrCat("condition nested deeper than ", kMaxConditionDepth, " levels"));
  }
  if (&cond == ctx.skip) {
    out->sql += "1";
    return absl::OkStatus();
  }
  switch (cond.kind) {
    case Condition::Kind::kAnd:
    case Condition::Kind::kOr: {
      const bool is_and = cond.kind == Condition::Kind::kAnd;
      if (cond.children.empty()) {
        out->sql += is_and ? "1" : "0";
        return absl::OkStatus();
      }
      out->sql += "(";
      for (size_t i = 0; i < cond.children.size(); ++i) {
        if (i > 0) out->sql += is_and ? " AND " : " OR ";
        absl::Status s = Append(cond.children[i], ctx, top_level && is_and, depth + 1, out);
        if (!s.ok()) return s;
      }
      out->sql += ")";
      return absl::OkStatus();
    }
    case Condition::Kind::kNot: {
      if (cond.children.size() != 1) {
        return absl::InvalidArgumentError("NOT takes exactly one condition");
      }
      out->sql += "NOT (";
      absl::Status s = Append(cond.children[0], ctx, false, depth + 1, out);
      if (!s.ok()) return s;
      out->sql += ")";
      return absl::OkStatus();
    }
    case Condition::Kind::kCompare: {
      const bool indexable =
          top_level && cond.column == ctx.order_column && BoundsAllowed(cond.op, ctx.bounds);
      return AppendCompare(cond, indexable ? ctx.order_prefix : "+c.", ctx.row, out);
    }
  }
  return absl::InvalidArgumentError("unknown condition kind");
}

}  // namespace

absl::StatusOr<absl::string_view> OrderColumnName(ConversationColumn column) {
  switch (column) {
    case ConversationColumn::kCreateTime:
      return absl::string_view("create_time");
    case ConversationColumn::kUpdateTime:
      return absl::string_view("update_time");
    case ConversationColumn::kStartTime:
      return absl::string_view("start_time");
    case ConversationColumn::kDuration:
      return absl::string_view("duration");
    case ConversationColumn::kTurnCount:
      return absl::string_view("turn_count");
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("conversations cannot be ordered by column ", static_cast<int>(column)));
  }
}

absl::Status AppendCondition(const Condition& condition, ConversationColumn order_column,
                             OrderBounds bounds, SqlQuery* out) {
  return Append(condition, Context{order_column, bounds}, /*top_level=*/true, 0, out);
}

absl::StatusOr<SqlQuery> CompileListQuery(const core::ConversationQuery& query) {
  absl::StatusOr<absl::string_view> col = OrderColumnName(query.order_by);
  if (!col.ok()) return col.status();
  if (query.page_size <= 0) {
    return absl::InvalidArgumentError("page size must be positive");
  }
  const bool desc = query.order == core::SortOrder::kDescending;
  Context ctx{query.order_by, !query.after.has_value() ? OrderBounds::kBoth
                              : desc                   ? OrderBounds::kLowerOnly
                                                       : OrderBounds::kUpperOnly};
  // A top-level agent or label equality in the default order walks that
  // index instead of every conversation (store/list_plan.h).
  const ListDriver driver = ChooseListDriver(query);
  // Alias of the table whose index gives the order.
  const absl::string_view o = driver.kind == ListDriver::Kind::kAgent   ? "a"
                              : driver.kind == ListDriver::Kind::kLabel ? "l"
                                                                        : "c";

  SqlQuery q;
  q.params.emplace_back(query.tenant);
  if (driver.kind == ListDriver::Kind::kTable) {
    q.sql = absl::StrCat("SELECT c.", *col,
                         ", c.id, ", kBodyWithTails, " FROM conversations c"
                         " CROSS JOIN conversation_bodies b ON b.conv = c.pk"
                         " WHERE c.tenant = ?");
  } else {
    const bool agent = driver.kind == ListDriver::Kind::kAgent;
    q.sql = absl::StrCat("SELECT ", o, ".create_time, ", o, ".id, ", kBodyWithTails, " FROM ",
                         agent ? "conversation_agents a" : "conversation_labels l",
                         " CROSS JOIN conversations c ON c.pk = ", o, ".conv"
                         " CROSS JOIN conversation_bodies b ON b.conv = c.pk WHERE ", o, ".tenant = ?",
                         agent ? " AND a.agent_id = ?" : " AND l.key = ? AND l.value = ?");
    if (!agent) q.params.emplace_back(driver.condition->label_key);
    q.params.emplace_back(driver.condition->string_value);
  }
  if (driver.kind != ListDriver::Kind::kTable) {
    ctx.order_prefix = o == "a" ? "a." : "l.";
    ctx.row = o;
    ctx.skip = driver.condition;
  }
  if (!query.scope.empty()) {
    q.sql += " AND +c.scope = ?";
    q.params.emplace_back(query.scope);
  }
  if (query.now_us != 0) {
    q.sql += " AND (+c.expire_time = 0 OR +c.expire_time > ?)";
    q.params.emplace_back(query.now_us);
  }
  if (query.condition.has_value()) {
    q.sql += " AND ";
    absl::Status s = Append(*query.condition, ctx, /*top_level=*/true, 0, &q);
    if (!s.ok()) return s;
  }
  if (query.after.has_value()) {
    absl::StrAppend(&q.sql, " AND (", o, ".", *col, ", ", o, ".id) ", desc ? "<" : ">", " (?, ?)");
    q.params.emplace_back(query.after->sort_value);
    q.params.emplace_back(query.after->id);
  }
  const char* dir = desc ? " DESC" : " ASC";
  absl::StrAppend(&q.sql, " ORDER BY ", o, ".", *col, dir, ", ", o, ".id", dir, " LIMIT ?");
  q.params.emplace_back(static_cast<int64_t>(query.page_size) + 1);
  return q;
}

}  // namespace parley::store::sqlite
