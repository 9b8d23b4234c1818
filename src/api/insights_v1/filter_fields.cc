#include "api/insights_v1/filter_fields.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/condition_proto.h"
#include "api/insights_v1/mapping.h"
#include "core/absl_compat.h"
#include "core/filter_tree.h"
#include "core/time_format.h"
#include "parley/conversation.pb.h"

namespace parley::insights_v1 {
namespace {

using core::CompareOp;
using core::Condition;
using core::ConversationColumn;
using core::FilterExpr;

absl::Status Bad(const FilterExpr& e, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("Invalid filter at position ", e.position, ": ",
                                                 Sv(why)));
}

bool IsOrdering(CompareOp op) {
  return op == CompareOp::kLt || op == CompareOp::kLe || op == CompareOp::kGt || op == CompareOp::kGe;
}

absl::StatusOr<Condition> Compare(const FilterExpr& e) {
  Condition c;
  c.kind = Condition::Kind::kCompare;
  c.op = e.op;
  std::string field = SnakeCase(e.field[0]);
  std::string path = SnakeCase(absl::StrJoin(e.field, "."));

  if (field == "labels") {
    c.column = ConversationColumn::kLabel;
    if (e.field.size() == 1) {
      // labels:"KEY" — the conversation has label KEY.
      if (e.op != CompareOp::kHas) return Bad(e, "use labels.KEY = \"value\" or labels:\"KEY\"");
      c.label_key = e.value;
      c.string_value = "*";
      return c;
    }
    if (e.field.size() != 2) return Bad(e, "label keys cannot contain '.' unless quoted");
    c.label_key = e.field[1];
    if (IsOrdering(e.op)) return Bad(e, "labels only support =, != and :");
    c.string_value = e.value;
    return c;
  }

  struct StringField { const char* name; ConversationColumn column; };
  static const StringField kStrings[] = {{"agent_id", ConversationColumn::kAgentId},
                                         {"language_code", ConversationColumn::kLanguageCode}};
  for (const auto& f : kStrings) {
    if (path == f.name) {
      if (IsOrdering(e.op)) return Bad(e, absl::StrCat(f.name, " only supports =, != and :"));
      c.column = f.column;
      c.op = e.op == CompareOp::kHas ? CompareOp::kEq : e.op;
      c.string_value = e.value;
      return c;
    }
  }

  if (path == "medium") {
    if (IsOrdering(e.op)) return Bad(e, "medium only supports = and !=");
    if (e.op == CompareOp::kHas) c.op = CompareOp::kEq;
    c.column = ConversationColumn::kMedium;
    std::string v = absl::AsciiStrToUpper(e.value);
    if (v == "PHONE_CALL" || v == "1") {
      c.int_value = core::PHONE_CALL;
    } else if (v == "CHAT" || v == "2") {
      c.int_value = core::CHAT;
    } else if (v == "MEDIUM_UNSPECIFIED" || v == "0") {
      c.int_value = core::MEDIUM_UNSPECIFIED;
    } else {
      return Bad(e, absl::StrCat("unknown medium \"", e.value, "\" (PHONE_CALL or CHAT)"));
    }
    return c;
  }

  if (path == "latest_analysis") {
    if (e.op != CompareOp::kHas || e.value != "*") {
      return Bad(e, "latest_analysis only supports latest_analysis:\"*\"");
    }
    c.column = ConversationColumn::kLatestAnalysis;
    c.string_value = "*";
    return c;
  }

  struct IntField { const char* name; ConversationColumn column; int kind; };  // 0 time, 1 duration, 2 count
  static const IntField kInts[] = {{"create_time", ConversationColumn::kCreateTime, 0},
                                   {"update_time", ConversationColumn::kUpdateTime, 0},
                                   {"start_time", ConversationColumn::kStartTime, 0},
                                   {"duration", ConversationColumn::kDuration, 1},
                                   {"turn_count", ConversationColumn::kTurnCount, 2}};
  for (const auto& f : kInts) {
    if (path != f.name) continue;
    if (e.op == CompareOp::kHas) return Bad(e, absl::StrCat(f.name, " does not support ':'"));
    c.column = f.column;
    if (f.kind == 0) {
      auto t = core::ParseTimestampMicros(e.value);
      if (!t.ok()) return Bad(e, std::string(t.status().message()));
      c.int_value = *t;
    } else if (f.kind == 1) {
      auto d = core::ParseDurationMicros(e.value);
      if (!d.ok()) return Bad(e, std::string(d.status().message()));
      c.int_value = *d;
    } else {
      int64_t n;
      if (!absl::SimpleAtoi(e.value, &n)) {
        return Bad(e, absl::StrCat("turn_count needs an integer, got \"", e.value, "\""));
      }
      c.int_value = n;
    }
    return c;
  }
  return Bad(e, absl::StrCat("unknown field \"", absl::StrJoin(e.field, "."),
                             "\"; filterable fields are agent_id, medium, language_code, "
                             "labels, create_time, update_time, start_time, duration, "
                             "turn_count and latest_analysis"));
}

}  // namespace

absl::StatusOr<core::Condition> ConversationCondition(const core::FilterExpr& expr) {
  return core::ConditionFromFilter(expr, Compare);
}

absl::StatusOr<Ordering> ParseOrderBy(std::string_view order_by) {
  Ordering o;
  std::string text(absl::StripAsciiWhitespace(Sv(order_by)));
  if (text.empty()) return o;
  if (text.find(',') != std::string::npos) {
    return absl::InvalidArgumentError("Invalid order_by: only one field can be ordered on");
  }
  std::vector<std::string> parts = absl::StrSplit(text, ' ', absl::SkipEmpty());
  if (parts.size() > 2) return absl::InvalidArgumentError(absl::StrCat("Invalid order_by \"", text, "\""));
  o.order = core::SortOrder::kAscending;
  if (parts.size() == 2) {
    std::string dir = absl::AsciiStrToLower(parts[1]);
    if (dir == "desc") {
      o.order = core::SortOrder::kDescending;
    } else if (dir != "asc") {
      return absl::InvalidArgumentError(
          absl::StrCat("Invalid order_by \"", text, "\": direction must be asc or desc"));
    }
  }
  std::string field = SnakeCase(parts[0]);
  if (field == "create_time") o.column = ConversationColumn::kCreateTime;
  else if (field == "update_time") o.column = ConversationColumn::kUpdateTime;
  else if (field == "start_time") o.column = ConversationColumn::kStartTime;
  else if (field == "duration") o.column = ConversationColumn::kDuration;
  else if (field == "turn_count") o.column = ConversationColumn::kTurnCount;
  else {
    return absl::InvalidArgumentError(absl::StrCat(
        "Invalid order_by field \"", parts[0],
        "\"; supported: create_time, update_time, start_time, duration, turn_count"));
  }
  return o;
}

absl::StatusOr<core::ConversationSelector> SelectorFromFilter(std::string_view filter,
                                                              std::string_view location) {
  core::ConversationSelector selector;
  if (location != "-") selector.set_location(std::string(location));
  selector.set_filter_text(std::string(filter));
  if (!absl::StripAsciiWhitespace(absl::string_view(filter.data(), filter.size())).empty()) {
    auto expr = core::ParseFilter(filter);
    if (!expr.ok()) return expr.status();
    auto condition = ConversationCondition(*expr);
    if (!condition.ok()) return condition.status();
    *selector.mutable_condition() = core::ConditionToProto(*condition);
  }
  return selector;
}

}  // namespace parley::insights_v1
