// Transcript files (gcsSource.transcriptUri): insights_v1::ParseTranscriptFile
// of Speech-to-Text JSON or the chat format, with the channels of a call.
// Whatever it accepts must be a transcript the Insights JSON printer and
// parser round-trip.
#include "api/insights_v1/transcript_file.h"
#include "api/protojson/protojson.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, size_t size) {
  parley::insights_v1::Conversation::CallMetadata channels;
  channels.set_customer_channel(1);
  channels.set_agent_channel(2);
  auto loaded = parley::insights_v1::ParseTranscriptFile(parley::fuzz::AsText(data, size), channels);
  if (!loaded.ok()) {
    FUZZ_CHECK(loaded.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const std::string json = parley::protojson::ToJson(loaded->transcript);
  parley::insights_v1::Conversation::Transcript again;
  FUZZ_CHECK(parley::protojson::Parse(json, &again).ok());
  FUZZ_CHECK(parley::protojson::ToJson(again) == json);
  return 0;
}
