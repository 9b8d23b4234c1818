// OperationService: long-running operations as every dialect sees them —
// started (stored before the reply, so they survive a crash), read, listed,
// cancelled — over the job queue (src/jobs) and the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/page_token.h"
#include "jobs/job_queue.h"
#include "parley/conversation.pb.h"
#include "parley/operation.pb.h"

namespace parley::store {
class Store;
}

namespace parley::service {

class OperationService {
 public:
  // Everything must outlive the service. Thread-safe.
  OperationService(store::Store* store, jobs::JobQueue* jobs, const core::PageTokenCodec* tokens)
      : store_(store), jobs_(jobs), tokens_(tokens) {}

  // The runner of operations whose job is `job_case` (a dialect's own kind of
  // work, e.g. Insights' export). Before the queue starts.
  void SetRunner(core::Operation::JobCase job_case, jobs::Runner runner);

  // Work a dialect does when it accepts the request (its services answer at
  // once) but reports as a long-running operation, as the vendor's API does
  // (Dialogflow documents, CES apps): the dialect records the outcome in the
  // job (SetOutcome) and starts the operation; the runner set here for
  // `job_case` replays it, so the operation ends as the work did.
  using OutcomeOf = const core::OperationError& (*)(const core::Operation&);
  void SetReplayRunner(core::Operation::JobCase job_case, OutcomeOf outcome_of);
  static void SetOutcome(const absl::Status& s, core::OperationError* outcome);

  // Stores `operation` as pending and queues it (jobs::JobQueue::Submit).
  absl::StatusOr<core::Operation> Start(core::Operation operation);

  // The operation (tenant, id) in `location`; NOT_FOUND when absent or in
  // another location.
  absl::StatusOr<core::Operation> Get(std::string_view tenant, std::string_view location,
                                      std::string_view id);

  struct Page {
    std::vector<core::Operation> operations;  // newest first
    std::string next_page_token;              // empty on the last page
  };
  // Operations of `tenant` in `location` (empty: every location), only
  // finished (done = true) or unfinished (false) ones when `done` is set.
  // `page_size` must already be clamped; `page_token` continues a list made
  // with the same `fingerprint` (the caller's canonical text of its filter).
  // `jobs` not empty: only operations of those kinds (a dialect's own), in
  // full pages.
  absl::StatusOr<Page> List(std::string_view tenant, std::string_view location,
                            std::optional<bool> done, int page_size, std::string_view page_token,
                            std::string_view fingerprint,
                            const std::vector<core::Operation::JobCase>& jobs = {});

  // Asks to cancel (see jobs::JobQueue::Cancel); NOT_FOUND as Get.
  absl::StatusOr<core::Operation> Cancel(std::string_view tenant, std::string_view location,
                                         std::string_view id);

  // What a finished analysis operation produced: the analysis as it was
  // made (kept in the operation, so even if the conversation or the
  // analysis was deleted since) and the analysed conversation as stored
  // (even if expired since; its scope is the operation's location), or,
  // once deleted, only its key (tenant, scope, id): its messages' channels,
  // which annotations show, are then unknown. Operations finished before
  // the analysis was kept in them read both from the store: NOT_FOUND when
  // either is gone.
  struct AnalysisResult {
    core::Conversation conversation;
    core::Analysis analysis;
  };
  absl::StatusOr<AnalysisResult> AnalysisOf(const core::Operation& op);

  // The conversation an upload operation stored (in the operation's
  // location, its scope), as it is now; NOT_FOUND when deleted or expired
  // since.
  absl::StatusOr<core::Conversation> UploadedConversation(const core::Operation& op);

 private:
  store::Store* store_;
  jobs::JobQueue* jobs_;
  const core::PageTokenCodec* tokens_;
};

}  // namespace parley::service
