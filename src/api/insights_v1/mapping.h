// Insights v1 Conversation (wire) <-> core::Conversation.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/google/request.h"
#include "api/google/timestamps.h"
#include "insights_v1/insights.pb.h"
#include "parley/conversation.pb.h"

namespace parley::insights_v1 {

// From the shared Google layer.
using google_api::SetDuration;
using google_api::SetTimestamp;
using google_api::SnakeCase;

// "projects/{p}/locations/{l}": the parent of every Insights resource.
std::string LocationName(std::string_view tenant, std::string_view location);
// "projects/{p}/locations/{l}/conversations/{id}"
std::string ConversationName(const core::Conversation& c);
std::string ConversationName(std::string_view tenant, std::string_view location, std::string_view id);
// "projects/{p}/locations/{l}/phraseMatchers/{id}"
std::string PhraseMatcherName(std::string_view tenant, std::string_view location, std::string_view id);

// Insights' rule for a conversation id a client picks at create or upload:
// 4 to 64 characters of [a-z0-9-] (INVALID_ARGUMENT otherwise). It is
// stricter than the core's and applies to creates only: a conversation
// another dialect stored under another id (Order_42) stays readable here.
absl::Status CheckClientConversationId(std::string_view id);

// Fills the Insights-writable fields of `out` from `in` (output-only fields
// of `in` are ignored). `now_us` turns a `ttl` into an expire time. Fails with
// INVALID_ARGUMENT on values the core cannot hold (an unknown medium or role
// number, a negative channel, ...).
absl::Status FromWire(const Conversation& in, int64_t now_us, core::Conversation* out);

// Replaces out's messages and participants with the transcript segments of
// `transcript` (segment participants are folded into the core participant list).
absl::Status TranscriptFromWire(const Conversation::Transcript& transcript,
                                core::Conversation* out);

// The wire form. With `full` false (BASIC view) the transcript is left out.
void ToWire(const core::Conversation& c, bool full, Conversation* out);

// Applies one update-mask path (snake_case, e.g. "quality_metadata" or
// "data_source.gcs_source.audio_uri") from `patch` to `target`. Output-only
// paths are accepted and ignored. INVALID_ARGUMENT for a path that names no
// updatable field.
absl::Status ApplyUpdatePath(std::string_view path, const Conversation& patch, int64_t now_us,
                             core::Conversation* target);

// Every updatable top-level path, for the `*` mask.
const std::vector<std::string>& AllUpdatablePaths();

}  // namespace parley::insights_v1
