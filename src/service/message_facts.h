// MessageFacts: what an append checks about the messages a conversation
// already has (MessageService::AppendMessages): whether an id is taken,
// whether a participant's request id was stored, and the last sequence
// position. Kept with a live conversation (LiveConversations) and advanced by
// each append's new messages, so that an append looks up only its own new
// messages instead of walking the conversation (ADR 0043); over any other
// conversation Of() computes them afresh, so both give the same answers.
//
// The facts hold 64-bit hashes and message indices, not the strings: an
// answer is confirmed on the conversation they are of (a hash collision falls
// back to a walk of it), so the facts cost a few bytes a message and stay
// valid when the conversation is copied. Not thread-safe (kept under the
// live conversation's lease).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "parley/conversation.pb.h"

namespace parley::service {

class MessageFacts {
 public:
  // The facts of `conversation`'s messages.
  static MessageFacts Of(const core::Conversation& conversation);

  // Adds the next message (index messages() of the conversation).
  void Add(const core::Message& message);

  // The index of the first message of `conversation` (the one these facts
  // are of) with id `id`; -1 when none has it.
  int FirstWithId(const core::Conversation& conversation, std::string_view id) const;
  // The index of the first message of `conversation` of participant
  // `participant_id` stored with request id `request_id` (not empty); -1
  // when none.
  int FirstWithRequest(const core::Conversation& conversation, std::string_view participant_id,
                       std::string_view request_id) const;
  // The largest sequence position a message has; -1 when none has one.
  int64_t last_sequence_position() const { return last_sequence_position_; }
  // How many messages the facts are of.
  int messages() const { return messages_; }

  // The same facts (tests compare kept facts with a fresh computation).
  bool operator==(const MessageFacts& other) const;

 private:
  static uint64_t IdKey(std::string_view id);
  static uint64_t RequestKey(std::string_view participant_id, std::string_view request_id);

  // Key -> index of the first message with that key (hash collisions keep
  // the first; lookups confirm on the conversation).
  absl::flat_hash_map<uint64_t, int32_t> ids_;
  absl::flat_hash_map<uint64_t, int32_t> requests_;
  int64_t last_sequence_position_ = -1;
  int32_t messages_ = 0;
};

}  // namespace parley::service
