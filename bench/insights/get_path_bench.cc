// The stages of GET .../conversations/{id}?view=FULL without HTTP: store read,
// core -> wire mapping, JSON printing. Shows where a request's time goes.
#include <filesystem>

#include "api/insights_v1/mapping.h"
#include "api/protojson/protojson.h"
#include "benchmark/benchmark.h"
#include "google/protobuf/arena.h"
#include "service/conversation_service.h"
#include "core/ids.h"
#include "store/store.h"

namespace {

using namespace parley;

struct Fixture {
  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("parley-bench-" + core::NewId());
    store = std::move(*store::OpenSqliteStore(dir.string()));
    service = std::make_unique<service::ConversationService>(store.get(), core::PageTokenCodec(std::string(32, 'k')));
    core::Conversation c;
    c.set_tenant("bench");
    c.set_scope("us");
    c.set_id("conv-1");
    c.set_medium(core::CHAT);
    c.add_agent_ids("agent-7");
    c.set_language_code("en-US");
    (*c.mutable_labels())["queue"] = "billing";
    (*c.mutable_labels())["site"] = "lisbon";
    c.set_start_time_us(1'714'557'600'000'000);
    for (int i = 0; i < 2; ++i) {
      auto* p = c.add_participants();
      p->set_id("p" + std::to_string(i));
      p->set_role(i ? core::HUMAN_AGENT : core::END_USER);
      p->set_user_id("user-" + std::to_string(i));
    }
    for (int i = 0; i < 10; ++i) {
      auto* m = c.add_messages();
      m->set_text("Segment " + std::to_string(i) +
                  " of the benchmark conversation: I would like to check my account balance please.");
      m->set_time_us(1'714'557'600'000'000 + i * 5'000'000);
      m->set_channel(i % 2 + 1);
      m->set_participant_id("p" + std::to_string(i % 2));
    }
    service->AddView("bench/full", [](const core::Conversation& c) {
      insights_v1::Conversation out;
      insights_v1::ToWire(c, true, &out);
      return protojson::ToJson(out);
    });
    wire_source = *service->Create(c);
  }
  ~Fixture() {
    store->Close();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<service::ConversationService> service;
  core::Conversation wire_source;
};

Fixture& F() {
  static Fixture f;
  return f;
}

void BM_StoreGet(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(F().service->Get("bench", "us", "conv-1"));
}
BENCHMARK(BM_StoreGet);

void BM_ToWire(benchmark::State& state) {
  for (auto _ : state) {
    insights_v1::Conversation out;
    insights_v1::ToWire(F().wire_source, true, &out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_ToWire);

void BM_PrintJson(benchmark::State& state) {
  insights_v1::Conversation out;
  insights_v1::ToWire(F().wire_source, true, &out);
  std::string json;
  for (auto _ : state) {
    json.clear();
    protojson::Print(out, &json);
    benchmark::DoNotOptimize(json);
  }
  state.counters["bytes"] = static_cast<double>(json.size());
}
BENCHMARK(BM_PrintJson);

void BM_WholeGet(benchmark::State& state) {
  for (auto _ : state) {
    auto c = F().service->Get("bench", "us", "conv-1");
    insights_v1::Conversation out;
    insights_v1::ToWire(*c, true, &out);
    std::string json;
    protojson::Print(out, &json);
    benchmark::DoNotOptimize(json);
  }
}
BENCHMARK(BM_WholeGet);

// As the server does it: both messages on one arena with a stack first block.
void BM_WholeGetArena(benchmark::State& state) {
  for (auto _ : state) {
    alignas(8) char initial[16 * 1024];
    google::protobuf::ArenaOptions options;
    options.initial_block = initial;
    options.initial_block_size = sizeof(initial);
    google::protobuf::Arena arena(options);
    auto* c = google::protobuf::Arena::CreateMessage<core::Conversation>(&arena);
    benchmark::DoNotOptimize(F().service->Read("bench", "us", "conv-1", c));
    auto* out = google::protobuf::Arena::CreateMessage<insights_v1::Conversation>(&arena);
    insights_v1::ToWire(*c, true, out);
    std::string json;
    protojson::Print(*out, &json);
    benchmark::DoNotOptimize(json);
  }
}
BENCHMARK(BM_WholeGetArena);

// What the server does for a plain FULL GET: read the stored view.
void BM_ReadStoredView(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(F().service->ReadView("bench", "us", "conv-1", "bench/full"));
}
BENCHMARK(BM_ReadStoredView);

}  // namespace

BENCHMARK_MAIN();
