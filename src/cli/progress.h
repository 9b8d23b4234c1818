// A progress bar for long CLI work (`parley analyze`, `parley intents
// train`): on a terminal (stderr is a tty) it redraws one line five times a
// second with the share done, the count, the rate and the time left; when
// stderr is a pipe or a file it writes nothing, so logs stay clean.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace parley::cli {

class Progress {
 public:
  // `what` names the work ("analyze"), `unit` what is counted
  // ("conversations"); `total` is the size of the whole in the units Update
  // gets as `done` (0: unknown, no share or time left shown).
  Progress(std::string what, std::string unit, int64_t total);
  ~Progress();  // Finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // `done` of `total` so far, and `count` items counted. Thread-safe, cheap.
  void Update(int64_t done, int64_t count) {
    done_.store(done, std::memory_order_relaxed);
    count_.store(count, std::memory_order_relaxed);
  }
  // Draws the final state and ends the line (once).
  void Finish();

  bool visible() const { return visible_; }

 private:
  void Draw(bool final);
  const std::string what_, unit_;
  const int64_t total_;
  const bool visible_;
  std::atomic<int64_t> done_{0}, count_{0};
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::thread ticker_;
};

}  // namespace parley::cli
