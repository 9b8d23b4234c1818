// Prometheus metrics: counters, gauges and histograms with labels, and the
// text exposition format (version 0.0.4) that `GET /metrics` serves.
//
// A family is registered once (name, help, label names); Cell(values) then
// returns its series for those label values, created on first use and
// stable for the life of the registry, so a hot path may keep the pointer.
// Metrics that are cheaper to read when scraped (process figures, queue
// depth, store size) are collectors: functions called by Render.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace parley::telemetry {

using Labels = std::vector<std::pair<std::string, std::string>>;

// Appends `# HELP` and `# TYPE` lines of a family to `out`.
void AppendFamilyHeader(std::string_view name, std::string_view help, std::string_view type,
                        std::string* out);
// Appends one sample line `name{k="v",...} value` (label values escaped).
void AppendSample(std::string_view name, const Labels& labels, double value, std::string* out);

// Updates go to one of kShards cache lines, chosen per thread, so that the
// network threads counting the same series do not contend for one line;
// reads add the shards up.
inline constexpr size_t kShards = 8;
size_t ThreadShard();  // this thread's shard, fixed on first use

class Counter {
 public:
  void Add(uint64_t n = 1) { shards_[ThreadShard()].v.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const {
    uint64_t sum = 0;
    for (const auto& s : shards_) sum += s.v.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  struct alignas(64) Shard {
    std::atomic<uint64_t> v{0};
  };
  Shard shards_[kShards];
};

class Gauge {
 public:
  // Set is for gauges only ever set (not added to).
  void Set(int64_t v) {
    for (auto& s : shards_) s.v.store(0, std::memory_order_relaxed);
    shards_[0].v.store(v, std::memory_order_relaxed);
  }
  void Add(int64_t n) { shards_[ThreadShard()].v.fetch_add(n, std::memory_order_relaxed); }
  int64_t value() const {
    int64_t sum = 0;
    for (const auto& s : shards_) sum += s.v.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  struct alignas(64) Shard {
    std::atomic<int64_t> v{0};
  };
  Shard shards_[kShards];
};

// Observations in seconds (or any unit) against fixed upper bounds.
class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double value);
  // Cumulative counts per bound (the last: +Inf), the sum and the count.
  void Snapshot(std::vector<uint64_t>* cumulative, double* sum, uint64_t* count) const;

 private:
  // Per shard: bounds_->size() + 1 bucket counts (not cumulative), then the
  // sum in nanoseconds (kept as an integer); each shard on its own lines.
  size_t stride() const { return (bounds_->size() + 2 + 7) / 8 * 8; }
  const std::vector<double>* bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> cells_;
};

// A family of series of one kind, by label values.
template <typename T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         std::vector<double> bounds = {})
      : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)),
        bounds_(std::move(bounds)) {}

  // The series for `values` (one per label name, in order).
  T* Cell(std::initializer_list<std::string_view> values);

  const std::string& name() const { return name_; }
  void Render(std::string* out) const;

 private:
  const std::string name_, help_;
  const std::vector<std::string> label_names_;
  const std::vector<double> bounds_;  // histograms only
  mutable std::mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<T>> cells_;  // key: values joined by '\x1f'
  std::vector<std::pair<Labels, T*>> order_;                    // in creation order
};

class Registry {
 public:
  Family<Counter>* AddCounter(std::string name, std::string help, std::vector<std::string> labels);
  Family<Gauge>* AddGauge(std::string name, std::string help, std::vector<std::string> labels);
  Family<Histogram>* AddHistogram(std::string name, std::string help, std::vector<std::string> labels,
                                  std::vector<double> bounds);
  // Called by Render, in the order added, to append whole families.
  void AddCollector(std::function<void(std::string* out)> collector);

  // Every family and collector in the text exposition format 0.0.4.
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family<Counter>>> counters_;
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_;
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_;
  std::vector<std::function<void(std::string*)>> collectors_;
};

// The process's registry (what `/metrics` serves).
Registry& Metrics();

// The metrics that the layers below the API record, registered in Metrics()
// on first use.
struct CoreMetrics {
  Family<Counter>* operation_transitions;  // parley_operations_total{kind,state}
  Family<Counter>* analysis_segments;      // parley_analysis_segments_total
  Family<Counter>* analyses;               // parley_analyses_total{result}
};
const CoreMetrics& Core();

// Appends process metrics (process_cpu_seconds_total,
// process_resident_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds, process_virtual_memory_bytes) read from /proc.
void AppendProcessMetrics(std::string* out);

}  // namespace parley::telemetry
