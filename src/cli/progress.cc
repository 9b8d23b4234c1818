#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

namespace parley::cli {

namespace {

std::string Duration(double seconds) {
  if (seconds < 0 || seconds > 99 * 3600) return "--:--";
  int s = static_cast<int>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%d:%02d", s / 60, s % 60);
  }
  return buf;
}

}  // namespace

Progress::Progress(std::string what, std::string unit, int64_t total)
    : what_(std::move(what)), unit_(std::move(unit)), total_(total), visible_(::isatty(2) == 1),
      start_(std::chrono::steady_clock::now()) {
  if (!visible_) return;
  ticker_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, std::chrono::milliseconds(200), [this] { return finished_; })) {
      Draw(false);
    }
  });
}

Progress::~Progress() { Finish(); }

void Progress::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
  }
  cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  if (visible_) Draw(true);
}

void Progress::Draw(bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int64_t done = done_.load(std::memory_order_relaxed);
  const int64_t count = count_.load(std::memory_order_relaxed);
  const double rate = elapsed > 0 ? static_cast<double>(count) / elapsed : 0;
  std::string line = "\r\033[K" + what_ + " ";
  char buf[160];
  if (total_ > 0) {
    double share = std::min(1.0, static_cast<double>(done) / static_cast<double>(total_));
    constexpr int kWidth = 30;
    int filled = static_cast<int>(share * kWidth);
    line += '[';
    line.append(static_cast<size_t>(filled), '#');
    line.append(static_cast<size_t>(kWidth - filled), '.');
    double left = share > 0 ? elapsed * (1 - share) / share : -1;
    std::snprintf(buf, sizeof buf, "] %3.0f%%  %lld %s  %.1f/s  ETA %s", share * 100,
                  static_cast<long long>(count), unit_.c_str(), rate,
                  final ? "0:00" : Duration(left).c_str());
  } else {
    std::snprintf(buf, sizeof buf, "%lld %s  %.1f/s  %s elapsed", static_cast<long long>(count),
                  unit_.c_str(), rate, Duration(elapsed).c_str());
  }
  line += buf;
  if (final) line += '\n';
  (void)!::write(2, line.data(), line.size());
}

}  // namespace parley::cli
