// TranscribeAudioFile (transcript_file.h), apart from the transcript parsers
// so that their fuzz target links without the speech engine.
#include "api/insights_v1/transcript_file.h"

#include "absl/strings/str_cat.h"
#include "service/speech_service.h"

namespace parley::insights_v1 {

absl::Status TranscribeAudioFile(const core::BlobOptions& blobs, const service::SpeechService* speech,
                                 core::Conversation* c) {
  const std::string& uri = c->data_source().audio_uri();
  if (uri.empty() || c->data_source().kind() != core::DataSource::GCS || c->messages_size() > 0) {
    return absl::OkStatus();
  }
  if (speech == nullptr) {
    return absl::FailedPreconditionError(
        "dataSource.gcsSource.audioUri: this server runs without speech recognition (--no-asr); "
        "send a transcript instead");
  }
  core::BlobOptions audio_blobs = blobs;
  audio_blobs.max_bytes = static_cast<size_t>(speech->config().max_audio_bytes);
  auto bytes = core::ReadBlobUri(uri, audio_blobs);
  if (!bytes.ok()) return bytes.status();
  service::SpeechOptions options;
  if (!c->language_code().empty()) options.language = c->language_code();
  auto result = speech->Transcribe(*bytes, options);
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat("dataSource.gcsSource.audioUri: ", result.status().message()));
  }
  service::TranscriptFromSpeech(*result, c);
  return absl::OkStatus();
}

}  // namespace parley::insights_v1
