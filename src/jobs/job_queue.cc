#include "jobs/job_queue.h"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/ids.h"
#include "core/public_error.h"
#include "core/thread_name.h"
#include "core/time_format.h"
#include "telemetry/log.h"
#include "telemetry/metrics.h"

namespace parley::jobs {
namespace {

constexpr int64_t kReportEveryUs = 200'000;
// Operations a node claims at once when polling (shared operations).
constexpr int kClaimBatch = 32;

void MarkCancelled(core::Operation& op) {
  op.set_state(core::OPERATION_CANCELLED);
  op.set_cancel_requested(true);
  op.mutable_error()->set_code(kCancelledCode);
  op.mutable_error()->set_message("Operation was cancelled.");
  op.set_end_time_us(core::NowMicros());
  op.set_update_time_us(op.end_time_us());
}

// The operation's kind: the name of its `job` field ("analysis", "export", ...).
std::string_view KindOf(const core::Operation& op) {
  const auto* field = core::Operation::descriptor()->FindFieldByNumber(static_cast<int>(op.job_case()));
  return field ? std::string_view(field->name()) : std::string_view("unknown");
}

std::string_view StateName(core::OperationState state) {
  switch (state) {
    case core::OPERATION_PENDING: return "pending";
    case core::OPERATION_RUNNING: return "running";
    case core::OPERATION_SUCCEEDED: return "succeeded";
    case core::OPERATION_FAILED: return "failed";
    case core::OPERATION_CANCELLED: return "cancelled";
    default: return "unspecified";
  }
}

// One log line and one count per state an operation reaches; a failure
// carries its cause (the error the client sees, never the input).
void RecordState(const core::Operation& op, const absl::Status& cause = absl::OkStatus()) {
  std::string_view kind = KindOf(op), state = StateName(op.state());
  telemetry::Core().operation_transitions->Cell({kind, state})->Add();
  if (op.state() == core::OPERATION_FAILED) {
    std::string message = cause.ok() ? op.error().message() : std::string(cause.message());
    telemetry::Log().Log(telemetry::LogLevel::kWarn, "operation",
                         {{"tenant", op.tenant()}, {"operation", op.id()}, {"kind", kind},
                          {"state", state}, {"code", cause.ok() ? static_cast<int64_t>(op.error().code()) : static_cast<int64_t>(cause.code())},
                          {"cause", message}});
  } else {
    telemetry::Log().Log(telemetry::LogLevel::kInfo, "operation",
                         {{"tenant", op.tenant()}, {"operation", op.id()}, {"kind", kind}, {"state", state}});
  }
}

}  // namespace

void JobContext::ReportProgress() {
  int64_t now = core::NowMicros();
  if (now - last_report_us_ < kReportEveryUs) return;
  last_report_us_ = now;
  operation_.set_update_time_us(now);
  // Progress is advisory: a failed write is retried with the next report.
  (void)store_->UpdateOperation(operation_);
}

JobQueue::JobQueue(store::Store* store, int workers, int max_pending_per_tenant)
    : store_(store),
      worker_count_(std::max(1, workers)),
      max_pending_per_tenant_(max_pending_per_tenant) {}

JobQueue::~JobQueue() { Shutdown(); }

void JobQueue::SetRunner(core::Operation::JobCase job_case, Runner runner) {
  runners_[static_cast<int>(job_case)] = std::move(runner);
}

std::string JobQueue::MapKey(std::string_view tenant, std::string_view id) {
  return absl::StrCat(tenant.size(), ":", std::string(tenant), std::string(id));
}

void JobQueue::EnqueueLocked(core::Operation op) {
  std::deque<core::Operation>& q = queued_[op.tenant()];
  if (q.empty()) turn_.push_back(op.tenant());
  q.push_back(std::move(op));
}

void JobQueue::ReleaseLocked(const std::string& tenant) {
  auto it = unfinished_.find(tenant);
  if (it != unfinished_.end() && --it->second <= 0) unfinished_.erase(it);
}

void JobQueue::ShareOperations(std::string node, int64_t lease_us) {
  node_ = std::move(node);
  lease_us_ = std::max<int64_t>(lease_us, 1000);
  // A job this node keeps running after losing its lease (a pause or a cut
  // longer than the lease) can then write nothing of it (ADR 0022).
  store_->FenceOperationWrites(node_);
}

void JobQueue::StartWorkers() {
  for (int i = 0; i < worker_count_; ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
    core::NameThread(workers_.back(), "parley-job");
  }
}

absl::Status JobQueue::Start() {
  if (!node_.empty()) {
    // Other nodes may be running some of the unfinished operations: this
    // one takes only what it claims (its own from before a restart first).
    StartWorkers();
    ClaimFree();
    lease_thread_ = std::thread([this] { LeaseLoop(); });
    core::NameThread(lease_thread_, "parley-lease");
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<core::Operation>> unfinished = store_->ListUnfinishedOperations();
  if (!unfinished.ok()) return unfinished.status();
  {
    absl::MutexLock lock(&mu_);
    // Operations submitted before Start are queued already.
    absl::flat_hash_set<std::string> queued;
    for (const auto& [tenant, q] : queued_) {
      for (const core::Operation& op : q) queued.insert(MapKey(op.tenant(), op.id()));
    }
    for (core::Operation& op : *unfinished) {
      if (queued.contains(MapKey(op.tenant(), op.id()))) continue;
      if (op.cancel_requested()) {
        MarkCancelled(op);
        if (absl::Status s = store_->UpdateOperation(op); !s.ok()) return s;
        continue;
      }
      ++unfinished_[op.tenant()];  // accepted before: not refused by the cap
      EnqueueLocked(std::move(op));
    }
  }
  StartWorkers();
  return absl::OkStatus();
}

absl::StatusOr<core::Operation> JobQueue::Submit(core::Operation op) {
  if (runners_.find(static_cast<int>(op.job_case())) == runners_.end()) {
    return absl::InternalError("no runner for this kind of operation");
  }
  if (op.id().empty()) op.set_id(core::NewId());
  int64_t now = core::NowMicros();
  if (op.create_time_us() == 0) op.set_create_time_us(now);
  op.set_update_time_us(now);
  op.set_state(core::OPERATION_PENDING);
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return absl::UnavailableError("the server is shutting down");
    int& unfinished = unfinished_[op.tenant()];
    if (max_pending_per_tenant_ > 0 && unfinished >= max_pending_per_tenant_) {
      if (unfinished == 0) unfinished_.erase(op.tenant());
      return absl::ResourceExhaustedError(absl::StrCat(
          "too many pending operations for this project (at most ", max_pending_per_tenant_,
          "); try again later"));
    }
    ++unfinished;  // reserved while it is stored, so concurrent submits respect the cap
  }
  // Stored outside the lock, so that concurrent submissions share a group
  // commit. Shut down meanwhile: the stored operation runs after the restart.
  // Across nodes it is stored held by this node (for a lease, renewed as
  // the others), so no other node's claim poll takes it before it is
  // queued here; if this node dies first, another takes it once the lease
  // runs out.
  absl::Status stored = node_.empty() ? store_->CreateOperation(op)
                                      : store_->CreateHeldOperation(op, node_, core::NowMicros() + lease_us_);
  absl::MutexLock lock(&mu_);
  if (!stored.ok()) {
    ReleaseLocked(op.tenant());
    return stored;
  }
  if (!shut_down_ && !node_.empty()) held_[MapKey(op.tenant(), op.id())] = {op.tenant(), op.id()};
  if (shut_down_) {
    ReleaseLocked(op.tenant());
  } else {
    EnqueueLocked(op);
  }
  RecordState(op);
  return op;
}

void JobQueue::ClaimFree() {
  int free = 0;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    size_t queued = 0;
    for (const auto& [tenant, q] : queued_) queued += q.size();
    // A batch, so that a backlog (a dead node's, or this node's own after a
    // restart) drains at the workers' pace, not one poll per operation.
    free = std::max(kClaimBatch, worker_count_) - static_cast<int>(queued);
  }
  if (free <= 0) return;
  const int64_t now = core::NowMicros();
  absl::StatusOr<std::vector<core::Operation>> claimed =
      store_->ClaimOperations(node_, now, now + lease_us_, free);
  if (!claimed.ok()) {
    telemetry::Log().Log(telemetry::LogLevel::kWarn, "operation_claim_failed", {{"cause", claimed.status().ToString()}});
    return;
  }
  if (claim_poll_hook_) claim_poll_hook_(*claimed);
  absl::MutexLock lock(&mu_);
  for (core::Operation& op : *claimed) {
    const std::string key = MapKey(op.tenant(), op.id());
    if (held_.contains(key) || shut_down_) continue;  // ours already (or stopping)
    if (op.cancel_requested()) {
      // Ending a stale copy (see StillHeldHere) would overwrite the stored
      // end: its time, its progress.
      if (!StillHeldHere(op)) continue;
      MarkCancelled(op);
      (void)store_->UpdateOperation(op);
      RecordState(op);
      continue;
    }
    held_[key] = {op.tenant(), op.id()};
    ++unfinished_[op.tenant()];
    EnqueueLocked(std::move(op));
  }
}

void JobQueue::RenewLeases() {
  std::vector<std::pair<std::string, std::string>> held;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [key, op] : held_) held.push_back(op);
  }
  if (held.empty()) return;
  std::vector<std::pair<std::string, std::string>> cancels;
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> lost =
      store_->RenewOperationLeases(node_, held, core::NowMicros() + lease_us_, &cancels);
  if (!lost.ok()) {
    telemetry::Log().Log(telemetry::LogLevel::kWarn, "operation_lease_renewal_failed", {{"cause", lost.status().ToString()}});
    return;
  }
  // Cancels asked on other nodes for operations this one holds: as if asked here.
  for (const auto& [tenant, id] : cancels) {
    absl::MutexLock lock(&mu_);
    (void)CancelHereLocked(tenant, id);
  }
  for (const auto& [tenant, id] : *lost) {
    // Finished meanwhile (its claim row says done), or taken by another node
    // after this one could not renew in time. A job still running here is
    // stopped: its writes are fenced (Store::FenceOperationWrites), so all
    // it could still do is waste the worker.
    telemetry::Log().Log(telemetry::LogLevel::kInfo, "operation_lease_lost", {{"tenant", tenant}, {"operation", id}});
    absl::MutexLock lock(&mu_);
    if (auto running = running_.find(MapKey(tenant, id)); running != running_.end()) {
      running->second->store(true, std::memory_order_relaxed);
    }
  }
}

void JobQueue::LeaseLoop() {
  const absl::Duration every = std::min(absl::Microseconds(lease_us_ / 3), absl::Seconds(1));
  absl::Time renewed = absl::Now();
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(
          absl::Condition(
              +[](JobQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS { return q->shut_down_ || q->claim_now_; },
              this),
          every);
      if (shut_down_) return;
      claim_now_ = false;
    }
    if (absl::Now() - renewed >= every) {
      RenewLeases();
      renewed = absl::Now();
    }
    ClaimFree();
  }
}

absl::StatusOr<core::Operation> JobQueue::Cancel(std::string_view tenant, std::string_view id) {
  {
    absl::MutexLock lock(&mu_);
    if (std::optional<absl::StatusOr<core::Operation>> here = CancelHereLocked(tenant, id)) return *std::move(here);
  }
  // Not queued or running here. On a shared store another node may hold it
  // (or claim it later): the store keeps the request for that node, which
  // sees it at its next lease renewal (ADR 0022).
  if (!node_.empty()) return store_->RequestOperationCancel(tenant, id);
  // Finished (or unknown): as stored.
  return store_->GetOperation(tenant, id);
}

std::optional<absl::StatusOr<core::Operation>> JobQueue::CancelHereLocked(std::string_view tenant,
                                                                          std::string_view id) {
  auto running = running_.find(MapKey(tenant, id));
  if (running != running_.end()) {
    running->second->store(true, std::memory_order_relaxed);
    absl::StatusOr<core::Operation> op = store_->GetOperation(tenant, id);
    if (op.ok()) op->set_cancel_requested(true);
    return op;
  }
  if (auto queue = queued_.find(std::string(tenant)); queue != queued_.end()) {
    std::deque<core::Operation>& q = queue->second;
    for (auto it = q.begin(); it != q.end(); ++it) {
      if (it->id() != id) continue;
      core::Operation op = std::move(*it);
      q.erase(it);
      if (q.empty()) {
        queued_.erase(queue);
        turn_.erase(std::find(turn_.begin(), turn_.end(), op.tenant()));
      }
      ReleaseLocked(op.tenant());
      held_.erase(MapKey(op.tenant(), op.id()));
      MarkCancelled(op);
      if (absl::Status s = store_->UpdateOperation(op); !s.ok()) return s;
      RecordState(op);
      return op;
    }
  }
  return std::nullopt;
}

void JobQueue::WorkerLoop() {
  for (;;) {
    core::Operation op;
    std::shared_ptr<std::atomic<bool>> cancel;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](JobQueue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS { return q->shut_down_ || !q->turn_.empty(); },
          this));
      if (shut_down_) return;
      // Round-robin across tenants: the tenant whose turn it is gives its
      // oldest operation and, if it has more, goes to the back of the line.
      std::string tenant = std::move(turn_.front());
      turn_.pop_front();
      auto queue = queued_.find(tenant);
      op = std::move(queue->second.front());
      queue->second.pop_front();
      if (queue->second.empty()) {
        queued_.erase(queue);
      } else {
        turn_.push_back(std::move(tenant));
      }
      if (turn_.empty() && !node_.empty()) claim_now_ = true;
      // Queued twice (a claim poll took it while Submit was claiming it):
      // the copy already running is the one.
      const std::string key = MapKey(op.tenant(), op.id());
      if (running_.contains(key)) {
        ReleaseLocked(op.tenant());
        continue;
      }
      cancel = std::make_shared<std::atomic<bool>>(false);
      running_[key] = cancel;
    }
    RunOne(std::move(op), std::move(cancel));
  }
}

bool JobQueue::StillHeldHere(const core::Operation& op) {
  const int64_t now = core::NowMicros();
  absl::StatusOr<bool> claimed = store_->ClaimOperation(op.tenant(), op.id(), node_, now, now + lease_us_);
  return claimed.ok() && *claimed;
}

void JobQueue::RunOne(core::Operation op, std::shared_ptr<std::atomic<bool>> cancel) {
  const std::string key = MapKey(op.tenant(), op.id());
  if (!node_.empty() && !StillHeldHere(op)) {  // a stale copy: not run
    absl::MutexLock lock(&mu_);
    running_.erase(key);
    held_.erase(key);
    ReleaseLocked(op.tenant());
    return;
  }
  op.set_state(core::OPERATION_RUNNING);
  op.set_update_time_us(core::NowMicros());
  (void)store_->UpdateOperation(op);
  RecordState(op);
  JobContext ctx(store_, std::move(op), cancel, &stopping_);
  absl::Status result;
  auto runner = runners_.find(static_cast<int>(ctx.operation().job_case()));
  if (runner == runners_.end()) {
    result = absl::InternalError("no runner for this kind of operation");
  } else {
    try {
      result = runner->second(ctx);
    } catch (const std::exception& e) {
      result = absl::InternalError(absl::StrCat("operation failed: ", e.what()));
    }
  }
  absl::MutexLock lock(&mu_);
  running_.erase(key);
  held_.erase(key);
  ReleaseLocked(ctx.operation().tenant());
  if (ctx.stored_) {
    RecordState(ctx.operation(), result);
    return;
  }
  core::Operation& done = ctx.operation();
  if (stopping_.load() && !cancel->load()) return;  // resumed after a restart
  if (cancel->load()) {
    MarkCancelled(done);
  } else {
    done.set_end_time_us(core::NowMicros());
    done.set_update_time_us(done.end_time_us());
    if (result.ok()) {
      done.set_state(core::OPERATION_SUCCEEDED);
    } else {
      done.set_state(core::OPERATION_FAILED);
      core::SetOperationError(result, {}, done.mutable_error());
    }
  }
  if (absl::Status s = store_->UpdateOperation(done); absl::IsAborted(s)) {
    // Fenced: another node took the operation over; its result stands.
    telemetry::Log().Log(telemetry::LogLevel::kWarn, "operation_fenced",
                         {{"tenant", done.tenant()}, {"operation", done.id()}, {"kind", KindOf(done)},
                          {"cause", s.ToString()}});
    return;
  } else if (!s.ok()) {
    telemetry::Log().Log(telemetry::LogLevel::kError, "operation_store_failed",
                         {{"tenant", done.tenant()}, {"operation", done.id()}, {"kind", KindOf(done)},
                          {"cause", s.ToString()}});
  }
  RecordState(done, result);
}

void JobQueue::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
  }
  stopping_.store(true);
  if (lease_thread_.joinable()) lease_thread_.join();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

size_t JobQueue::active() const {
  Depth d = depth();
  return d.queued + d.running;
}

JobQueue::Depth JobQueue::depth() const {
  absl::MutexLock lock(&mu_);
  Depth d;
  for (const auto& [tenant, q] : queued_) d.queued += q.size();
  d.running = running_.size();
  return d;
}

}  // namespace parley::jobs
