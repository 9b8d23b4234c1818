#include "service/transcription_service.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/absl_compat.h"
#include "core/time_format.h"
#include "service/conversation_service.h"
#include "service/operation_service.h"
#include "service/speech_service.h"

namespace parley::service {
namespace {

using core::Processing;

bool Finished(Processing::State state) {
  return state == Processing::PROCESSED || state == Processing::FAILED;
}

absl::StatusOr<std::string> ReadRecording(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::FailedPreconditionError("the recording is no longer stored");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in && !in.eof()) return absl::InternalError("the recording cannot be read");
  return std::move(bytes).str();
}

}  // namespace

absl::Status TranscriptionService::NoSpeechRecognition() {
  return absl::FailedPreconditionError(
      "dataSource.gcsSource.audioUri: this server runs without speech recognition (--no-asr); "
      "send a transcript instead");
}

void TranscriptionService::RegisterRunner() {
  operations_->SetRunner(core::Operation::kTranscribe, [this](jobs::JobContext& ctx) { return Run(ctx); });
}

std::string TranscriptionService::RecordingPath(std::string_view tenant, std::string_view id) const {
  return absl::StrCat(recording_dir_, "/", Sv(tenant), "/", Sv(id), ".audio");
}

absl::Status TranscriptionService::StoreRecording(std::string_view tenant, std::string_view id,
                                                  std::string_view audio) const {
  if (recording_dir_.empty()) return absl::FailedPreconditionError("this server keeps no recordings");
  const std::string path = RecordingPath(tenant, id);
  std::error_code ec;
  const std::filesystem::path p(path);
  std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) return absl::InternalError(absl::StrCat("cannot create the recording folder: ", ec.message()));
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("cannot write the recording: errno ", errno));
  size_t done = 0;
  while (done < audio.size()) {
    ssize_t n = write(fd, audio.data() + done, audio.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      close(fd);
      std::remove(tmp.c_str());
      return absl::InternalError(absl::StrCat("cannot write the recording: errno ", err));
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    close(fd);
    std::remove(tmp.c_str());
    return absl::InternalError("cannot sync the recording");
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) return absl::InternalError("cannot store the recording");
  int dir = open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return absl::OkStatus();
}

void TranscriptionService::DeleteRecording(std::string_view tenant, std::string_view id) const {
  if (!recording_dir_.empty()) std::remove(RecordingPath(tenant, id).c_str());
}

absl::Status TranscriptionService::TranscribeFromUri(const core::BlobOptions& blobs, core::Conversation* c) const {
  const std::string& uri = c->data_source().audio_uri();
  if (uri.empty() || c->data_source().kind() != core::DataSource::GCS || c->messages_size() > 0) {
    return absl::OkStatus();
  }
  if (speech_ == nullptr) return NoSpeechRecognition();
  core::BlobOptions audio_blobs = blobs;
  audio_blobs.max_bytes = static_cast<size_t>(speech_->config().max_audio_bytes);
  auto bytes = core::ReadBlobUri(uri, audio_blobs);
  if (!bytes.ok()) return bytes.status();
  SpeechOptions options;
  if (!c->language_code().empty()) options.language = c->language_code();
  auto result = speech_->Transcribe(*bytes, options);
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat("dataSource.gcsSource.audioUri: ", result.status().message()));
  }
  TranscriptFromSpeech(*result, c);
  return absl::OkStatus();
}

absl::StatusOr<core::Operation> TranscriptionService::Start(std::string_view tenant, std::string_view scope,
                                                            core::TranscribeJob job) {
  core::Operation op;
  op.set_tenant(std::string(tenant));
  op.set_location(std::string(scope));  // an operation's location is its conversation's scope
  job.set_audio_path(RecordingPath(tenant, job.conversation_id()));
  *op.mutable_transcribe() = std::move(job);
  return operations_->Start(std::move(op));
}

absl::Status TranscriptionService::Run(jobs::JobContext& ctx) {
  const core::Operation& op = ctx.operation();
  const core::TranscribeJob& job = op.transcribe();
  const std::string tenant = op.tenant(), scope = op.location(), id = job.conversation_id();
  auto set_state = [&](Processing::State state, std::string_view error) {
    return conversations_->Update(tenant, scope, id, [&](core::Conversation& c) {
      c.mutable_processing()->set_state(state);
      c.mutable_processing()->set_error(std::string(error));
      c.mutable_processing()->set_update_time_us(core::NowMicros());
      return absl::OkStatus();
    });
  };
  auto fail = [&](const absl::Status& cause) {
    (void)set_state(Processing::FAILED, std::string(cause.message()));
    return cause;
  };

  auto current = conversations_->Get(tenant, scope, id);
  if (absl::IsNotFound(current.status())) return absl::OkStatus();  // deleted meanwhile: nothing to do
  if (!current.ok()) return current.status();
  if (Finished(current->processing().state())) return absl::OkStatus();  // done before a restart
  if (speech_ == nullptr) {
    return fail(absl::FailedPreconditionError(
        "speech recognition is disabled on this server (--no-asr): declare the interaction as a "
        "transcript instead"));
  }
  if (auto s = set_state(Processing::PROCESSING, ""); !s.ok()) {
    return absl::IsNotFound(s.status()) ? absl::OkStatus() : s.status();
  }
  auto audio = ReadRecording(job.audio_path());
  if (!audio.ok()) return fail(audio.status());
  SpeechOptions options;
  options.separate_channels = job.separate_channels();
  if (!job.language().empty()) options.language = job.language();
  options.asr_mode = job.asr_mode();
  auto result = speech_->Transcribe(*audio, options);
  if (!result.ok()) {
    return fail(absl::Status(result.status().code(),
                             absl::StrCat("speech recognition failed: ", result.status().message())));
  }
  auto stored = conversations_->Update(tenant, scope, id, [&](core::Conversation& c) {
    if (job.agent_channel() != 0) c.mutable_call_channels()->set_agent_channel(job.agent_channel());
    if (job.customer_channel() != 0) c.mutable_call_channels()->set_customer_channel(job.customer_channel());
    TranscriptFromSpeech(*result, &c);
    const int64_t now = core::NowMicros();
    c.mutable_processing()->set_state(Processing::PROCESSED);
    c.mutable_processing()->clear_error();
    c.mutable_processing()->set_update_time_us(now);
    c.mutable_processing()->set_processed_time_us(now);
    c.mutable_processing()->set_engine(result->engine);
    return absl::OkStatus();
  });
  if (absl::IsNotFound(stored.status())) return absl::OkStatus();
  if (!stored.ok()) {
    return fail(absl::Status(stored.status().code(),
                             absl::StrCat("the transcript could not be stored: ", stored.status().message())));
  }
  ctx.operation().set_total(1);
  ctx.operation().set_succeeded(1);
  return absl::OkStatus();
}

}  // namespace parley::service
