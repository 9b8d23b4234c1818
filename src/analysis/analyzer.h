// Analyzer: one step of the analysis pipeline over a conversation.
//
// Each analyzer lives in its own folder (sentiment/, entities/, pii/,
// intents/, phrases/, summary/, topics/, ...) and adds its findings to a
// core::AnalysisResult. Analyzers are local, deterministic (the same input
// gives the same output) and need no network.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "parley/analysis.pb.h"
#include "parley/conversation.pb.h"

namespace parley::analysis {

class Analyzer {
 public:
  virtual ~Analyzer() = default;
  Analyzer() = default;
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // A short stable name ("sentiment", "pii", ...).
  virtual std::string_view name() const = 0;

  // Adds this analyzer's findings about `conversation` to `result`. Must be
  // thread-safe (const): one analyzer instance serves every worker. An empty
  // conversation is valid input and yields no findings.
  virtual absl::Status Analyze(const core::Conversation& conversation,
                               core::AnalysisResult* result) const = 0;
};

}  // namespace parley::analysis
