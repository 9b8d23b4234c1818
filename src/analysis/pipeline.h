// Pipeline: the analyzers run over a conversation, in order, into one result.
#pragma once

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "analysis/analyzer.h"
#include "analysis/deadline.h"

namespace parley::analysis {

class Pipeline {
 public:
  Pipeline() = default;
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  // Adds `analyzer` to the end. Not thread-safe: build the pipeline first.
  void Add(std::unique_ptr<Analyzer> analyzer) { analyzers_.push_back(std::move(analyzer)); }

  // Runs every analyzer over `conversation`. Thread-safe. The first analyzer
  // error is returned and no result with it; so is DEADLINE_EXCEEDED when
  // this thread's deadline (analysis/deadline.h) passes before or during the
  // run: a result is all analyzers' or none.
  absl::StatusOr<core::AnalysisResult> Run(const core::Conversation& conversation) const {
    core::AnalysisResult result;
    for (const auto& a : analyzers_) {
      if (absl::Status s = CheckDeadline(); !s.ok()) return s;
      if (absl::Status s = a->Analyze(conversation, &result); !s.ok()) return s;
    }
    if (absl::Status s = CheckDeadline(); !s.ok()) return s;
    return result;
  }

  size_t size() const { return analyzers_.size(); }

 private:
  std::vector<std::unique_ptr<Analyzer>> analyzers_;
};

}  // namespace parley::analysis
