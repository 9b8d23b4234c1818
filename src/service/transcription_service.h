// TranscriptionService: recordings kept for conversations that wait for their
// transcript (ElevateAI audio interactions, core::Processing), transcribed by
// the job queue — never inside the request that brought them; and the
// transcription of a recording a conversation's data source names
// (TranscribeFromUri: Insights uploads, on the job queue, and creates).
//
// The request stores the recording (StoreRecording: written and synced) and
// starts a TranscribeJob operation (stored before Start returns), then
// answers; a worker moves the conversation to PROCESSING, transcribes with
// the speech service and stores the transcript with PROCESSED in one write
// (or FAILED with the reason). An operation interrupted by a crash is run
// again when the server starts (jobs::JobQueue::Start) and finishes.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/blob_uri.h"
#include "jobs/job_queue.h"
#include "parley/conversation.pb.h"
#include "parley/operation.pb.h"

namespace parley::service {

class ConversationService;
class OperationService;
class SpeechService;

class TranscriptionService {
 public:
  // Everything must outlive the service. `speech` may be null (speech
  // recognition disabled: every transcription fails with a clear reason).
  // `recording_dir`: where recordings are kept (empty: none are accepted).
  TranscriptionService(ConversationService* conversations, OperationService* operations,
                       const SpeechService* speech, std::string recording_dir)
      : conversations_(conversations), operations_(operations), speech_(speech),
        recording_dir_(std::move(recording_dir)) {}

  // Registers the TranscribeJob runner. Before the job queue starts.
  void RegisterRunner();

  bool keeps_recordings() const { return !recording_dir_.empty(); }
  // False when speech recognition is disabled (every transcription fails).
  bool recognizes_speech() const { return speech_ != nullptr; }

  // Writes `audio` as the recording of conversation (tenant, id), durably
  // (a temporary file synced, renamed, the folder synced), replacing an
  // earlier one. FAILED_PRECONDITION when no recordings are kept, INTERNAL
  // when the disk refuses.
  absl::Status StoreRecording(std::string_view tenant, std::string_view id, std::string_view audio) const;

  // Removes the recording of (tenant, id), if there is one.
  void DeleteRecording(std::string_view tenant, std::string_view id) const;

  // Transcribes the recording `c` names (data_source.audio_uri, a gs:// or
  // file:// URI read through `blobs`) into its transcript when `c` has no
  // transcript of its own: one speaker per channel (call_channels give the
  // roles), per-word times and confidences, duration from the recording.
  // Nothing to do without an audio URI or with messages. The file is refused
  // before it is read when larger than the speech service's limit. Errors
  // name the field ("dataSource.gcsSource.audioUri: ..."): FAILED_PRECONDITION
  // without speech recognition, the blob read's and the speech service's
  // errors. Blocking for the whole recognition: a job or a blocking pool.
  absl::Status TranscribeFromUri(const core::BlobOptions& blobs, core::Conversation* c) const;
  // The error TranscribeFromUri gives without speech recognition.
  static absl::Status NoSpeechRecognition();

  // Starts transcribing the stored recording of (tenant, scope,
  // job.conversation_id()) into that conversation; job.audio_path is set
  // here. The operation is stored (pending) when this returns.
  absl::StatusOr<core::Operation> Start(std::string_view tenant, std::string_view scope,
                                        core::TranscribeJob job);

 private:
  std::string RecordingPath(std::string_view tenant, std::string_view id) const;
  absl::Status Run(jobs::JobContext& ctx);

  ConversationService* conversations_;
  OperationService* operations_;
  const SpeechService* speech_;
  std::string recording_dir_;
};

}  // namespace parley::service
