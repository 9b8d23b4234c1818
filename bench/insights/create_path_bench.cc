// The CPU stages of POST .../conversations (Insights create) without HTTP and
// without the store, on the body of bench/server/create.lua (~2 KB, 10
// segments): JSON -> wire message, wire -> core, the FULL view rendered for
// the store (core -> wire -> JSON), and the core message freed after the
// reply. Each stage with its messages on the heap and on an arena whose
// first block is on the stack, to show what the allocations cost.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "api/insights_v1/mapping.h"
#include "api/protojson/protojson.h"
#include "benchmark/benchmark.h"
#include "google/protobuf/arena.h"
#include "insights_v1/insights.pb.h"

namespace {

using namespace parley;

// The body bench/server/create.lua sends (agent 7).
std::string Body() {
  std::string segments;
  for (int i = 0; i < 10; ++i) {
    absl::StrAppend(&segments, i > 0 ? "," : "",
                    absl::StrFormat("{\"text\":\"Segment %d of the benchmark conversation: I would like to "
                                    "check my account balance please.\",\"messageTime\":\"2024-05-01T10:00:%02dZ\","
                                    "\"channelTag\":%d,\"segmentParticipant\":{\"role\":\"%s\",\"userId\":\"user-%d\"}}",
                                    i, i * 5, i % 2 + 1, i % 2 == 0 ? "END_USER" : "HUMAN_AGENT", i % 2));
  }
  return absl::StrCat(
      "{\"medium\":\"CHAT\",\"agentId\":\"agent-7\",\"languageCode\":\"en-US\","
      "\"labels\":{\"queue\":\"billing\",\"site\":\"lisbon\"},\"startTime\":\"2024-05-01T10:00:00Z\","
      "\"transcript\":{\"transcriptSegments\":[",
      segments, "]}}");
}

const std::string& TheBody() {
  static const std::string* const body = new std::string(Body());
  return *body;
}

const protojson::ParseOptions& Options() {
  static const protojson::ParseOptions* const o = [] {
    auto* o = new protojson::ParseOptions;
    o->root_path = "conversation";
    o->refuse_nul = true;
    return o;
  }();
  return *o;
}

core::Conversation TheCore() {
  insights_v1::Conversation wire;
  (void)protojson::Parse(TheBody(), &wire, Options());
  core::Conversation c;
  c.set_tenant("bench");
  c.set_scope("us");
  c.set_id("conv-1");
  (void)insights_v1::FromWire(wire, 1'714'557'600'000'000, &c);
  return c;
}

google::protobuf::ArenaOptions StackBlock(char* block, size_t size) {
  google::protobuf::ArenaOptions o;
  o.initial_block = block;
  o.initial_block_size = size;
  return o;
}

void BM_ParseBody(benchmark::State& state) {
  for (auto _ : state) {
    insights_v1::Conversation wire;
    benchmark::DoNotOptimize(protojson::Parse(TheBody(), &wire, Options()));
  }
  state.counters["bytes"] = static_cast<double>(TheBody().size());
}
BENCHMARK(BM_ParseBody);

void BM_ParseBodyArena(benchmark::State& state) {
  for (auto _ : state) {
    alignas(8) char initial[16 * 1024];
    google::protobuf::Arena arena(StackBlock(initial, sizeof(initial)));
    auto* wire = google::protobuf::Arena::CreateMessage<insights_v1::Conversation>(&arena);
    benchmark::DoNotOptimize(protojson::Parse(TheBody(), wire, Options()));
  }
}
BENCHMARK(BM_ParseBodyArena);

void BM_FromWire(benchmark::State& state) {
  insights_v1::Conversation wire;
  (void)protojson::Parse(TheBody(), &wire, Options());
  for (auto _ : state) {
    core::Conversation c;
    benchmark::DoNotOptimize(insights_v1::FromWire(wire, 1'714'557'600'000'000, &c));
  }
}
BENCHMARK(BM_FromWire);

void BM_RenderFullView(benchmark::State& state) {
  const core::Conversation c = TheCore();
  for (auto _ : state) {
    insights_v1::Conversation out;
    insights_v1::ToWire(c, true, &out);
    benchmark::DoNotOptimize(protojson::ToJson(out));
  }
}
BENCHMARK(BM_RenderFullView);

void BM_RenderFullViewArena(benchmark::State& state) {
  const core::Conversation c = TheCore();
  for (auto _ : state) {
    alignas(8) char initial[16 * 1024];
    google::protobuf::Arena arena(StackBlock(initial, sizeof(initial)));
    auto* out = google::protobuf::Arena::CreateMessage<insights_v1::Conversation>(&arena);
    insights_v1::ToWire(c, true, out);
    benchmark::DoNotOptimize(protojson::ToJson(*out));
  }
}
BENCHMARK(BM_RenderFullViewArena);

// The core message of a create is copied into the service and freed once
// the reply is sent: the copy and the free, on the heap.
void BM_CopyAndFreeCore(benchmark::State& state) {
  const core::Conversation c = TheCore();
  for (auto _ : state) {
    core::Conversation copy = c;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CopyAndFreeCore);

}  // namespace

BENCHMARK_MAIN();
