// IngestService: an Insights upload of a recording whose job was cut off by a
// crash after the conversation was written still gets the analysis its
// settings ask for, exactly once, under the id reserved when it was accepted.
#include "service/ingest_service.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "core/time_format.h"
#include "jobs/job_queue.h"
#include "service/resource_service.h"
#include "store/store.h"

#include "gtest/gtest.h"

namespace parley::service {
namespace {

class UploadResumeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "parley_ingest_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    auto store = store::OpenSqliteStore(dir_);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    conversations_ = std::make_unique<ConversationService>(store_.get(), tokens_);
    analysis_ = std::make_unique<AnalysisService>(store_.get(), conversations_.get());
    queue_ = std::make_unique<jobs::JobQueue>(store_.get(), 1);
    operations_ = std::make_unique<OperationService>(store_.get(), queue_.get(), &tokens_);
    resources_ = std::make_unique<ResourceService>(store_.get());
    settings_ = std::make_unique<SettingsService>(resources_.get());
    transcription_ = std::make_unique<TranscriptionService>(conversations_.get(), operations_.get(),
                                                            nullptr, "");
    ingest_ = std::make_unique<IngestService>(conversations_.get(), analysis_.get(), operations_.get(),
                                              settings_.get());
    analysis_->RegisterRunners(queue_.get());
    ingest_->RegisterRunner(transcription_.get(), core::BlobOptions());
    auto set = settings_->Update("t1", "us", [](core::TenantSettings& s) {
      s.set_upload_analysis_percentage(100);
      return absl::OkStatus();
    });
    ASSERT_TRUE(set.ok()) << set.status();
  }
  void TearDown() override {
    queue_->Shutdown();
    ingest_.reset();
    transcription_.reset();
    operations_.reset();
    queue_.reset();
    analysis_.reset();
    conversations_.reset();
    store_->Close();
    std::filesystem::remove_all(dir_);
  }

  // The state a crash leaves: the upload job's conversation (transcribed)
  // is stored, its operation is still pending with the conversation it
  // holds and the analysis id reserved when it was accepted.
  core::Operation CrashedUpload(const std::string& analysis_id) {
    core::Conversation c;
    c.set_tenant("t1");
    c.set_scope("us");
    c.set_id("call-1");
    c.mutable_data_source()->set_audio_uri("gs://bucket/call-1.wav");
    core::Operation op;
    op.set_tenant("t1");
    op.set_location("us");
    op.set_create_time_us(core::NowMicros());
    op.mutable_upload()->set_conversation_id(c.id());
    op.mutable_upload()->set_pending_conversation(c.SerializeAsString());
    op.mutable_upload()->set_analysis_operation_id(analysis_id);
    c.set_medium(core::PHONE_CALL);
    c.set_lifecycle(core::COMPLETED);
    c.add_messages()->set_text("my card was charged twice, please refund it");
    auto created = conversations_->Create(std::move(c));
    EXPECT_TRUE(created.ok()) << created.status();
    return op;
  }

  core::Operation WaitDone(const std::string& id) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    absl::StatusOr<core::Operation> op;
    do {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      op = store_->GetOperation("t1", id);
    } while ((!op.ok() || (op->state() != core::OPERATION_SUCCEEDED && op->state() != core::OPERATION_FAILED)) &&
             std::chrono::steady_clock::now() < deadline);
    EXPECT_TRUE(op.ok()) << op.status();
    return op.ok() ? *op : core::Operation();
  }

  int Analyses() {
    auto page = store_->ListAnalyses("t1", "us", "call-1", 100, std::nullopt);
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? static_cast<int>(page->analyses.size()) : -1;
  }

  std::string dir_;
  core::PageTokenCodec tokens_{std::string(32, 'k')};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ConversationService> conversations_;
  std::unique_ptr<AnalysisService> analysis_;
  std::unique_ptr<jobs::JobQueue> queue_;
  std::unique_ptr<OperationService> operations_;
  std::unique_ptr<ResourceService> resources_;
  std::unique_ptr<SettingsService> settings_;
  std::unique_ptr<TranscriptionService> transcription_;
  std::unique_ptr<IngestService> ingest_;
};

TEST_F(UploadResumeTest, AJobCutOffAfterTheWriteStartsTheAnalysisItReserved) {
  core::Operation op = CrashedUpload("4000000000000000001");
  ASSERT_TRUE(queue_->Start().ok());
  auto submitted = queue_->Submit(op);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  core::Operation upload = WaitDone(submitted->id());
  EXPECT_EQ(upload.state(), core::OPERATION_SUCCEEDED);
  EXPECT_EQ(upload.upload().analysis_operation_id(), "4000000000000000001");
  core::Operation analysis = WaitDone("4000000000000000001");
  EXPECT_EQ(analysis.state(), core::OPERATION_SUCCEEDED);
  EXPECT_EQ(Analyses(), 1);
}

TEST_F(UploadResumeTest, AnAnalysisQueuedBeforeTheCrashIsNotStartedTwice) {
  core::Operation op = CrashedUpload("4000000000000000002");
  ASSERT_TRUE(queue_->Start().ok());
  // The crash came after the analysis was queued.
  auto stored = conversations_->Get("t1", "us", "call-1");
  ASSERT_TRUE(stored.ok()) << stored.status();
  core::AnalyzerSelection all;
  all.set_all(true);
  core::Operation first = AnalysisService::AnalyzeOperation(*stored, all);
  first.set_id("4000000000000000002");
  ASSERT_TRUE(operations_->Start(first).ok());
  EXPECT_EQ(WaitDone("4000000000000000002").state(), core::OPERATION_SUCCEEDED);

  auto submitted = queue_->Submit(op);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  EXPECT_EQ(WaitDone(submitted->id()).state(), core::OPERATION_SUCCEEDED);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(Analyses(), 1);
}

TEST_F(UploadResumeTest, NoAnalysisWhenTheSettingsNoLongerSampleIt) {
  core::Operation op = CrashedUpload("4000000000000000003");
  auto set = settings_->Update("t1", "us", [](core::TenantSettings& s) {
    s.set_upload_analysis_percentage(0);
    return absl::OkStatus();
  });
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_TRUE(queue_->Start().ok());
  auto submitted = queue_->Submit(op);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  core::Operation upload = WaitDone(submitted->id());
  EXPECT_EQ(upload.state(), core::OPERATION_SUCCEEDED);
  EXPECT_TRUE(upload.upload().analysis_operation_id().empty());
  EXPECT_TRUE(absl::IsNotFound(store_->GetOperation("t1", "4000000000000000003").status()));
  EXPECT_EQ(Analyses(), 0);
}

}  // namespace
}  // namespace parley::service
