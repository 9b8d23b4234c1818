// Which API a conversation belongs to, read from the fields the core keeps,
// so that each dialect lists and reads only its own conversations (Insights
// sees every one): docs/dialect-mapping.md, "Which conversations a dialect
// sees".
#pragma once

#include "core/conversation_query.h"
#include "parley/conversation.pb.h"

namespace parley::core {

enum class ConversationOrigin {
  kCes,         // Conversation.app set (a CES app's session or import)
  kDialogflow,  // a profile and a stage (Dialogflow sets both at create)
  kCresta,      // a profile without a stage (Cresta never sets one)
  kOther,       // neither profile nor app: Insights, ElevateAI
};

ConversationOrigin OriginOf(const Conversation& c);

// The condition a conversation query adds to select those of `origin`
// (over indexed columns: app, profile, stage), the same rule as OriginOf.
Condition OriginIs(ConversationOrigin origin);

}  // namespace parley::core
