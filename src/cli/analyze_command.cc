// `parley analyze`: batch analysis without a server. Reads newline-delimited
// Insights Conversation JSON on stdin, writes one Insights Analysis JSON per
// line on stdout, in input order, with the same pipeline as the server.
#include <sys/stat.h>

#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "analysis/default_pipeline.h"
#include "api/google/errors.h"
#include "api/insights_v1/analysis_mapping.h"
#include "api/insights_v1/mapping.h"
#include "api/protojson/protojson.h"
#include "cli/command.h"
#include "cli/progress.h"
#include "core/time_format.h"

namespace parley::cli {
namespace {

struct AnalyzeFlags {
  int threads = 1;
  bool explain = false;
  std::string intent_model;  // path; empty: no intents
  float intent_threshold = analysis::intents::kDefaultIntentThreshold;
};

// Analyses one input line; on bad input returns an error line in Google's
// shape instead, so output lines stay aligned with input lines.
std::string AnalyzeLine(const analysis::Pipeline& pipeline, const std::string& line, int64_t line_no,
                        bool* failed) {
  auto error = [&](const absl::Status& s) {
    *failed = true;
    absl::Status with_line(s.code(), absl::StrCat("line ", line_no, ": ", s.message()));
    return google_api::ErrorResponse(with_line).body;
  };
  insights_v1::Conversation wire;
  if (absl::Status s = protojson::Parse(line, &wire); !s.ok()) return error(s);
  core::Conversation c;
  c.set_tenant("local");
  c.set_scope("global");
  c.set_id(absl::StrCat(line_no));
  // projects/P/locations/L/conversations/ID names the conversation when given.
  std::vector<std::string> parts = absl::StrSplit(wire.name(), '/');
  if (parts.size() == 6 && parts[0] == "projects" && parts[2] == "locations" &&
      parts[4] == "conversations") {
    c.set_tenant(parts[1]);
    c.set_scope(parts[3]);
    c.set_id(parts[5]);
  }
  const int64_t now = core::NowMicros();
  if (absl::Status s = insights_v1::FromWire(wire, now, &c); !s.ok()) return error(s);
  auto result = pipeline.Run(c);
  if (!result.ok()) return error(result.status());
  core::Analysis a;
  a.set_tenant(c.tenant());
  a.set_scope(c.scope());
  a.set_conversation_id(c.id());
  a.set_id(absl::StrCat(line_no));
  a.set_request_time_us(now);
  a.set_create_time_us(now);
  a.set_end_time_us(core::NowMicros());
  *a.mutable_result() = std::move(*result);
  insights_v1::Analysis out;
  insights_v1::AnalysisToWire(a, c, &out);
  return protojson::ToJson(out);
}

int RunAnalyze(const AnalyzeFlags& flags) {
  analysis::PipelineOptions options;
  options.explain_sentiment = flags.explain;
  if (!flags.intent_model.empty()) {
    auto model = analysis::intents::IntentModel::Load(flags.intent_model);
    if (!model.ok()) {
      std::cerr << "parley analyze: --intent-model: " << model.status().message() << "\n";
      return 2;
    }
    options.intent_model = std::make_shared<const analysis::intents::IntentModel>(std::move(*model));
    options.intent_threshold = flags.intent_threshold;
  }
  auto pipeline = analysis::BuildPipeline(options);
  if (!pipeline.ok()) {
    std::cerr << "parley analyze: " << pipeline.status().message() << "\n";
    return 1;
  }
  const int threads = std::max(1, flags.threads);
  constexpr size_t kBatch = 1024;  // lines held in memory at once
  std::vector<std::string> lines, outputs;
  std::atomic<bool> failed{false};
  int64_t first_line_no = 1;
  std::string line;
  bool eof = false;
  std::ios::sync_with_stdio(false);
  // On a terminal, a progress bar; its share is of stdin's bytes when stdin
  // is a file (`parley analyze < big.ndjson`), else only count and rate.
  struct stat in;
  const int64_t input_bytes = ::fstat(0, &in) == 0 && S_ISREG(in.st_mode) ? in.st_size : 0;
  Progress progress("analyze", "conversations", input_bytes);
  std::atomic<int64_t> bytes_done{0}, lines_done{0};
  while (!eof) {
    lines.clear();
    while (lines.size() < kBatch) {
      if (!std::getline(std::cin, line)) {
        eof = true;
        break;
      }
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;  // blank
      lines.push_back(line);
    }
    outputs.assign(lines.size(), std::string());
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i = next++; i < lines.size(); i = next++) {
        bool bad = false;
        outputs[i] = AnalyzeLine(**pipeline, lines[i], first_line_no + static_cast<int64_t>(i), &bad);
        if (bad) failed = true;
        progress.Update(bytes_done += static_cast<int64_t>(lines[i].size() + 1), ++lines_done);
      }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads && static_cast<size_t>(t) < lines.size(); ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    for (const std::string& out : outputs) std::cout << out << '\n';
    first_line_no += static_cast<int64_t>(lines.size());
  }
  std::cout.flush();
  progress.Finish();
  return failed ? 1 : 0;
}

void AddAnalyzeCommand(CLI::App& app) {
  auto flags = std::make_shared<AnalyzeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "analyze",
      "Analyse Insights Conversation JSON lines from stdin; write one Analysis JSON line each");
  cmd->add_option("--threads", flags->threads, "Worker threads")->capture_default_str()->check(
      CLI::Range(1, 256));
  cmd->add_flag("--explain", flags->explain, "Keep per-word sentiment contributions");
  cmd->add_option("--intent-model", flags->intent_model,
                  "Model from `parley intents train`: report customers' intents");
  cmd->add_option("--intent-threshold", flags->intent_threshold,
                  "Lowest confidence an intent is reported with")
      ->capture_default_str();
  cmd->callback([flags] {
    int code = RunAnalyze(*flags);
    if (code != 0) throw CLI::RuntimeError(code);
  });
}

const bool kRegistered = RegisterCommand(&AddAnalyzeCommand);

}  // namespace
}  // namespace parley::cli
