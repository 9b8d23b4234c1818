// See message_facts.h.
#include "service/message_facts.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "core/absl_compat.h"

namespace parley::service {

MessageFacts MessageFacts::Of(const core::Conversation& conversation) {
  MessageFacts facts;
  facts.ids_.reserve(conversation.messages_size());
  for (const core::Message& m : conversation.messages()) facts.Add(m);
  return facts;
}

uint64_t MessageFacts::IdKey(std::string_view id) { return absl::HashOf(Sv(id)); }

uint64_t MessageFacts::RequestKey(std::string_view participant_id, std::string_view request_id) {
  return absl::HashOf(Sv(participant_id), Sv(request_id));
}

void MessageFacts::Add(const core::Message& m) {
  const int32_t index = messages_++;
  ids_.try_emplace(IdKey(m.id()), index);
  if (!m.request_id().empty()) requests_.try_emplace(RequestKey(m.participant_id(), m.request_id()), index);
  if (m.has_sequence_position()) {
    last_sequence_position_ = std::max(last_sequence_position_, m.sequence_position());
  }
}

int MessageFacts::FirstWithId(const core::Conversation& c, std::string_view id) const {
  auto found = ids_.find(IdKey(id));
  if (found == ids_.end()) return -1;
  if (c.messages(found->second).id() == id) return found->second;
  // Another id with the same hash came first: the first with this one, if
  // any, is later.
  for (int i = found->second + 1; i < messages_; ++i) {
    if (c.messages(i).id() == id) return i;
  }
  return -1;
}

int MessageFacts::FirstWithRequest(const core::Conversation& c, std::string_view participant_id,
                                   std::string_view request_id) const {
  auto found = requests_.find(RequestKey(participant_id, request_id));
  if (found == requests_.end()) return -1;
  for (int i = found->second; i < messages_; ++i) {
    const core::Message& m = c.messages(i);
    if (m.request_id() == request_id && m.participant_id() == participant_id) return i;
  }
  return -1;
}

bool MessageFacts::operator==(const MessageFacts& other) const {
  return messages_ == other.messages_ && last_sequence_position_ == other.last_sequence_position_ &&
         ids_ == other.ids_ && requests_ == other.requests_;
}

}  // namespace parley::service
