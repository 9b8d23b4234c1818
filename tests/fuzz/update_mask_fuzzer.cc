// Update masks and field paths: google_api::UpdateMaskPaths over the paths an
// Insights conversation update accepts, the `fields` selector syntax
// (protojson::ParseFieldSelector), and its two uses: ApplyFieldSelector on a
// populated Conversation (applying it twice changes nothing more) and
// SelectJsonFields on that conversation's JSON (which stays valid JSON).
#include "core/deterministic_bytes.h"
#include "api/google/request.h"
#include "api/insights_v1/mapping.h"
#include "api/protojson/field_paths.h"
#include "api/protojson/field_selector.h"
#include "api/protojson/json_field_selector.h"
#include "api/protojson/protojson.h"
#include "fuzz/fuzz_check.h"
#include "insights_v1/insights.pb.h"

namespace {

const parley::insights_v1::Conversation& Sample() {
  static const parley::insights_v1::Conversation* c = [] {
    auto* m = new parley::insights_v1::Conversation;
    absl::Status s = parley::protojson::Parse(
        R"({"name":"projects/p/locations/l/conversations/c1","agentId":"a1","medium":"CHAT",
            "languageCode":"en-US","labels":{"env":"prod","team":"b"},
            "callMetadata":{"customerChannel":1,"agentChannel":2},
            "createTime":"2024-01-02T03:04:05Z","duration":"12.5s","turnCount":2,
            "transcript":{"transcriptSegments":[
              {"text":"hello","channelTag":1,"segmentParticipant":{"role":"END_USER"},
               "words":[{"word":"hello","startOffset":"0s","endOffset":"0.5s"}]},
              {"text":"hi","channelTag":2,"segmentParticipant":{"role":"HUMAN_AGENT"}}]}})",
        m);
    FUZZ_CHECK(s.ok());
    return m;
  }();
  return *c;
}

// Wire bytes with map entries in key order, so equal messages compare equal.
std::string Bytes(const google::protobuf::Message& m) { return parley::core::DeterministicBytes(m); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  const std::string_view text = parley::fuzz::AsText(data, size);
  const auto& all = parley::insights_v1::AllUpdatablePaths();
  for (const std::string& path : parley::google_api::UpdateMaskPaths(text, all)) {
    FUZZ_CHECK(path.find(',') == std::string::npos);
  }

  (void)parley::protojson::ParseFieldSelector(text);

  parley::insights_v1::Conversation once = Sample();
  if (parley::protojson::ApplyFieldSelector(text, &once).ok()) {
    parley::insights_v1::Conversation twice = once;
    FUZZ_CHECK(parley::protojson::ApplyFieldSelector(text, &twice).ok());
    FUZZ_CHECK(Bytes(twice) == Bytes(once));
  } else {
    // A refused selector changes nothing.
    FUZZ_CHECK(Bytes(once) == Bytes(Sample()));
  }

  auto selected = parley::protojson::SelectJsonFields(text, parley::protojson::ToJson(Sample()));
  if (selected.ok()) {
    parley::insights_v1::Conversation reparsed;
    FUZZ_CHECK(parley::protojson::Parse(*selected, &reparsed).ok());
  }
  return 0;
}
