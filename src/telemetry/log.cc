#include "telemetry/log.h"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace parley::telemetry {

namespace {

constexpr size_t kFlushBytes = 64 * 1024;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
    case LogLevel::kOff: break;
  }
  return "off";
}

// RFC 3339 UTC with milliseconds; the part up to the second is formatted
// once a second per thread.
void AppendTime(std::string* out) {
  auto now = std::chrono::system_clock::now();
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  thread_local int64_t cached_second = -1;
  thread_local char prefix[32];
  thread_local size_t prefix_size = 0;
  if (ms / 1000 != cached_second) {
    cached_second = ms / 1000;
    time_t secs = static_cast<time_t>(cached_second);
    struct tm tm;
    gmtime_r(&secs, &tm);
    prefix_size = static_cast<size_t>(std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.",
                                                    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                                    tm.tm_hour, tm.tm_min, tm.tm_sec));
  }
  out->append(prefix, prefix_size);
  int milli = static_cast<int>(ms % 1000);
  out->push_back(static_cast<char>('0' + milli / 100));
  out->push_back(static_cast<char>('0' + milli / 10 % 10));
  out->push_back(static_cast<char>('0' + milli % 10));
  out->push_back('Z');
}

void AppendValue(const LogField& f, bool json, std::string* out) {
  char buf[32];
  switch (f.kind) {
    case LogField::Kind::kString:
      if (json) {
        AppendJsonString(f.str, out);
      } else if (f.str.empty() || f.str.find_first_of(" \"=\n\r\t\\") != std::string_view::npos) {
        AppendJsonString(f.str, out);  // quoted and escaped, one line
      } else {
        out->append(f.str);
      }
      return;
    case LogField::Kind::kInt: {
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f.num);
      out->append(buf, static_cast<size_t>(end - buf));
      return;
    }
    case LogField::Kind::kDouble:
      out->append(buf, static_cast<size_t>(std::snprintf(buf, sizeof buf, "%.6g", f.real)));
      return;
    case LogField::Kind::kBool:
      out->append(f.flag ? "true" : "false");
      return;
  }
}

}  // namespace

struct Logger::Buffer {
  std::mutex mu;
  std::string data;  // whole lines
};

void AppendJsonString(std::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  // Runs of characters that need no escape are appended whole.
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u != 0x7f && u != '"' && u != '\\') continue;
    out->append(s.data() + run, i - run);
    run = i + 1;
    char c = s[i];
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20 || u == 0x7f) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 15]);
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

void Logger::Log(LogLevel level, std::string_view event,
                 std::initializer_list<LogField> fields) const {
  if (!Enabled(level)) return;
  thread_local std::string line;
  line.clear();
  const bool json = format_ == LogFormat::kJson;
  if (json) {
    line += "{\"time\":\"";
    AppendTime(&line);
    line += "\",\"level\":\"";
    line += LevelName(level);
    line += "\",\"event\":";
    AppendJsonString(event, &line);
    for (const LogField& f : fields) {
      line += ',';
      AppendJsonString(f.key, &line);
      line += ':';
      AppendValue(f, true, &line);
    }
    line += "}\n";
  } else {
    AppendTime(&line);
    line += ' ';
    line += LevelName(level);
    line += ' ';
    line += event;
    for (const LogField& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      AppendValue(f, false, &line);
    }
    line += '\n';
  }
  if (!buffered_) {
    WriteAll(line);
    return;
  }
  Buffer* b = ThreadBuffer();
  std::lock_guard<std::mutex> lock(b->mu);
  b->data += line;
  if (level >= LogLevel::kWarn || b->data.size() >= kFlushBytes) {
    WriteAll(b->data);
    b->data.clear();
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

// The buffers of every thread that logged (kept until exit: the server's
// threads live as long as it), and the thread writing them out.
struct Logger::Flusher {
  std::mutex mu;
  std::vector<std::unique_ptr<Buffer>> buffers;
  std::condition_variable cv;
  bool stop = false;
  std::thread thread;
};

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

void Logger::Configure(LogLevel level, LogFormat format, int fd, bool buffered) {
  level_ = level;
  format_ = format;
  fd_ = fd;
  buffered_ = buffered;
  if (!buffered || flusher_ != nullptr) return;
  flusher_ = new Flusher();
  flusher_->thread = std::thread([this] {
    std::unique_lock<std::mutex> lock(flusher_->mu);
    while (!flusher_->cv.wait_for(lock, std::chrono::milliseconds(50), [this] { return flusher_->stop; })) {
      lock.unlock();
      Flush();
      lock.lock();
    }
  });
}

void Logger::Flush() const {
  if (flusher_ == nullptr) return;
  std::vector<Buffer*> buffers;
  {
    std::lock_guard<std::mutex> lock(flusher_->mu);
    for (const auto& b : flusher_->buffers) buffers.push_back(b.get());
  }
  for (Buffer* b : buffers) {
    std::lock_guard<std::mutex> lock(b->mu);
    if (b->data.empty()) continue;
    WriteAll(b->data);
    b->data.clear();
  }
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
