// Dialogflow ES v2 wire resources <-> the core model (docs/dialect-mapping.md,
// Dialogflow rows): conversation profiles are core::Profile, conversations
// core::Conversation, participants core::Participant, messages core::Message.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "dialogflow_v2/dialogflow.pb.h"
#include "parley/conversation.pb.h"
#include "parley/profile.pb.h"

namespace parley::dialogflow_v2 {

// Where a request's resources live: the tenant (project), the scope (the
// location, "global" for the location-less paths) and the prefix their
// names are rendered under ("projects/P" or "projects/P/locations/L", as the
// request's path was written).
struct Place {
  std::string project;
  std::string scope;
  std::string prefix;
};

std::string ProfileName(const Place& place, std::string_view id);
std::string ConversationName(const Place& place, std::string_view id);
std::string ParticipantName(const Place& place, std::string_view conversation, std::string_view id);
std::string MessageName(const Place& place, std::string_view conversation, std::string_view id);

// Parses a conversation profile name, "projects/P/conversationProfiles/X" or
// "projects/P/locations/L/conversationProfiles/X", into the place it names
// (scope "global" for the first form) and the id. INVALID_ARGUMENT naming
// `field` when malformed.
absl::Status ParseProfileName(std::string_view name, std::string_view field, Place* place,
                              std::string* id);

// The message id of a message name of `conversation` under `place`, or an
// empty string when `name` names no message of it.
std::string MessageIdOf(const Place& place, std::string_view conversation, std::string_view name);

// Sets the profile fields the wire form carries (and only those: fields
// another dialect stored, such as hand-off or speech settings, are kept).
// Knowledge bases of the features are gathered into Profile.knowledge_bases.
void ProfileFromWire(const ConversationProfile& in, core::Profile* out);
void ProfileToWire(const core::Profile& p, const Place& place, ConversationProfile* out);

// Whether the profile has a Dialogflow (virtual agent) config: its
// conversations start in VIRTUAL_AGENT_STAGE.
inline bool HasAutomatedAgent(const core::Profile& p) {
  return !p.automated_agent().agent().empty();
}

void ConversationToWire(const core::Conversation& c, const Place& place, Conversation* out);

core::Role RoleFromWire(Participant::Role r);
Participant::Role RoleToWire(core::Role r);
void ParticipantToWire(const core::Participant& p, const Place& place, std::string_view conversation,
                       Participant* out);

// `c` is the message's conversation (for its participant's role);
// `sentiment`: whether the profile asks for sentiment analysis.
void MessageToWire(const core::Message& m, const core::Conversation& c, const Place& place,
                   bool sentiment, Message* out);
// The same with the conversation's id and participants only.
void MessageToWire(const core::Message& m, std::string_view conversation_id,
                   const google::protobuf::RepeatedPtrField<core::Participant>& participants, const Place& place,
                   bool sentiment, Message* out);

}  // namespace parley::dialogflow_v2
