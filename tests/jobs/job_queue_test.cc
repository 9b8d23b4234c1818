// JobQueue over a real SQLite store: operations are stored before they are
// acknowledged, run on workers, fail, cancel, and resume after a restart.
#include "jobs/job_queue.h"

#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/operation_state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/store.h"

namespace parley::jobs {
namespace {

using std::chrono::milliseconds;

std::string TempDir() {
  std::string tmpl = ::testing::TempDir() + "parley_jobs_XXXXXX";
  EXPECT_NE(mkdtemp(tmpl.data()), nullptr);
  return tmpl;
}

core::Operation AnalyzeOp(const std::string& conversation) {
  core::Operation op;
  op.set_tenant("t1");
  op.set_location("us");
  op.mutable_analyze()->set_conversation_id(conversation);
  return op;
}

// Waits until the stored operation is finished; returns it.
core::Operation WaitDone(store::Store& store, const std::string& id) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    absl::StatusOr<core::Operation> op = store.GetOperation("t1", id);
    EXPECT_TRUE(op.ok()) << op.status();
    if (op.ok() && core::IsFinished(*op)) {
      return *op;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ADD_FAILURE() << "operation " << id << " did not finish";
      return op.ok() ? *op : core::Operation();
    }
    std::this_thread::sleep_for(milliseconds(5));
  }
}

class JobQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    Open();
  }
  void TearDown() override {
    queue_.reset();
    if (store_) store_->Close();
    std::filesystem::remove_all(dir_);
  }
  void Open() {
    auto s = store::OpenSqliteStore(dir_);
    ASSERT_TRUE(s.ok()) << s.status();
    store_ = std::move(*s);
    queue_ = std::make_unique<JobQueue>(store_.get(), 2);
  }
  void Restart() {
    queue_->Shutdown();
    queue_.reset();
    store_->Close();
    Open();
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<JobQueue> queue_;
};

TEST_F(JobQueueTest, SubmittedOperationIsStoredPendingThenSucceeds) {
  std::atomic<int> runs{0};
  queue_->SetRunner(core::Operation::kAnalyze, [&](JobContext& ctx) {
    ctx.operation().set_total(1);
    ctx.operation().set_succeeded(1);
    runs++;
    return absl::OkStatus();
  });
  // Not started: the operation stays pending, but it is stored already.
  absl::StatusOr<core::Operation> op = queue_->Submit(AnalyzeOp("c1"));
  ASSERT_TRUE(op.ok()) << op.status();
  EXPECT_FALSE(op->id().empty());
  EXPECT_EQ(op->state(), core::OPERATION_PENDING);
  EXPECT_GT(op->create_time_us(), 0);
  absl::StatusOr<core::Operation> stored = store_->GetOperation("t1", op->id());
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state(), core::OPERATION_PENDING);

  ASSERT_TRUE(queue_->Start().ok());
  core::Operation done = WaitDone(*store_, op->id());
  EXPECT_EQ(done.state(), core::OPERATION_SUCCEEDED);
  EXPECT_EQ(done.succeeded(), 1);
  EXPECT_GE(done.end_time_us(), done.create_time_us());
  EXPECT_EQ(runs.load(), 1);
}

TEST_F(JobQueueTest, RunnerErrorFailsTheOperationWithIt) {
  queue_->SetRunner(core::Operation::kAnalyze, [](JobContext&) {
    return absl::NotFoundError("conversation c9 not found");
  });
  ASSERT_TRUE(queue_->Start().ok());
  absl::StatusOr<core::Operation> op = queue_->Submit(AnalyzeOp("c9"));
  ASSERT_TRUE(op.ok());
  core::Operation done = WaitDone(*store_, op->id());
  EXPECT_EQ(done.state(), core::OPERATION_FAILED);
  EXPECT_EQ(done.error().code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(done.error().message(), "conversation c9 not found");
}

TEST_F(JobQueueTest, InternalRunnerErrorsAreStoredWithoutTheirDetails) {
  queue_->SetRunner(core::Operation::kAnalyze, [](JobContext&) {
    return absl::InternalError("sqlite: COMMIT: disk I/O error (code 10) at /srv/parley.db");
  });
  ASSERT_TRUE(queue_->Start().ok());
  absl::StatusOr<core::Operation> op = queue_->Submit(AnalyzeOp("c9"));
  ASSERT_TRUE(op.ok());
  core::Operation done = WaitDone(*store_, op->id());
  EXPECT_EQ(done.state(), core::OPERATION_FAILED);
  EXPECT_EQ(done.error().code(), static_cast<int>(absl::StatusCode::kInternal));
  EXPECT_THAT(done.error().message(),
              ::testing::MatchesRegex("Internal error encountered\\. Reference: [0-9a-f]{16}"));
  EXPECT_EQ(done.error().message().find("sqlite"), std::string::npos);
}

TEST_F(JobQueueTest, SubmitWithoutARunnerIsRefused) {
  core::Operation op;
  op.set_tenant("t1");
  op.mutable_bulk_delete();
  EXPECT_EQ(queue_->Submit(op).status().code(), absl::StatusCode::kInternal);
}

TEST_F(JobQueueTest, CancellingARunningOperationStopsItAndMarksItCancelled) {
  std::atomic<bool> started{false};
  std::atomic<int> steps{0};
  queue_->SetRunner(core::Operation::kAnalyze, [&](JobContext& ctx) {
    started = true;
    while (!ctx.should_stop()) {  // a long job that checks for cancellation
      steps++;
      std::this_thread::sleep_for(milliseconds(2));
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(queue_->Start().ok());
  absl::StatusOr<core::Operation> op = queue_->Submit(AnalyzeOp("c1"));
  ASSERT_TRUE(op.ok());
  while (!started) std::this_thread::sleep_for(milliseconds(1));
  absl::StatusOr<core::Operation> cancelling = queue_->Cancel("t1", op->id());
  ASSERT_TRUE(cancelling.ok()) << cancelling.status();
  EXPECT_TRUE(cancelling->cancel_requested());
  core::Operation done = WaitDone(*store_, op->id());
  EXPECT_EQ(done.state(), core::OPERATION_CANCELLED);
  EXPECT_EQ(done.error().code(), kCancelledCode);
  int after = steps.load();
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_EQ(steps.load(), after);  // it really stopped
  EXPECT_EQ(queue_->active(), 0u);
}

TEST_F(JobQueueTest, CancellingAPendingOperationCancelsItAtOnce) {
  std::atomic<int> runs{0};
  queue_->SetRunner(core::Operation::kAnalyze, [&](JobContext&) {
    runs++;
    return absl::OkStatus();
  });
  absl::StatusOr<core::Operation> op = queue_->Submit(AnalyzeOp("c1"));  // workers not started
  ASSERT_TRUE(op.ok());
  absl::StatusOr<core::Operation> cancelled = queue_->Cancel("t1", op->id());
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state(), core::OPERATION_CANCELLED);
  ASSERT_TRUE(queue_->Start().ok());
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_EQ(runs.load(), 0);
  EXPECT_EQ(store_->GetOperation("t1", op->id())->state(), core::OPERATION_CANCELLED);
}

TEST_F(JobQueueTest, CancellingAFinishedOperationLeavesIt) {
  queue_->SetRunner(core::Operation::kAnalyze, [](JobContext&) { return absl::OkStatus(); });
  ASSERT_TRUE(queue_->Start().ok());
  absl::StatusOr<core::Operation> op = queue_->Submit(AnalyzeOp("c1"));
  ASSERT_TRUE(op.ok());
  WaitDone(*store_, op->id());
  absl::StatusOr<core::Operation> after = queue_->Cancel("t1", op->id());
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->state(), core::OPERATION_SUCCEEDED);
  EXPECT_EQ(queue_->Cancel("t1", "missing").status().code(), absl::StatusCode::kNotFound);
}

TEST_F(JobQueueTest, UnfinishedOperationsResumeAfterARestart) {
  std::atomic<bool> block{true};
  queue_->SetRunner(core::Operation::kAnalyze, [&](JobContext& ctx) {
    while (block && !ctx.should_stop()) std::this_thread::sleep_for(milliseconds(1));
    return absl::OkStatus();
  });
  ASSERT_TRUE(queue_->Start().ok());
  absl::StatusOr<core::Operation> running = queue_->Submit(AnalyzeOp("c1"));
  absl::StatusOr<core::Operation> waiting1 = queue_->Submit(AnalyzeOp("c2"));
  absl::StatusOr<core::Operation> waiting2 = queue_->Submit(AnalyzeOp("c3"));
  ASSERT_TRUE(running.ok() && waiting1.ok() && waiting2.ok());
  std::this_thread::sleep_for(milliseconds(20));
  // Shut down mid-work: nothing is marked finished.
  Restart();
  for (const auto* op : {&*running, &*waiting1, &*waiting2}) {
    absl::StatusOr<core::Operation> stored = store_->GetOperation("t1", op->id());
    ASSERT_TRUE(stored.ok());
    EXPECT_TRUE(stored->state() == core::OPERATION_PENDING || stored->state() == core::OPERATION_RUNNING)
        << stored->DebugString();
  }
  std::atomic<int> runs{0};
  queue_->SetRunner(core::Operation::kAnalyze, [&](JobContext&) {
    runs++;
    return absl::OkStatus();
  });
  ASSERT_TRUE(queue_->Start().ok());
  for (const auto* op : {&*running, &*waiting1, &*waiting2}) {
    EXPECT_EQ(WaitDone(*store_, op->id()).state(), core::OPERATION_SUCCEEDED);
  }
  EXPECT_EQ(runs.load(), 3);
}

TEST_F(JobQueueTest, ProgressIsStoredWhileRunning) {
  std::atomic<bool> release{false};
  queue_->SetRunner(core::Operation::kAnalyze, [&](JobContext& ctx) {
    ctx.operation().set_total(10);
    ctx.operation().set_succeeded(4);
    ctx.ReportProgress();
    while (!release) std::this_thread::sleep_for(milliseconds(1));
    return absl::OkStatus();
  });
  ASSERT_TRUE(queue_->Start().ok());
  absl::StatusOr<core::Operation> op = queue_->Submit(AnalyzeOp("c1"));
  ASSERT_TRUE(op.ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  absl::StatusOr<core::Operation> seen;
  do {
    seen = store_->GetOperation("t1", op->id());
    std::this_thread::sleep_for(milliseconds(2));
  } while (seen.ok() && seen->succeeded() != 4 && std::chrono::steady_clock::now() < deadline);
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->state(), core::OPERATION_RUNNING);
  EXPECT_EQ(seen->total(), 10);
  EXPECT_EQ(seen->succeeded(), 4);
  release = true;
  EXPECT_EQ(WaitDone(*store_, op->id()).state(), core::OPERATION_SUCCEEDED);
}

// A tenant's unfinished operations are capped: one more is refused with
// RESOURCE_EXHAUSTED and nothing is stored for it; another tenant is not
// affected, and a finished operation frees its place (issue 9 #12).
TEST_F(JobQueueTest, PendingOperationsPerTenantAreCapped) {
  queue_ = std::make_unique<JobQueue>(store_.get(), 1, /*max_pending_per_tenant=*/3);
  std::atomic<bool> release{false};
  queue_->SetRunner(core::Operation::kAnalyze, [&](JobContext& ctx) {
    while (!release.load() && !ctx.should_stop()) std::this_thread::sleep_for(milliseconds(1));
    return absl::OkStatus();
  });
  ASSERT_TRUE(queue_->Start().ok());
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<core::Operation> op = queue_->Submit(AnalyzeOp("c" + std::to_string(i)));
    ASSERT_TRUE(op.ok()) << op.status();
    ids.push_back(op->id());
  }
  core::Operation extra = AnalyzeOp("c3");
  extra.set_id("refused-op");
  absl::StatusOr<core::Operation> refused = queue_->Submit(extra);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted) << refused.status();
  EXPECT_NE(refused.status().message().find("too many pending operations"), std::string::npos);
  EXPECT_EQ(store_->GetOperation("t1", "refused-op").status().code(), absl::StatusCode::kNotFound);
  // Another tenant has its own allowance.
  core::Operation other = AnalyzeOp("c1");
  other.set_tenant("t2");
  EXPECT_TRUE(queue_->Submit(other).ok());
  // Cancelling a queued one frees a place.
  ASSERT_TRUE(queue_->Cancel("t1", ids[2]).ok());
  EXPECT_TRUE(queue_->Submit(AnalyzeOp("c4")).ok());
  release = true;
  for (const std::string& id : ids) WaitDone(*store_, id);
  std::this_thread::sleep_for(milliseconds(50));
  EXPECT_TRUE(queue_->Submit(AnalyzeOp("c5")).ok());
}

// Operations resumed at start were accepted before: the cap does not refuse
// them.
TEST_F(JobQueueTest, ResumedOperationsAreNotRefusedByTheCap) {
  queue_ = std::make_unique<JobQueue>(store_.get(), 1, /*max_pending_per_tenant=*/2);
  queue_->SetRunner(core::Operation::kAnalyze, [](JobContext&) { return absl::OkStatus(); });
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(queue_->Submit(AnalyzeOp("c")).ok());  // not started
  Restart();
  queue_ = std::make_unique<JobQueue>(store_.get(), 1, /*max_pending_per_tenant=*/1);
  std::atomic<int> runs{0};
  queue_->SetRunner(core::Operation::kAnalyze, [&](JobContext&) {
    runs++;
    return absl::OkStatus();
  });
  ASSERT_TRUE(queue_->Start().ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (runs.load() < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(runs.load(), 2);
}

// Workers take operations round-robin across tenants: with one worker, a
// tenant's single operation runs second, not behind another tenant's burst.
TEST_F(JobQueueTest, TenantsAreServedRoundRobin) {
  queue_ = std::make_unique<JobQueue>(store_.get(), 1);
  absl::Mutex mu;
  std::vector<std::string> order;
  queue_->SetRunner(core::Operation::kAnalyze, [&](JobContext& ctx) {
    absl::MutexLock lock(&mu);
    order.push_back(ctx.operation().tenant() + "/" +
                    ctx.operation().analyze().conversation_id());
    return absl::OkStatus();
  });
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) {  // workers not started: all queued
    absl::StatusOr<core::Operation> op = queue_->Submit(AnalyzeOp("a" + std::to_string(i)));
    ASSERT_TRUE(op.ok());
    ids.push_back(op->id());
  }
  core::Operation b = AnalyzeOp("b0");
  b.set_tenant("t2");
  ASSERT_TRUE(queue_->Submit(b).ok());
  ASSERT_TRUE(queue_->Start().ok());
  for (const std::string& id : ids) WaitDone(*store_, id);
  absl::MutexLock lock(&mu);
  ASSERT_EQ(order.size(), 21u);
  EXPECT_EQ(order[0], "t1/a0");
  EXPECT_EQ(order[1], "t2/b0");
  for (int i = 1; i < 20; ++i) EXPECT_EQ(order[i + 1], "t1/a" + std::to_string(i));  // FIFO
}

}  // namespace
}  // namespace parley::jobs
