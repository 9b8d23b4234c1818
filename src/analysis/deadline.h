// The time budget of the analysis running on a thread.
//
// An analysis that runs past its budget must stop and give its worker back
// (issue 9 #11). Analyzers keep their interface: the pipeline's caller opens
// a ScopedDeadline on the thread that runs it, Pipeline::Run checks it
// between analyzers, and analyzers check it once per message (a message is
// at most 64 KiB, so a check comes every few milliseconds at worst). With no
// ScopedDeadline open (the batch CLI) nothing ever expires.
#pragma once

#include <chrono>

#include "absl/status/status.h"

namespace parley::analysis {

namespace internal {
inline thread_local std::chrono::steady_clock::time_point current_deadline =
    std::chrono::steady_clock::time_point::max();
}  // namespace internal

// Sets this thread's deadline until destroyed (then the previous one is back).
class ScopedDeadline {
 public:
  explicit ScopedDeadline(std::chrono::steady_clock::time_point deadline)
      : previous_(internal::current_deadline) {
    internal::current_deadline = std::min(previous_, deadline);
  }
  ~ScopedDeadline() { internal::current_deadline = previous_; }
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;

 private:
  std::chrono::steady_clock::time_point previous_;
};

// Whether this thread's deadline has passed.
inline bool DeadlinePassed() {
  const auto deadline = internal::current_deadline;
  return deadline != std::chrono::steady_clock::time_point::max() &&
         std::chrono::steady_clock::now() >= deadline;
}

// OK, or DEADLINE_EXCEEDED once this thread's deadline has passed.
inline absl::Status CheckDeadline() {
  if (!DeadlinePassed()) return absl::OkStatus();
  return absl::DeadlineExceededError("the analysis ran past its time budget");
}

}  // namespace parley::analysis
