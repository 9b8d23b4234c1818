// JobQueue: runs long-running operations on a pool of worker threads.
//
// An operation is stored (pending) before Submit returns, so an acknowledged
// request survives a crash: Start() queues again every operation the store
// holds as pending or running. Runners are therefore written to be safe to
// run again (an analysis stores its result and its finished operation in one
// transaction, so a finished analysis is never redone).
//
// State changes of a queued or running operation go through the queue: the
// worker that runs it owns it, and Cancel only raises a flag the runner
// polls (or, for an operation not yet started, cancels it at once).
//
// Limits (issue 9 #12): a tenant has at most `max_pending_per_tenant`
// unfinished (queued or running) operations; Submit refuses more with
// RESOURCE_EXHAUSTED and stores nothing. Workers take operations round-robin
// across tenants (each tenant's own in FIFO order), so one tenant's burst
// does not delay another's operations behind all of its own.
//
// Several processes on one store (ShareOperations, ADR 0022): an operation
// runs on the node that claimed it (Store::ClaimOperation) for a lease the
// node renews while it holds the operation (queued or running). A node
// claims what it submits, and polls for operations nobody holds: those
// whose node died (its lease ran out) or that were stored without a claim.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "parley/operation.pb.h"
#include "store/store.h"

namespace parley::jobs {

class JobContext {
 public:
  // The operation being run. The runner updates its progress fields
  // (total, succeeded, failed, partial_errors) and results.
  core::Operation& operation() { return operation_; }
  // The client asked to cancel: stop soon; the queue marks it CANCELLED.
  bool cancelled() const { return cancel_->load(std::memory_order_relaxed); }
  // The server is shutting down: stop soon; the operation stays unfinished
  // and runs again after a restart.
  bool stopping() const { return stopping_->load(std::memory_order_relaxed); }
  bool should_stop() const { return cancelled() || stopping(); }
  // Stores the progress fields if the last store was long enough ago.
  void ReportProgress();
  // The runner stored the finished operation itself (say, together with its
  // result, in one transaction); the queue must not write it again.
  void MarkStored() { stored_ = true; }

 private:
  friend class JobQueue;
  JobContext(store::Store* store, core::Operation operation,
             std::shared_ptr<std::atomic<bool>> cancel, const std::atomic<bool>* stopping)
      : store_(store), operation_(std::move(operation)), cancel_(std::move(cancel)),
        stopping_(stopping) {}
  store::Store* store_;
  core::Operation operation_;
  std::shared_ptr<std::atomic<bool>> cancel_;
  const std::atomic<bool>* stopping_;
  int64_t last_report_us_ = 0;
  bool stored_ = false;
};

// Runs one operation. OK: it SUCCEEDED (unless cancelled meanwhile); an error:
// it FAILED with that error.
using Runner = std::function<absl::Status(JobContext&)>;

// Unfinished operations a tenant may have unless told otherwise
// (`--max-pending-operations`).
inline constexpr int kDefaultMaxPendingOperations = 1000;

class JobQueue {
 public:
  // `store` must outlive the queue.
  // `max_pending_per_tenant` <= 0: no cap.
  JobQueue(store::Store* store, int workers,
           int max_pending_per_tenant = kDefaultMaxPendingOperations);
  ~JobQueue();
  JobQueue(const JobQueue&) = delete;
  JobQueue& operator=(const JobQueue&) = delete;

  // The runner for operations whose `job` is `job_case`. Before Start.
  void SetRunner(core::Operation::JobCase job_case, Runner runner);

  // Shares the store's operations with other processes: before Start, on a
  // store that SharesOperations(). `node` names this process across restarts
  // (a restarted node takes its own claims back at once); a claim not
  // renewed for `lease_us` may be taken by another node.
  void ShareOperations(std::string node, int64_t lease_us);

  // Tests: called on the lease thread with what each claim poll returned,
  // before the queue acts on it (to land a write between a poll's query and
  // its handling). Before Start.
  void SetClaimPollHookForTest(std::function<void(const std::vector<core::Operation>&)> hook) {
    claim_poll_hook_ = std::move(hook);
  }

  // Queues the store's unfinished operations again (whatever the cap: they
  // were accepted already) and starts the workers.
  absl::Status Start();

  // Stores `operation` as pending (id and times are set here unless given)
  // and queues it. Returns the stored operation. RESOURCE_EXHAUSTED (nothing
  // stored) if its tenant has `max_pending_per_tenant` unfinished already.
  absl::StatusOr<core::Operation> Submit(core::Operation operation);

  // Asks to cancel (tenant, id). A pending operation is cancelled at once; a
  // running one stops at its runner's next check; a finished one is left as
  // it is. Returns the operation as stored now. NOT_FOUND if absent. With
  // shared operations, one held by another node is cancelled there: that
  // node sees the request at its next lease renewal (Store::
  // RequestOperationCancel).
  absl::StatusOr<core::Operation> Cancel(std::string_view tenant, std::string_view id);

  // Stops taking operations, asks running ones to stop, joins the workers.
  void Shutdown();

  // Operations queued or running (for tests and drain).
  size_t active() const;
  // The same, apart (metrics: queue depth and busy workers).
  struct Depth {
    size_t queued = 0;
    size_t running = 0;
  };
  Depth depth() const;

 private:
  // Starts worker_count_ threads running WorkerLoop.
  void StartWorkers();
  void WorkerLoop();
  // Shared operations: renews this node's leases and claims operations
  // nobody holds, every third of a lease (at most every second) and
  // whenever a worker empties the queue, until Shutdown.
  void LeaseLoop();
  void ClaimFree();
  void RenewLeases();
  void RunOne(core::Operation operation, std::shared_ptr<std::atomic<bool>> cancel);
  // Shared operations: whether the store still shows `op` unfinished and
  // this node's (claiming it again for a lease). A claim poll whose query ran
  // just before this node stored an operation's end hands back a stale,
  // unfinished copy of it, which must be neither run nor ended again.
  bool StillHeldHere(const core::Operation& op);
  // Cancels (tenant, id) if it is queued or running here (as Cancel
  // describes); nullopt if it is neither.
  std::optional<absl::StatusOr<core::Operation>> CancelHereLocked(std::string_view tenant, std::string_view id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static std::string MapKey(std::string_view tenant, std::string_view id);
  // Queues `op` behind its tenant's others (already counted in unfinished_).
  void EnqueueLocked(core::Operation op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // One fewer unfinished operation for `tenant`.
  void ReleaseLocked(const std::string& tenant) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  store::Store* store_;
  const int worker_count_;
  const int max_pending_per_tenant_;
  absl::flat_hash_map<int, Runner> runners_;
  std::function<void(const std::vector<core::Operation>&)> claim_poll_hook_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stopping_{false};

  mutable absl::Mutex mu_;
  // Queued operations by tenant, each in FIFO order; tenants with queued
  // operations in the order workers serve them (round-robin).
  absl::flat_hash_map<std::string, std::deque<core::Operation>> queued_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> turn_ ABSL_GUARDED_BY(mu_);
  // Unfinished (being stored, queued or running) operations by tenant.
  absl::flat_hash_map<std::string, int> unfinished_ ABSL_GUARDED_BY(mu_);
  // Running operations' cancel flags, by MapKey.
  absl::flat_hash_map<std::string, std::shared_ptr<std::atomic<bool>>> running_ ABSL_GUARDED_BY(mu_);
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  // Shared operations (ShareOperations): this node's name, the lease, the
  // operations it holds (queued or running, by MapKey: tenant and id).
  std::string node_;
  int64_t lease_us_ = 0;
  std::thread lease_thread_;
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>> held_ ABSL_GUARDED_BY(mu_);
  // A worker found the queue empty: claim more now rather than at the next tick.
  bool claim_now_ ABSL_GUARDED_BY(mu_) = false;
};

// The error an operation cancelled by its client carries (google.rpc.Code 1).
inline constexpr int kCancelledCode = 1;

}  // namespace parley::jobs
