#include "telemetry/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

namespace parley::telemetry {

namespace {

void AppendNumber(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("NaN");
  } else if (std::isinf(value)) {
    out->append(value > 0 ? "+Inf" : "-Inf");
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    out->append(buf, static_cast<size_t>(std::snprintf(buf, sizeof buf, "%.0f", value)));
  } else {
    char buf[32];
    out->append(buf, static_cast<size_t>(std::snprintf(buf, sizeof buf, "%.9g", value)));
  }
}

void AppendLabelValue(std::string_view v, std::string* out) {
  for (char c : v) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '"') {
      out->append("\\\"");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
}

void AppendLabels(const Labels& labels, const std::pair<std::string, std::string>* extra,
                  std::string* out) {
  if (labels.empty() && extra == nullptr) return;
  out->push_back('{');
  bool first = true;
  auto one = [&](const std::pair<std::string, std::string>& l) {
    if (!first) out->push_back(',');
    first = false;
    out->append(l.first);
    out->append("=\"");
    AppendLabelValue(l.second, out);
    out->push_back('"');
  };
  for (const auto& l : labels) one(l);
  if (extra) one(*extra);
  out->push_back('}');
}

void RenderCell(const std::string& name, const Labels& labels, const Counter& c, const std::vector<double>&,
                std::string* out) {
  AppendSample(name, labels, static_cast<double>(c.value()), out);
}
void RenderCell(const std::string& name, const Labels& labels, const Gauge& g, const std::vector<double>&,
                std::string* out) {
  AppendSample(name, labels, static_cast<double>(g.value()), out);
}
void RenderCell(const std::string& name, const Labels& labels, const Histogram& h,
                const std::vector<double>& bounds, std::string* out) {
  std::vector<uint64_t> cumulative;
  double sum;
  uint64_t count;
  h.Snapshot(&cumulative, &sum, &count);
  const std::string bucket = name + "_bucket";
  for (size_t i = 0; i <= bounds.size(); ++i) {
    std::string le;
    if (i == bounds.size()) {
      le = "+Inf";
    } else {
      AppendNumber(bounds[i], &le);
    }
    std::pair<std::string, std::string> extra{"le", le};
    out->append(bucket);
    AppendLabels(labels, &extra, out);
    out->push_back(' ');
    AppendNumber(static_cast<double>(cumulative[i]), out);
    out->push_back('\n');
  }
  AppendSample(name + "_sum", labels, sum, out);
  AppendSample(name + "_count", labels, static_cast<double>(count), out);
}

const char* TypeName(const Counter*) { return "counter"; }
const char* TypeName(const Gauge*) { return "gauge"; }
const char* TypeName(const Histogram*) { return "histogram"; }

template <typename T>
std::unique_ptr<T> MakeCell(const std::vector<double>*) {
  return std::make_unique<T>();
}
template <>
std::unique_ptr<Histogram> MakeCell<Histogram>(const std::vector<double>* bounds) {
  return std::make_unique<Histogram>(bounds);
}

}  // namespace

void AppendFamilyHeader(std::string_view name, std::string_view help, std::string_view type,
                        std::string* out) {
  out->append("# HELP ").append(name).append(" ");
  for (char c : help) {
    if (c == '\\') {
      out->append("\\\\");
    } else if (c == '\n') {
      out->append("\\n");
    } else {
      out->push_back(c);
    }
  }
  out->append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void AppendSample(std::string_view name, const Labels& labels, double value, std::string* out) {
  out->append(name);
  AppendLabels(labels, nullptr, out);
  out->push_back(' ');
  AppendNumber(value, out);
  out->push_back('\n');
}

size_t ThreadShard() {
  static std::atomic<size_t> next{0};
  thread_local size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), cells_(new std::atomic<uint64_t>[stride() * kShards]) {
  for (size_t i = 0; i < stride() * kShards; ++i) cells_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_->size() && value > (*bounds_)[i]) ++i;
  std::atomic<uint64_t>* shard = &cells_[ThreadShard() * stride()];
  shard[i].fetch_add(1, std::memory_order_relaxed);
  if (value > 0) {
    shard[bounds_->size() + 1].fetch_add(static_cast<uint64_t>(value * 1e9), std::memory_order_relaxed);
  }
}

void Histogram::Snapshot(std::vector<uint64_t>* cumulative, double* sum, uint64_t* count) const {
  const size_t n = bounds_->size() + 1;
  std::vector<uint64_t> buckets(n, 0);
  uint64_t nanos = 0;
  for (size_t s = 0; s < kShards; ++s) {
    const std::atomic<uint64_t>* shard = &cells_[s * stride()];
    for (size_t i = 0; i < n; ++i) buckets[i] += shard[i].load(std::memory_order_relaxed);
    nanos += shard[n].load(std::memory_order_relaxed);
  }
  cumulative->assign(n, 0);
  uint64_t running = 0;
  for (size_t i = 0; i < n; ++i) {
    running += buckets[i];
    (*cumulative)[i] = running;
  }
  // The count is the +Inf bucket, so that the two always agree.
  *count = running;
  *sum = static_cast<double>(nanos) / 1e9;
}

template <typename T>
T* Family<T>::Cell(std::initializer_list<std::string_view> values) {
  thread_local std::string key;
  key.clear();
  for (std::string_view v : values) {
    key.append(v);
    key.push_back('\x1f');
  }
  std::lock_guard lock(mu_);
  auto it = cells_.find(key);
  if (it != cells_.end()) return it->second.get();
  Labels labels;
  size_t i = 0;
  for (std::string_view v : values) {
    if (i < label_names_.size()) labels.emplace_back(label_names_[i++], std::string(v));
  }
  auto cell = MakeCell<T>(&bounds_);
  T* raw = cell.get();
  cells_.emplace(key, std::move(cell));
  order_.emplace_back(std::move(labels), raw);
  return raw;
}

template <typename T>
void Family<T>::Render(std::string* out) const {
  AppendFamilyHeader(name_, help_, TypeName(static_cast<const T*>(nullptr)), out);
  std::lock_guard lock(mu_);
  for (const auto& [labels, cell] : order_) RenderCell(name_, labels, *cell, bounds_, out);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Family<Counter>* Registry::AddCounter(std::string name, std::string help, std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  counters_.push_back(std::make_unique<Family<Counter>>(std::move(name), std::move(help), std::move(labels)));
  return counters_.back().get();
}

Family<Gauge>* Registry::AddGauge(std::string name, std::string help, std::vector<std::string> labels) {
  std::lock_guard lock(mu_);
  gauges_.push_back(std::make_unique<Family<Gauge>>(std::move(name), std::move(help), std::move(labels)));
  return gauges_.back().get();
}

Family<Histogram>* Registry::AddHistogram(std::string name, std::string help,
                                          std::vector<std::string> labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  histograms_.push_back(std::make_unique<Family<Histogram>>(std::move(name), std::move(help),
                                                            std::move(labels), std::move(bounds)));
  return histograms_.back().get();
}

void Registry::AddCollector(std::function<void(std::string*)> collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::Render() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& f : counters_) f->Render(&out);
  for (const auto& f : gauges_) f->Render(&out);
  for (const auto& f : histograms_) f->Render(&out);
  for (const auto& c : collectors_) c(&out);
  return out;
}

Registry& Metrics() {
  static Registry* registry = new Registry();  // never destroyed: used until exit
  return *registry;
}

const CoreMetrics& Core() {
  static const CoreMetrics metrics{
      Metrics().AddCounter("parley_operations_total",
                           "Long-running operations that reached a state, by kind and state",
                           {"kind", "state"}),
      Metrics().AddCounter("parley_analysis_segments_total",
                           "Transcript segments (messages) analysed; its rate is segments a second", {}),
      Metrics().AddCounter("parley_analyses_total", "Conversation analyses run, by result", {"result"}),
  };
  return metrics;
}

void AppendProcessMetrics(std::string* out) {
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  // /proc/self/stat: fields after the command name (which may hold spaces).
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    std::string word;
    while (fields >> word) f.push_back(word);
    // f[0] is field 3 (state): utime 14, stime 15, starttime 22, vsize 23, rss 24.
    if (f.size() > 21) {
      double cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
      AppendFamilyHeader("process_cpu_seconds_total", "User and system CPU time spent, seconds", "counter", out);
      AppendSample("process_cpu_seconds_total", {}, cpu, out);
      AppendFamilyHeader("process_virtual_memory_bytes", "Virtual memory size, bytes", "gauge", out);
      AppendSample("process_virtual_memory_bytes", {}, std::stod(f[20]), out);
      AppendFamilyHeader("process_resident_memory_bytes", "Resident memory size, bytes", "gauge", out);
      AppendSample("process_resident_memory_bytes", {}, std::stod(f[21]) * page, out);
      // Start time: boot time (/proc/stat btime) plus starttime in ticks.
      std::ifstream proc_stat("/proc/stat");
      std::string line;
      while (std::getline(proc_stat, line)) {
        if (line.rfind("btime ", 0) == 0) {
          double start = std::stod(line.substr(6)) + std::stod(f[19]) / ticks;
          AppendFamilyHeader("process_start_time_seconds",
                             "Start time of the process since the Unix epoch, seconds", "gauge", out);
          AppendSample("process_start_time_seconds", {}, start, out);
          break;
        }
      }
    }
  }
  if (DIR* d = ::opendir("/proc/self/fd")) {
    int fds = 0;
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_name[0] != '.') ++fds;
    }
    ::closedir(d);
    AppendFamilyHeader("process_open_fds", "Open file descriptors", "gauge", out);
    AppendSample("process_open_fds", {}, fds - 1, out);  // less the one reading the directory
  }
  struct rlimit rl;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    AppendFamilyHeader("process_max_fds", "Limit of open file descriptors", "gauge", out);
    AppendSample("process_max_fds", {}, static_cast<double>(rl.rlim_cur), out);
  }
}

}  // namespace parley::telemetry
