// Insights transcript files (gcsSource.transcriptUri) -> transcript segments.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "insights_v1/insights.pb.h"

namespace parley::insights_v1 {

struct LoadedTranscript {
  Conversation::Transcript transcript;
  Conversation::Medium medium = Conversation::MEDIUM_UNSPECIFIED;  // what the file's shape implies
};

// Parses a transcript file: Speech-to-Text JSON (`results[]`, one segment per
// result, its channel mapped to a role through `call_metadata`) or the chat
// format (`entries[]`). INVALID_ARGUMENT if it is not JSON of either shape.
absl::StatusOr<LoadedTranscript> ParseTranscriptFile(std::string_view json,
                                                     const Conversation::CallMetadata& channels);

}  // namespace parley::insights_v1
