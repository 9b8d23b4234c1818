#include "core/conversation_origin.h"

#include <string>
#include <utility>

namespace parley::core {
namespace {

Condition Compare(ConversationColumn column, CompareOp op, std::string value) {
  Condition c;
  c.column = column;
  c.op = op;
  c.string_value = std::move(value);
  return c;
}

Condition StageSet(bool set) {
  Condition c;
  c.column = ConversationColumn::kStage;
  c.op = set ? CompareOp::kNe : CompareOp::kEq;
  c.int_value = STAGE_UNSPECIFIED;
  return c;
}

Condition All(std::vector<Condition> children) {
  Condition c;
  c.kind = Condition::Kind::kAnd;
  c.children = std::move(children);
  return c;
}

}  // namespace

ConversationOrigin OriginOf(const Conversation& c) {
  if (!c.app().empty()) return ConversationOrigin::kCes;
  if (c.profile().empty()) return ConversationOrigin::kOther;
  return c.stage() != STAGE_UNSPECIFIED ? ConversationOrigin::kDialogflow : ConversationOrigin::kCresta;
}

Condition OriginIs(ConversationOrigin origin) {
  const Condition no_app = Compare(ConversationColumn::kApp, CompareOp::kEq, "");
  switch (origin) {
    case ConversationOrigin::kCes:
      return Compare(ConversationColumn::kApp, CompareOp::kNe, "");
    case ConversationOrigin::kDialogflow:
      return All({no_app, Compare(ConversationColumn::kProfile, CompareOp::kNe, ""), StageSet(true)});
    case ConversationOrigin::kCresta:
      return All({no_app, Compare(ConversationColumn::kProfile, CompareOp::kNe, ""), StageSet(false)});
    case ConversationOrigin::kOther:
      return All({no_app, Compare(ConversationColumn::kProfile, CompareOp::kEq, "")});
  }
  return no_app;
}

}  // namespace parley::core
