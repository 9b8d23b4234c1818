// Small helpers shared by the knowledge benchmarks (eval_knowledge.cc,
// dialogflow_search.cc). Header-only: each is one program.
#pragma once

#include <time.h>

#include <algorithm>
#include <vector>

#include "analysis/knowledge/knowledge_index.h"

namespace parley::bench {

// CPU time of this thread, in microseconds: unlike wall time it does not
// count the time other processes on the shared cores took.
inline double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

inline double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// Search must give SearchExhaustive's hits exactly: the same entries in the
// same order, the same floats.
inline bool SameHits(const std::vector<analysis::knowledge::SearchHit>& a,
                     const std::vector<analysis::knowledge::SearchHit>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].document != b[i].document || a[i].entries != b[i].entries || a[i].score != b[i].score ||
        a[i].query_coverage != b[i].query_coverage || a[i].entry_coverage != b[i].entry_coverage ||
        a[i].confidence != b[i].confidence) {
      return false;
    }
  }
  return true;
}

}  // namespace parley::bench
