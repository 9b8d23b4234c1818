// Issue 9 #6: create with a gs:// (or file://) transcript URI reads the file on
// the blocking pool (Responder::ContinueBlocking), not on the network thread
// that parsed the request; a create without one stays on the network thread.
// Issue 13: so is a recording (audio URI), transcribed there.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "api/http/router.h"
#include "api/insights_v1/routes.h"
#include "gtest/gtest.h"
#include "service/analysis_service.h"
#include "service/conversation_service.h"
#include "service/resource_service.h"
#include "service/settings_service.h"
#include "service/speech_service.h"
#include "service/transcription_service.h"
#include "store/store.h"

namespace parley::insights_v1 {
namespace {

namespace fs = std::filesystem;

class CreateTranscriptFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("parley-create-file-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "buckets" / "b");
    auto store = store::OpenSqliteStore((dir_ / "data").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    conversations_ = std::make_unique<service::ConversationService>(
        store_.get(), core::PageTokenCodec(std::string(32, 'k')));
    analysis_ = std::make_unique<service::AnalysisService>(store_.get(), conversations_.get());
    resources_ = std::make_unique<service::ResourceService>(store_.get());
    settings_ = std::make_unique<service::SettingsService>(resources_.get());
    Services services;
    services.conversations = conversations_.get();
    services.analysis = analysis_.get();
    services.resources = resources_.get();
    services.settings = settings_.get();
    // The model loads once for all the tests (2 s).
    static auto* speech = new absl::StatusOr<std::unique_ptr<service::SpeechService>>(
        service::SpeechService::Create(service::SpeechConfig{}));
    ASSERT_TRUE(speech->ok()) << speech->status();
    services.speech = speech->value().get();
    transcription_ = std::make_unique<service::TranscriptionService>(conversations_.get(), nullptr,
                                                                     services.speech, "");
    services.transcription = transcription_.get();
    Options options;
    options.blobs.bucket_dir = (dir_ / "buckets").string();
    AddConversationRoutes(options, services, &router_);
  }
  void TearDown() override {
    transcription_.reset();
    settings_.reset();
    resources_.reset();
    analysis_.reset();
    conversations_.reset();
    store_->Close();
    fs::remove_all(dir_);
  }

  struct Answer {
    int status = 0;
    std::string body;
    int offloaded = 0;          // ContinueBlocking calls
    bool read_off_caller = false;  // the continuation ran on another thread
  };

  // POSTs `body` to create `id`, as the server would, with a Responder whose
  // blocking pool is a thread of its own.
  Answer Create(const std::string& id, const std::string& body) {
    http::Request req;
    req.method = http::Method::kPost;
    req.path = "/v1/projects/p1/locations/us/conversations";
    req.query.emplace_back("conversationId", id);
    req.body = body;
    auto found = router_.Find(http::Method::kPost, req.path);
    EXPECT_NE(found.async_handler, nullptr);
    Answer answer;
    std::promise<void> sent;
    std::thread pool;
    const std::thread::id caller = std::this_thread::get_id();
    http::Responder responder(
        [&](http::Responder::Make make) {
          http::Response r = make();
          answer.status = r.status;
          answer.body = r.body;
          sent.set_value();
        },
        [&](absl::AnyInvocable<void()> work) {
          ++answer.offloaded;
          pool = std::thread([&answer, caller, work = std::move(work)]() mutable {
            answer.read_off_caller = std::this_thread::get_id() != caller;
            work();
          });
        });
    (*found.async_handler)(req, found.params, std::move(responder));
    sent.get_future().wait();
    if (pool.joinable()) pool.join();
    return answer;
  }

  fs::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<service::ConversationService> conversations_;
  std::unique_ptr<service::AnalysisService> analysis_;
  std::unique_ptr<service::ResourceService> resources_;
  std::unique_ptr<service::SettingsService> settings_;
  std::unique_ptr<service::TranscriptionService> transcription_;
  http::Router router_;
};

TEST_F(CreateTranscriptFileTest, ATranscriptFileIsReadOnTheBlockingPool) {
  std::ofstream(dir_ / "buckets" / "b" / "chat.json")
      << R"({"entries": [{"text": "hello there", "role": "CUSTOMER", "user_id": 1}]})";
  Answer a = Create("from-file", R"({"dataSource": {"gcsSource": {"transcriptUri": "gs://b/chat.json"}}})");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.offloaded, 1);
  EXPECT_TRUE(a.read_off_caller);
  EXPECT_NE(a.body.find("hello there"), std::string::npos) << a.body;
}

TEST_F(CreateTranscriptFileTest, AFifoIsRefusedOnThePoolWithoutWaiting) {
  ASSERT_EQ(::mkfifo((dir_ / "buckets" / "b" / "fifo").c_str(), 0600), 0);
  const auto start = std::chrono::steady_clock::now();
  Answer a = Create("from-fifo", R"({"dataSource": {"gcsSource": {"transcriptUri": "gs://b/fifo"}}})");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(a.status, 400) << a.body;
  EXPECT_NE(a.body.find("cannot be read"), std::string::npos) << a.body;
  EXPECT_EQ(a.offloaded, 1);
  EXPECT_TRUE(a.read_off_caller);
}

TEST_F(CreateTranscriptFileTest, ARecordingIsTranscribedOnTheBlockingPool) {
  fs::copy_file("/usr/share/pocketsphinx/test/data/cards/003.wav", dir_ / "buckets" / "b" / "call.wav");
  Answer a = Create("from-audio", R"({"dataSource": {"gcsSource": {"audioUri": "gs://b/call.wav"}}})");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.offloaded, 1);
  EXPECT_TRUE(a.read_off_caller);
  EXPECT_NE(a.body.find("Seven of clubs."), std::string::npos) << a.body;
}

TEST_F(CreateTranscriptFileTest, AnInlineTranscriptStaysOnTheNetworkThread) {
  Answer a = Create("inline", R"({"transcript": {"transcriptSegments": [{"text": "hi"}]}})");
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.offloaded, 0);
}

}  // namespace
}  // namespace parley::insights_v1
