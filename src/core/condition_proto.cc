#include "core/condition_proto.h"

namespace parley::core {

ConditionNode ConditionToProto(const Condition& c) {
  ConditionNode node;
  node.set_kind(static_cast<int32_t>(c.kind));
  for (const Condition& child : c.children) *node.add_children() = ConditionToProto(child);
  node.set_column(static_cast<int32_t>(c.column));
  node.set_label_key(c.label_key);
  node.set_op(static_cast<int32_t>(c.op));
  node.set_string_value(c.string_value);
  node.set_int_value(c.int_value);
  return node;
}

absl::StatusOr<Condition> ConditionFromProto(const ConditionNode& node) {
  Condition c;
  if (node.kind() < 0 || node.kind() > static_cast<int32_t>(Condition::Kind::kCompare) ||
      node.column() < 0 || node.column() > static_cast<int32_t>(ConversationColumn::kApp) ||
      node.op() < 0 || node.op() > static_cast<int32_t>(CompareOp::kHas)) {
    return absl::InvalidArgumentError("stored condition is not valid");
  }
  c.kind = static_cast<Condition::Kind>(node.kind());
  for (const ConditionNode& child : node.children()) {
    absl::StatusOr<Condition> sub = ConditionFromProto(child);
    if (!sub.ok()) return sub.status();
    c.children.push_back(std::move(*sub));
  }
  c.column = static_cast<ConversationColumn>(node.column());
  c.label_key = node.label_key();
  c.op = static_cast<CompareOp>(node.op());
  c.string_value = node.string_value();
  c.int_value = node.int_value();
  return c;
}

}  // namespace parley::core
