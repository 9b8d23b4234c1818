// ElevateAI wire <-> core model (docs/dialect-mapping.md, "ElevateAI").
// Request bodies are read as JSON objects whose property names match
// case-insensitively (and ignoring ' ', '_' and '-', as the chat format's
// "participant id" shows), as ElevateAI's own service does.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "genai/insights.h"
#include "google/protobuf/struct.pb.h"
#include "parley/analysis.pb.h"
#include "parley/conversation.pb.h"

namespace parley::elevateai_v1 {

// The value of property `name` of `object`, matched loosely; null when absent.
const google::protobuf::Value* Prop(const google::protobuf::Struct& object, std::string_view name);
// The string value of `name`; empty when absent or not a string.
std::string StrProp(const google::protobuf::Struct& object, std::string_view name);

// What a declare body asks for.
struct Declaration {
  std::string type;  // "audio", "transcript" or "chat"
  std::string language_tag;
  std::string vertical;
  std::string transcription_mode;  // "highAccuracy", "highSpeed", or empty: not given
  bool include_ai_results = true;
  std::string download_uri;
  std::string original_filename;
  std::string external_identifier;
};

// Parses and checks a declare body into `declaration` and, for chats and
// transcripts, the messages and participants of `conversation`.
// INVALID_ARGUMENT naming the property on bad input.
absl::Status ParseDeclaration(const google::protobuf::Struct& body, Declaration* declaration,
                              core::Conversation* conversation);

// The embedded recogniser's mode (SpeechOptions::asr_mode) of an
// audioTranscriptionMode: highSpeed -> "fast", highAccuracy -> "accurate";
// empty for anything else (the server's --asr-mode).
std::string AsrMode(std::string_view transcription_mode);

// ElevateAI's status name of a conversation ("processed" for conversations
// created whole, e.g. through Insights).
std::string StatusName(const core::Conversation& conversation);

// GET .../status: {identifier, status, declared, uploaded, downloaded,
// processed, errorMessage}, the times ISO 8601 UTC or null when they have not
// happened (a conversation created whole was declared and processed when it
// was created). `status` is the status name to show.
google::protobuf::Struct StatusReply(const core::Conversation& conversation, std::string_view status);

// Declaration properties are stored as conversation labels kLabelPrefix + key.
inline constexpr char kLabelPrefix[] = "elevateai_";

// The declaration property `key` stored with the interaction (the label
// kLabelPrefix + key: type, vertical, transcription_mode,
// include_ai_results, original_filename, external_identifier); empty when
// absent (conversations created elsewhere).
std::string Label(const core::Conversation& conversation, std::string_view key);

// GET /v1/interactions/{id}: the declared parameters {identifier, type,
// languageTag, vertical, audioTranscriptionMode, transcript, chat,
// downloadUri, includeAiResults}; transcript and chat are always null (as
// ElevateAI, which drops them once processed). A conversation created
// elsewhere reads as what declaring it would have given: type from its
// medium, vertical "default", includeAiResults true.
google::protobuf::Struct DeclaredParameters(const core::Conversation& conversation);

// GET .../transcript(s): word by word; GET .../transcripts/punctuated.
google::protobuf::Struct WordByWordTranscript(const core::Conversation& conversation);
google::protobuf::Struct PunctuatedTranscript(const core::Conversation& conversation);

// GET .../ai: sentiment and behaviours per participant.
google::protobuf::Struct CxAi(const core::Conversation& conversation, const core::AnalysisResult& analysis);

// participantOne is the agent side, participantTwo the customer side.
bool IsParticipantOne(const core::Conversation& conversation, const core::Message& message);

}  // namespace parley::elevateai_v1
