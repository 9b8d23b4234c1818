// Print and parse of conversation-like messages: parley::protojson versus
// protobuf's util::MessageToJsonString / JsonStringToMessage. After the
// usual Google Benchmark table it prints the speed-up of protojson over util
// for each message and operation (from medians when --benchmark_repetitions
// is given).
//
//   build-json/bench/protojson/protojson_bench [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/protojson/protojson.h"
#include "bench/protojson/bench_conversation.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "insights_v1/insights.pb.h"

namespace {

namespace pb = google::protobuf;

const char* const kTexts[] = {
    "Hi, thanks for calling Acme support, my name is Dana. How can I help you today?",
    "Hello, I was charged twice for my last order and I would like a refund please.",
    "I am sorry to hear that. Could you give me the order number so I can check?",
    "Sure, it is A-1042-77, placed on the third of May.",
    "Thank you. I can see both charges; the second one is a duplicate authorisation.",
    "Okay, so will it go away on its own or do you need to do something?",
    "I have released it now, you should see the money back within three to five days.",
    "Great, that is a relief. Is there anything else I need to do on my side?",
    "No, nothing else. Is there anything else I can help you with today?",
    "No, that is all. Thanks a lot for your help, have a nice day!",
};

parley::protojson::bench::Conversation MakeBenchConversation() {
  using parley::protojson::bench::Utterance;
  parley::protojson::bench::Conversation c;
  c.set_name("projects/acme/locations/us/conversations/4f1c2e9a");
  c.set_agent_id("agent-0042");
  c.mutable_create_time()->set_seconds(1714557600);
  c.mutable_create_time()->set_nanos(123000000);
  c.mutable_update_time()->set_seconds(1714557960);
  c.mutable_duration()->set_seconds(182);
  c.mutable_duration()->set_nanos(250000000);
  c.set_turn_count(10);
  for (int i = 0; i < 10; ++i) {
    Utterance* u = c.add_utterances();
    u->set_id(absl::StrCat("u-", 1000 + i));
    u->set_participant(i % 2 == 0 ? "agent-0042" : "customer-77");
    u->set_text(kTexts[i]);
    u->set_language_code("en-US");
    u->mutable_create_time()->set_seconds(1714557600 + 17 * i);
    u->mutable_create_time()->set_nanos(i * 37000000);
    u->mutable_start_offset()->set_seconds(17 * i);
    u->mutable_start_offset()->set_nanos(i % 3 == 0 ? 0 : 500000000);
    u->set_confidence(0.81f + 0.017f * static_cast<float>(i));
    u->set_role(i % 2 == 0 ? Utterance::AGENT : Utterance::CUSTOMER);
  }
  return c;
}

// The real Insights v1 resource: 20 transcript segments with word timings.
parley::insights_v1::Conversation MakeInsightsConversation() {
  parley::insights_v1::Conversation c;
  c.set_name("projects/acme/locations/us-central1/conversations/4f1c2e9a7b3d");
  c.set_agent_id("agent-0042");
  c.set_language_code("en-US");
  c.set_medium(parley::insights_v1::Conversation::PHONE_CALL);
  (*c.mutable_labels())["team"] = "billing";
  (*c.mutable_labels())["queue"] = "refunds";
  c.mutable_call_metadata()->set_customer_channel(1);
  c.mutable_call_metadata()->set_agent_channel(2);
  c.mutable_create_time()->set_seconds(1714557600);
  c.mutable_start_time()->set_seconds(1714557500);
  c.mutable_duration()->set_seconds(182);
  c.set_turn_count(20);
  auto* t = c.mutable_transcript();
  for (int i = 0; i < 20; ++i) {
    auto* s = t->add_transcript_segments();
    s->set_text(kTexts[i % 10]);
    s->set_confidence(0.8f + 0.009f * static_cast<float>(i));
    s->set_channel_tag(i % 2 + 1);
    s->set_language_code("en-US");
    s->mutable_message_time()->set_seconds(1714557600 + 9 * i);
    s->mutable_segment_participant()->set_role(
        i % 2 ? parley::insights_v1::ConversationParticipant::END_USER
              : parley::insights_v1::ConversationParticipant::HUMAN_AGENT);
    s->mutable_sentiment()->set_score(0.1f * static_cast<float>(i % 7) - 0.3f);
    s->mutable_sentiment()->set_magnitude(0.05f * static_cast<float>(i % 5));
    for (int w = 0; w < 3; ++w) {
      auto* word = s->add_words();
      word->set_word(w == 0 ? "thanks" : w == 1 ? "for" : "calling");
      word->mutable_start_offset()->set_seconds(9 * i + w);
      word->mutable_end_offset()->set_seconds(9 * i + w);
      word->mutable_end_offset()->set_nanos(400000000);
      word->set_confidence(0.9f - 0.01f * static_cast<float>(w));
    }
  }
  return c;
}

template <typename T>
void AddBenchmarks(const char* label, const T& message) {
  std::string json = parley::protojson::ToJson(message);
  std::printf("%s: %zu bytes of JSON\n", label, json.size());
  {
    // Sanity: each codec reads the other's output back to the message.
    std::string util_json;
    (void)pb::util::MessageToJsonString(message, &util_json);
    T mine, by_util;
    if (util_json.size() != json.size() || !parley::protojson::Parse(util_json, &mine).ok() ||
        !pb::util::JsonStringToMessage(json, &by_util).ok() ||
        !pb::util::MessageDifferencer::Equals(mine, message) ||
        !pb::util::MessageDifferencer::Equals(by_util, message)) {
      std::fprintf(stderr, "%s: codecs disagree\n", label);
      std::abort();
    }
  }
  benchmark::RegisterBenchmark(absl::StrCat("print/", label, "/protojson").c_str(),
                               [message, n = json.size()](benchmark::State& state) {
                                 std::string out;
                                 for (auto _ : state) {
                                   out.clear();
                                   parley::protojson::Print(message, &out);
                                   benchmark::DoNotOptimize(out.data());
                                 }
                                 state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
                               });
  benchmark::RegisterBenchmark(absl::StrCat("print/", label, "/util").c_str(),
                               [message, n = json.size()](benchmark::State& state) {
                                 std::string out;
                                 for (auto _ : state) {
                                   out.clear();
                                   (void)pb::util::MessageToJsonString(message, &out);
                                   benchmark::DoNotOptimize(out.data());
                                 }
                                 state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * n));
                               });
  benchmark::RegisterBenchmark(absl::StrCat("parse/", label, "/protojson").c_str(),
                               [json](benchmark::State& state) {
                                 T m;
                                 for (auto _ : state) {
                                   if (!parley::protojson::Parse(json, &m).ok()) state.SkipWithError("parse");
                                   benchmark::DoNotOptimize(&m);
                                 }
                                 state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
                               });
  benchmark::RegisterBenchmark(absl::StrCat("parse/", label, "/util").c_str(),
                               [json](benchmark::State& state) {
                                 T m;
                                 for (auto _ : state) {
                                   if (!pb::util::JsonStringToMessage(json, &m).ok()) state.SkipWithError("parse");
                                   benchmark::DoNotOptimize(&m);
                                 }
                                 state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
                               });
}

// The console table, plus util/protojson time ratios at the end.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  RatioReporter() : ConsoleReporter(isatty(fileno(stdout)) ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (r.error_occurred || r.iterations == 0) continue;
      std::string name = r.run_name.function_name;
      double ns = r.GetAdjustedRealTime() / benchmark::GetTimeUnitMultiplier(r.time_unit) * 1e9;
      if (r.run_type == Run::RT_Aggregate) {
        if (r.aggregate_name == "median") medians_[name] = ns;
      } else {
        times_[name] = ns;  // the last repetition, unless a median comes
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void PrintRatios() {
    for (const auto& [name, ns] : medians_) times_[name] = ns;
    std::printf("\nspeed-up of protojson over protobuf util (util time / protojson time):\n");
    for (const auto& [name, ns] : times_) {
      const std::string suffix = "/protojson";
      if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
        continue;
      std::string base = name.substr(0, name.size() - suffix.size());
      auto util = times_.find(base + "/util");
      if (util == times_.end()) continue;
      std::printf("  %-36s %9.0f ns vs %9.0f ns  %5.1fx\n", base.c_str(), ns, util->second,
                  util->second / ns);
    }
  }

 private:
  std::map<std::string, double> times_, medians_;
};

}  // namespace

int main(int argc, char** argv) {
  AddBenchmarks("bench_conversation", MakeBenchConversation());
  AddBenchmarks("insights_conversation", MakeInsightsConversation());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
