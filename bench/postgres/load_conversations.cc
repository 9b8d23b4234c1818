// Loads N Insights conversations into a store, fast, for the list and GET
// benchmarks over a million conversations (bench/postgres/read_bench.sh).
//
// What it writes is what `POST /v1/projects/P/locations/L/conversations`
// writes, without HTTP: the request's JSON parsed into the Insights wire
// message, mapped by the dialect (insights_v1::FromWire, the create's source
// and lifecycle, PHONE_CALL for an unset medium), stored by the service
// (ids, create time, derived turn count and duration) with the Insights FULL
// view rendered as the server renders it. Only the create time is the load's
// own clock (a million creates take a few minutes), so a create_time range
// picks a slice of the load.
//
// The fields the list filters use vary with the conversation's number i:
// agent `agent-<i % 200>`, medium CHAT for two of three (else PHONE_CALL),
// labels queue `(i / 7) % 8` of 8 values and site `(i / 3) % 5` of 5, 2 + i % 12
// transcript segments (turn count). They are not independent: agent k has no
// conversation in queue billing if k % 8 == 7, and medium and turn count both
// follow i % 3 (read_bench.sh picks its combined filter accordingly).
//
//   load_conversations --store sqlite:DIR|postgresql://... --count N
//                      [--project bench] [--location us] [--in-flight 256]
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "api/insights_v1/mapping.h"
#include "api/protojson/protojson.h"
#include "core/time_format.h"
#include "service/conversation_service.h"
#include "store/store.h"

namespace {

using namespace parley;

constexpr const char* kQueues[] = {"billing", "sales", "support", "returns",
                                   "shipping", "fraud", "retention", "general"};
constexpr const char* kSites[] = {"lisbon", "austin", "manila", "dublin", "pune"};
constexpr const char* kLines[] = {
    "Hello, thank you for calling, how can I help you today?",
    "I would like to check my account balance please.",
    "Sure, can you confirm the last four digits of your card?",
    "It ends in four two one seven.",
    "Thank you. Your balance is one hundred and twenty dollars.",
    "I was charged twice for the same order last week.",
    "I am sorry about that, let me look into the refund for you.",
    "Is there anything else I can help you with?"};

std::string RequestJson(int64_t i) {
  const int segments = 2 + static_cast<int>(i % 12);
  std::string s = absl::StrCat(R"({"medium":")", i % 3 == 0 ? "PHONE_CALL" : "CHAT",
                               R"(","agentId":"agent-)", i % 200, R"(","languageCode":"en-US",)",
                               R"("labels":{"queue":")", kQueues[(i / 7) % 8], R"(","site":")",
                               kSites[(i / 3) % 5], R"("},"startTime":"2024-05-01T10:00:00Z",)",
                               R"("transcript":{"transcriptSegments":[)");
  for (int k = 0; k < segments; ++k) {
    absl::StrAppend(&s, k ? "," : "", R"({"text":")", kLines[(i + k) % 8],
                    R"(","messageTime":"2024-05-01T10:)", 10 + k / 60 % 50, ":", 10 + k % 50,
                    R"(Z","channelTag":)", k % 2 + 1, R"(,"segmentParticipant":{"role":")",
                    k % 2 ? "HUMAN_AGENT" : "END_USER", R"(","userId":"user-)", k % 2, R"("}})");
  }
  s += "]}}";
  return s;
}

int Usage() {
  std::fprintf(stderr,
               "usage: load_conversations --store SPEC --count N [--project P] [--location L] "
               "[--in-flight K]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string spec, project = "bench", location = "us";
  int64_t count = 0;
  int in_flight = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--store") spec = value;
    else if (flag == "--count") count = std::atoll(value.c_str());
    else if (flag == "--project") project = value;
    else if (flag == "--location") location = value;
    else if (flag == "--in-flight") in_flight = std::atoi(value.c_str());
    else return Usage();
  }
  if (spec.empty() || count <= 0 || in_flight <= 0) return Usage();
  auto store = store::OpenStore(spec);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
    return 1;
  }
  service::ConversationService service(store->get(), core::PageTokenCodec(std::string(32, 'k')));
  // The Insights FULL view, as src/api/insights_v1/routes.cc registers it.
  service.AddView("insights_v1/full", [](const core::Conversation& c) {
    insights_v1::Conversation out;
    insights_v1::ToWire(c, /*full=*/true, &out);
    return protojson::ToJson(out);
  });

  std::mutex mu;
  std::condition_variable cv;
  int64_t outstanding = 0;
  std::atomic<int64_t> failed{0};
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < count; ++i) {
    insights_v1::Conversation wire;
    if (absl::Status s = protojson::Parse(RequestJson(i), &wire); !s.ok()) {
      std::fprintf(stderr, "request %lld: %s\n", static_cast<long long>(i), std::string(s.message()).c_str());
      return 1;
    }
    core::Conversation c;
    c.set_tenant(project);
    c.set_scope(location);
    c.set_source(core::IMPORTED);
    c.set_lifecycle(core::COMPLETED);
    if (absl::Status s = insights_v1::FromWire(wire, core::NowMicros(), &c); !s.ok()) {
      std::fprintf(stderr, "request %lld: %s\n", static_cast<long long>(i), std::string(s.message()).c_str());
      return 1;
    }
    if (c.medium() == core::MEDIUM_UNSPECIFIED) c.set_medium(core::PHONE_CALL);
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return outstanding < in_flight; });
      ++outstanding;
    }
    service.CreateAsync(std::move(c), [&](auto result) {
      if (!result.ok() && failed.fetch_add(1) < 5) {
        std::fprintf(stderr, "create: %s\n", std::string(result.status().message()).c_str());
      }
      std::lock_guard<std::mutex> lock(mu);
      --outstanding;
      cv.notify_all();
    });
    if ((i + 1) % 100000 == 0) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "%lld conversations, %.0f/s\n", static_cast<long long>(i + 1), (i + 1) / secs);
    }
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return outstanding == 0; });
  }
  (*store)->Close();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("LOADED count=%lld failed=%lld seconds=%.1f rate=%.0f\n", static_cast<long long>(count),
              static_cast<long long>(failed.load()), secs, count / secs);
  return failed.load() == 0 ? 0 : 1;
}
