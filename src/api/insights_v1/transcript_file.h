// Insights transcript files (gcsSource.transcriptUri) -> transcript segments.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "core/blob_uri.h"
#include "insights_v1/insights.pb.h"
#include "parley/conversation.pb.h"
#include "service/speech_service.h"

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

// Reads the transcript file `wire`'s dataSource names (gcsSource.transcriptUri;
// nothing to do without one), replacing any inline transcript, and takes the
// medium the file's shape implies when `wire` has none. The file is refused
// before it is read when larger than blobs.max_bytes. It blocks on disk: call
// it off the network threads.
absl::Status LoadTranscriptFile(const core::BlobOptions& blobs, Conversation* wire);

// Transcribes the recording `c`'s dataSource names (gcsSource.audioUri) when
// `c` has no transcript of its own (neither inline nor a transcriptUri): one
// speaker per channel (callMetadata's agentChannel / customerChannel give the
// roles), per-word times and confidences, and `duration` from the recording.
// Nothing to do without an audio URI. FAILED_PRECONDITION when the server
// runs without speech recognition (`speech` null); the file is refused
// before it is read when larger than the speech service's limit. Blocks for
// the whole recognition: call it off the network threads.
absl::Status TranscribeAudioFile(const core::BlobOptions& blobs, const service::SpeechService* speech,
                                 core::Conversation* c);

}  // namespace parley::insights_v1
