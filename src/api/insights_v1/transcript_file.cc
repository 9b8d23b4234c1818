#include "api/insights_v1/transcript_file.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "api/google/timestamps.h"
#include "api/protojson/protojson.h"

namespace parley::insights_v1 {
namespace {

ConversationParticipant::Role ChatRole(const std::string& role) {
  if (role == "AGENT" || role == "HUMAN_AGENT") return ConversationParticipant::HUMAN_AGENT;
  if (role == "AUTOMATED_AGENT") return ConversationParticipant::AUTOMATED_AGENT;
  if (role == "CUSTOMER" || role == "END_USER") return ConversationParticipant::END_USER;
  return ConversationParticipant::ROLE_UNSPECIFIED;
}

// A segment's end; a negative offset (no recorder writes one) counts as 0.
int64_t EndMicros(const google::protobuf::Duration& d) { return std::max<int64_t>(0, google_api::Micros(d)); }

}  // namespace

absl::StatusOr<LoadedTranscript> ParseTranscriptFile(std::string_view json,
                                                     const Conversation::CallMetadata& channels) {
  TranscriptFile file;
  protojson::ParseOptions options;
  options.ignore_unknown_fields = true;  // files come from many tools
  options.refuse_nul = true;             // as request bodies
  if (absl::Status s = protojson::Parse(json, &file, options); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("malformed transcript file: ", s.message()));
  }
  LoadedTranscript out;
  if (file.entries_size() > 0) {
    out.medium = Conversation::CHAT;
    for (int i = 0; i < file.entries_size(); ++i) {
      const auto& e = file.entries(i);
      auto role = ChatRole(e.role());
      if (role == ConversationParticipant::ROLE_UNSPECIFIED) {
        return absl::InvalidArgumentError(absl::StrCat(
            "malformed transcript file: entries[", i, "].role \"", e.role(),
            "\" is not AGENT, AUTOMATED_AGENT, CUSTOMER or END_USER"));
      }
      auto* seg = out.transcript.add_transcript_segments();
      seg->set_text(e.text());
      seg->mutable_segment_participant()->set_role(role);
      seg->mutable_segment_participant()->set_user_id(std::to_string(e.user_id()));
      if (int64_t usec = e.start_timestamp_usec(); usec != 0) {
        // A Timestamp holds 0001-01-01 to 9999-12-31 with nanos in [0, 1e9):
        // anything else would be stored and then printed as JSON no parser
        // reads back (found by tests/fuzz, transcript_file).
        constexpr int64_t kMinUsec = -62135596800LL * 1'000'000;            // 0001-01-01T00:00:00Z
        constexpr int64_t kMaxUsec = 253402300799LL * 1'000'000 + 999'999;  // 9999-12-31T23:59:59.999999Z
        if (usec < kMinUsec || usec > kMaxUsec) {
          return absl::InvalidArgumentError(absl::StrCat(
              "malformed transcript file: entries[", i, "].start_timestamp_usec ", usec,
              " is not between 0001-01-01 and 9999-12-31"));
        }
        int64_t seconds = usec / 1'000'000, micros = usec % 1'000'000;
        if (micros < 0) {  // before 1970: round the seconds down, keep nanos positive
          micros += 1'000'000;
          --seconds;
        }
        seg->mutable_message_time()->set_seconds(seconds);
        seg->mutable_message_time()->set_nanos(static_cast<int32_t>(micros) * 1000);
      }
    }
    return out;
  }
  if (file.results_size() > 0) {
    out.medium = Conversation::PHONE_CALL;
    for (const auto& r : file.results()) {
      if (r.alternatives_size() == 0) continue;
      const auto& alt = r.alternatives(0);
      auto* seg = out.transcript.add_transcript_segments();
      if (r.has_result_end_offset()) {
        out.segment_ends.push_back(EndMicros(r.result_end_offset()));
      } else if (r.has_result_end_time()) {
        out.segment_ends.push_back(EndMicros(r.result_end_time()));
      } else {
        out.segment_ends.push_back(std::nullopt);
      }
      seg->set_text(alt.transcript());
      seg->set_confidence(alt.confidence());
      seg->set_channel_tag(r.channel_tag());
      seg->set_language_code(r.language_code());
      for (const auto& w : alt.words()) {
        auto* sw = seg->add_words();
        sw->set_word(w.word());
        sw->set_confidence(w.confidence());
        if (w.has_start_offset()) *sw->mutable_start_offset() = w.start_offset();
        else if (w.has_start_time()) *sw->mutable_start_offset() = w.start_time();
        if (w.has_end_offset()) *sw->mutable_end_offset() = w.end_offset();
        else if (w.has_end_time()) *sw->mutable_end_offset() = w.end_time();
      }
      ConversationParticipant::Role role = ConversationParticipant::ROLE_UNSPECIFIED;
      if (r.channel_tag() != 0 && r.channel_tag() == channels.agent_channel()) {
        role = ConversationParticipant::HUMAN_AGENT;
      } else if (r.channel_tag() != 0 && r.channel_tag() == channels.customer_channel()) {
        role = ConversationParticipant::END_USER;
      }
      if (role != ConversationParticipant::ROLE_UNSPECIFIED) {
        seg->mutable_segment_participant()->set_role(role);
      }
    }
    return out;
  }
  return absl::InvalidArgumentError(
      "malformed transcript file: expected Speech-to-Text \"results\" or chat \"entries\"");
}

absl::Status LoadTranscriptFile(const core::BlobOptions& blobs, Conversation* wire,
                                SegmentEnds* ends) {
  const std::string& uri = wire->data_source().gcs_source().transcript_uri();
  if (uri.empty()) return absl::OkStatus();
  auto data = core::ReadBlobUri(uri, blobs);
  if (!data.ok()) return data.status();
  auto loaded = ParseTranscriptFile(*data, wire->call_metadata());
  if (!loaded.ok()) return loaded.status();
  *wire->mutable_transcript() = std::move(loaded->transcript);
  if (ends != nullptr) *ends = std::move(loaded->segment_ends);
  if (wire->medium() == Conversation::MEDIUM_UNSPECIFIED) wire->set_medium(loaded->medium);
  return absl::OkStatus();
}

void ApplySegmentEnds(const SegmentEnds& ends, core::Conversation* c) {
  if (ends.empty() || static_cast<int>(ends.size()) != c->messages_size()) return;
  std::map<int32_t, int64_t> channel_end;  // where the last segment of each channel ended
  for (int i = 0; i < c->messages_size(); ++i) {
    if (!ends[i]) continue;
    core::Message* m = c->mutable_messages(i);
    const int64_t end = *ends[i];
    int64_t start = channel_end.count(m->channel()) ? channel_end[m->channel()] : 0;
    if (m->words_size() > 0 && m->words(0).has_start_offset_us()) start = m->words(0).start_offset_us();
    m->set_audio_start_us(std::min(start, end));
    m->set_audio_end_us(end);
    channel_end[m->channel()] = end;
  }
}

}  // namespace parley::insights_v1
