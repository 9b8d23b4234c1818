// Insights transcript files (gcsSource.transcriptUri) -> transcript segments.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/blob_uri.h"
#include "insights_v1/insights.pb.h"
#include "parley/conversation.pb.h"

namespace parley::insights_v1 {

// Where each transcript segment ends in the recording, one entry per segment:
// Speech-to-Text's resultEndOffset (or v1 resultEndTime). A wire segment has no
// field for it, so it travels beside the wire conversation to the core one.
using SegmentEnds = std::vector<std::optional<int64_t>>;  // microseconds

struct LoadedTranscript {
  Conversation::Transcript transcript;
  Conversation::Medium medium = Conversation::MEDIUM_UNSPECIFIED;  // what the file's shape implies
  SegmentEnds segment_ends;  // empty for chats
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
// it off the network threads. `ends` (if given) receives the segments' ends.
absl::Status LoadTranscriptFile(const core::BlobOptions& blobs, Conversation* wire,
                                SegmentEnds* ends = nullptr);

// Gives the core conversation's messages (made from the loaded segments, in
// order) their place in the recording: audio_end_us is the segment's end;
// audio_start_us its first word's start offset, else where the previous
// segment on the same channel ended (0 for the first). Nothing when `ends`
// does not have one entry per message.
void ApplySegmentEnds(const SegmentEnds& ends, core::Conversation* c);

}  // namespace parley::insights_v1
