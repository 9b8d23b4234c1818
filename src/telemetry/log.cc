#include "telemetry/log.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::telemetry {

namespace {

// Each thread's ring of formatted lines; a line longer than half of it is
// written at once.
constexpr size_t kRingBytes = 256 * 1024;
// A line is formatted into a thread's own array when it surely fits.
constexpr size_t kLineBytes = 8 * 1024;

std::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: break;
  }
  return "off";
}

// Bytes that a JSON string must escape (and that make a text value quoted,
// with the space, '=' beside them).
struct EscapeTable {
  bool json[256] = {};
  bool text[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 256; ++c) {
      json[c] = c < 0x20 || c == 0x7f || c == '"' || c == '\\';
      text[c] = json[c] || c == ' ' || c == '=';
    }
  }
};
constexpr EscapeTable kEscape;

// The length of the longest prefix of `s` that JSON needs no escape in,
// 16 bytes at a time (at least: the caller goes on byte by byte from there).
size_t CleanPrefix(std::string_view s) {
  size_t i = 0;
#ifdef __SSE2__
  const __m128i below = _mm_set1_epi8(0x1f), quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                del = _mm_set1_epi8(0x7f);
  for (; i + 16 <= s.size(); i += 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
    __m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(x, below), x), _mm_cmpeq_epi8(x, quote)),
                               _mm_or_si128(_mm_cmpeq_epi8(x, backslash), _mm_cmpeq_epi8(x, del)));
    if (_mm_movemask_epi8(bad) != 0) break;
  }
#endif
  return i;
}

// Writes into memory reserved beforehand for the line's largest size: no
// bounds checks, no allocation.
struct Writer {
  char* p;
  void Put(char c) { *p++ = c; }
  void Put(std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    p += s.size();
  }
  // At most 6 bytes a byte of `s`, plus the quotes.
  void Json(std::string_view s) {
    static const char kHex[] = "0123456789abcdef";
    Put('"');
    size_t run = 0;
    const auto* u = reinterpret_cast<const unsigned char*>(s.data());
    for (size_t i = CleanPrefix(s); i < s.size(); ++i) {
      if (!kEscape.json[u[i]]) continue;
      Put(s.substr(run, i - run));
      run = i + 1;
      if (u[i] == '"' || u[i] == '\\') {
        Put('\\');
        Put(static_cast<char>(u[i]));
      } else {
        Put("\\u00");
        Put(kHex[u[i] >> 4]);
        Put(kHex[u[i] & 15]);
      }
    }
    Put(s.substr(run));
    Put('"');
  }
  void Int(int64_t v) { p = std::to_chars(p, p + 20, v).ptr; }
  void Value(const LogField& f, bool json) {
    switch (f.kind) {
      case LogField::Kind::kString: {
        if (json) return Json(f.str);
        bool quote = f.str.empty();
        for (unsigned char c : f.str) quote = quote || kEscape.text[c];
        if (quote) return Json(f.str);  // quoted and escaped, one line
        return Put(f.str);
      }
      case LogField::Kind::kInt: return Int(f.num);
      case LogField::Kind::kDouble: {
        char buf[32];
        int n = std::snprintf(buf, sizeof buf, "%.6g", f.real);
        return Put(std::string_view(buf, static_cast<size_t>(std::clamp(n, 0, 31))));
      }
      case LogField::Kind::kBool: return Put(f.flag ? "true" : "false");
      case LogField::Kind::kRendered: return;  // see Fields
    }
  }
  // Each field after the event, as `,"key":value` or ` key=value`.
  void Fields(std::initializer_list<LogField> fields, bool json) {
    for (const LogField& f : fields) {
      if (f.kind == LogField::Kind::kRendered) {
        Put(f.str);
        continue;
      }
      if (json) {
        Put(",\"");
        Put(f.key);  // an identifier: nothing to escape
        Put("\":");
      } else {
        Put(' ');
        Put(f.key);
        Put('=');
      }
      Value(f, json);
    }
  }
  // RFC 3339 UTC with milliseconds; the part up to the second is formatted
  // once a second per thread.
  void Time(int64_t ms) {
    thread_local int64_t cached_second = INT64_MIN;
    thread_local char prefix[32];
    thread_local size_t prefix_size = 0;
    int64_t second = ms / 1000 - (ms % 1000 < 0);
    if (second != cached_second) {
      cached_second = second;
      time_t secs = static_cast<time_t>(second);
      struct tm tm;
      gmtime_r(&secs, &tm);
      int n = std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
      prefix_size = static_cast<size_t>(std::clamp(n, 0, 31));
    }
    Put(std::string_view(prefix, prefix_size));
    int milli = static_cast<int>(ms - second * 1000);
    Put(static_cast<char>('0' + milli / 100));
    Put(static_cast<char>('0' + milli / 10 % 10));
    Put(static_cast<char>('0' + milli % 10));
    Put('Z');
  }
};

// The largest size a line of these fields can take.
size_t LineBound(std::string_view event, std::initializer_list<LogField> fields) {
  size_t n = 96 + 6 * event.size();
  for (const LogField& f : fields) {
    n += f.kind == LogField::Kind::kRendered
             ? f.str.size()
             : 8 + 6 * f.key.size() + (f.kind == LogField::Kind::kString ? 6 * f.str.size() : 32);
  }
  return n;
}

int64_t UnixMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

void WriteAllV(int fd, struct iovec* iov, int count) {
  while (count > 0) {
    ssize_t n = ::writev(fd, iov, std::min(count, IOV_MAX));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to
    size_t left = static_cast<size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
}

// Keeps a log file's pages out of the page cache once they are on disk.
// A log is written once and rarely read back; left cached, a busy server's
// lines (~35 MB/s at 120,000 requests/s) fill the cache, push the store's
// pages out, and every new line needs a fresh page from the kernel (on a VM
// with free-page reporting, ~1-3 ns a byte: more than formatting the line).
// Every `window` bytes the new range is sent to disk
// (sync_file_range, not waiting) and the ranges sent before it, by now
// written, are dropped (posix_fadvise DONTNEED skips pages still dirty or
// under writeback), so the file's few cached pages are reused warm.
// Used by the writer thread only, outside the drain lock: waiting for the
// disk never holds up a request thread whose ring is full.
class CacheKeeper {
 public:
  CacheKeeper(int fd, off_t window) : fd_(fd), window_(window) {
    struct stat st;
    on_ = window > 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  }
  // After a drain.
  void Wrote() {
    if (!on_) return;
    off_t end = ::lseek(fd_, 0, SEEK_CUR);
    if (end < 0) {
      on_ = false;
      return;
    }
    if (end - synced_ < window_) {
      if (end < synced_) synced_ = dropped_ = 0;  // truncated
      return;
    }
#ifdef __linux__
    // Two windows back, for pages that were still being written last time.
    off_t from = std::max<off_t>(0, dropped_ - window_);
    if (synced_ > from) ::posix_fadvise(fd_, from, synced_ - from, POSIX_FADV_DONTNEED);
    dropped_ = synced_;
    ::sync_file_range(fd_, synced_, end - synced_, SYNC_FILE_RANGE_WRITE);
#endif
    synced_ = end;
  }

 private:
  int fd_;
  off_t window_;
  bool on_ = false;
  off_t synced_ = 0;   // written out (or being written) up to here
  off_t dropped_ = 0;  // dropped from the cache up to here
};

}  // namespace

// One thread's ring of whole lines: the thread appends and publishes `head`;
// whoever holds the flusher's drain lock writes [tail, head) out and
// publishes `tail`. Positions count bytes since the start, never wrapping.
struct Logger::Buffer {
  std::unique_ptr<char[]> data{new char[kRingBytes]};
  alignas(64) std::atomic<uint64_t> head{0};
  alignas(64) std::atomic<uint64_t> tail{0};

  // The unwritten bytes as at most two pieces; returns how many.
  int Pieces(uint64_t t, uint64_t h, struct iovec* iov) {
    size_t from = static_cast<size_t>(t % kRingBytes);
    size_t n = static_cast<size_t>(h - t);
    size_t first = std::min(n, kRingBytes - from);
    iov[0] = {data.get() + from, first};
    if (first == n) return 1;
    iov[1] = {data.get(), n - first};
    return 2;
  }
};

// The rings of every thread that logged (kept until exit: the server's
// threads live as long as it), and the thread writing them out.
struct Logger::Flusher {
  std::mutex mu;  // buffers, stop
  std::vector<std::unique_ptr<Buffer>> buffers;
  std::condition_variable cv;
  bool stop = false;
  std::mutex drain_mu;  // held by whoever writes rings out (the consumer side)
  std::thread thread;
  std::unique_ptr<CacheKeeper> cache;  // the writer thread's

  // Writes out the given rings, in one writev where it can. Holds drain_mu.
  // Returns the bytes written.
  size_t Drain(int fd, Buffer* const* rings, size_t count) {
    std::vector<struct iovec> iov;
    std::vector<uint64_t> heads(count);
    iov.reserve(2 * count);
    size_t bytes = 0;
    for (size_t i = 0; i < count; ++i) {
      Buffer* b = rings[i];
      uint64_t t = b->tail.load(std::memory_order_relaxed);
      heads[i] = b->head.load(std::memory_order_acquire);
      if (heads[i] == t) continue;
      struct iovec pieces[2];
      int n = b->Pieces(t, heads[i], pieces);
      iov.insert(iov.end(), pieces, pieces + n);
      bytes += static_cast<size_t>(heads[i] - t);
    }
    if (!iov.empty()) WriteAllV(fd, iov.data(), static_cast<int>(iov.size()));
    for (size_t i = 0; i < count; ++i) rings[i]->tail.store(heads[i], std::memory_order_release);
    return bytes;
  }
  size_t DrainAll(int fd) {
    std::vector<Buffer*> rings;
    {
      std::lock_guard<std::mutex> lock(mu);
      for (const auto& b : buffers) rings.push_back(b.get());
    }
    std::lock_guard<std::mutex> lock(drain_mu);
    return Drain(fd, rings.data(), rings.size());
  }
};

void AppendJsonString(std::string_view s, std::string* out) {
  size_t at = out->size();
  out->resize(at + 2 + 6 * s.size());
  Writer w{out->data() + at};
  w.Json(s);
  out->resize(static_cast<size_t>(w.p - out->data()));
}

void Logger::Render(std::initializer_list<LogField> fields, std::string* out) const {
  size_t at = out->size();
  out->resize(at + LineBound("", fields));
  Writer w{out->data() + at};
  w.Fields(fields, format_ == LogFormat::kJson);
  out->resize(static_cast<size_t>(w.p - out->data()));
}

void Logger::Log(LogLevel level, std::string_view event,
                 std::initializer_list<LogField> fields) const {
  if (!Enabled(level)) return;
  Write(level, UnixMillis(std::chrono::system_clock::now()), event, fields);
}

void Logger::LogAt(std::chrono::steady_clock::time_point at, LogLevel level, std::string_view event,
                   std::initializer_list<LogField> fields) const {
  if (!Enabled(level)) return;
  // Wall time minus steady time, re-read when `at` is a second past the
  // last reading (or before it: another thread's older stamp).
  thread_local std::chrono::steady_clock::time_point calibrated{};
  thread_local std::chrono::system_clock::duration offset{};
  if (at - calibrated >= std::chrono::seconds(1) || at < calibrated) {
    auto steady = std::chrono::steady_clock::now();
    offset = std::chrono::system_clock::now().time_since_epoch() -
             std::chrono::duration_cast<std::chrono::system_clock::duration>(steady.time_since_epoch());
    calibrated = steady;
  }
  auto wall = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(at.time_since_epoch()) + offset);
  Write(level, UnixMillis(wall), event, fields);
}

void Logger::Write(LogLevel level, int64_t unix_ms, std::string_view event,
                   std::initializer_list<LogField> fields) const {
  thread_local char local[kLineBytes];
  std::string large;  // only for a line that may not fit `local`
  char* begin = local;
  if (size_t bound = LineBound(event, fields); bound > kLineBytes) {
    large.resize(bound);
    begin = large.data();
  }
  Writer w{begin};
  if (format_ == LogFormat::kJson) {
    w.Put("{\"time\":\"");
    w.Time(unix_ms);
    w.Put("\",\"level\":\"");
    w.Put(LevelName(level));
    w.Put("\",\"event\":");
    w.Json(event);
    w.Fields(fields, true);
    w.Put("}\n");
  } else {
    w.Time(unix_ms);
    w.Put(' ');
    w.Put(LevelName(level));
    w.Put(' ');
    w.Put(event);
    w.Fields(fields, false);
    w.Put('\n');
  }
  std::string_view line(begin, static_cast<size_t>(w.p - begin));
  if (!buffered_) {
    WriteAll(line);
    return;
  }
  Push(ThreadBuffer(), line, level >= LogLevel::kWarn);
}

void Logger::Push(Buffer* b, std::string_view line, bool now) const {
  uint64_t h = b->head.load(std::memory_order_relaxed);
  if (line.size() > kRingBytes / 2) {
    std::lock_guard<std::mutex> lock(flusher_->drain_mu);
    flusher_->Drain(fd_, &b, 1);
    WriteAll(line);
    return;
  }
  if (kRingBytes - (h - b->tail.load(std::memory_order_acquire)) < line.size()) {
    // Full: this thread writes its ring out itself.
    std::lock_guard<std::mutex> lock(flusher_->drain_mu);
    flusher_->Drain(fd_, &b, 1);
  }
  size_t at = static_cast<size_t>(h % kRingBytes);
  size_t first = std::min(line.size(), kRingBytes - at);
  std::memcpy(b->data.get() + at, line.data(), first);
  std::memcpy(b->data.get(), line.data() + first, line.size() - first);
  b->head.store(h + line.size(), std::memory_order_release);
  if (now) {
    std::lock_guard<std::mutex> lock(flusher_->drain_mu);
    flusher_->Drain(fd_, &b, 1);
  }
}

void Logger::WriteAll(std::string_view data) const {
  const char* p = data.data();
  size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to
    p += n;
    left -= static_cast<size_t>(n);
  }
}

Logger::Buffer* Logger::ThreadBuffer() const {
  thread_local Buffer* mine = nullptr;
  thread_local const Logger* owner = nullptr;
  if (mine == nullptr || owner != this) {
    std::lock_guard<std::mutex> lock(flusher_->mu);
    flusher_->buffers.push_back(std::make_unique<Buffer>());
    mine = flusher_->buffers.back().get();
    owner = this;
  }
  return mine;
}

void Logger::Configure(LogLevel level, LogFormat format, int fd, bool buffered, int64_t cache_window) {
  level_ = level;
  format_ = format;
  fd_ = fd;
  buffered_ = buffered;
  if (!buffered || flusher_ != nullptr) return;
  flusher_ = new Flusher();
  flusher_->cache = std::make_unique<CacheKeeper>(fd, static_cast<off_t>(cache_window));
  flusher_->thread = std::thread([this] {
    // Every 10 ms while lines come, every 50 ms when none came.
    auto wait = std::chrono::milliseconds(50);
    std::unique_lock<std::mutex> lock(flusher_->mu);
    while (!flusher_->cv.wait_for(lock, wait, [this] { return flusher_->stop; })) {
      lock.unlock();
      bool wrote = flusher_->DrainAll(fd_) > 0;
      if (wrote) flusher_->cache->Wrote();
      wait = std::chrono::milliseconds(wrote ? 10 : 50);
      lock.lock();
    }
  });
}

void Logger::Flush() const {
  if (flusher_ != nullptr) flusher_->DrainAll(fd_);
}

Logger::~Logger() {
  if (flusher_ == nullptr) return;
  {
    std::lock_guard<std::mutex> lock(flusher_->mu);
    flusher_->stop = true;
  }
  flusher_->cv.notify_all();
  flusher_->thread.join();
  Flush();
}

Logger& Log() {
  static Logger logger;
  return logger;
}

bool ParseLogLevel(std::string_view name, LogLevel* level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError, LogLevel::kOff}) {
    if (name == LevelName(l)) {
      *level = l;
      return true;
    }
  }
  return false;
}

bool ParseLogFormat(std::string_view name, LogFormat* format) {
  if (name == "json") {
    *format = LogFormat::kJson;
  } else if (name == "text") {
    *format = LogFormat::kText;
  } else {
    return false;
  }
  return true;
}

}  // namespace parley::telemetry
