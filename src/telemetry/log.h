// The server's structured log: one line per event on stderr, JSON (default)
// or `key=value` text, filtered by level (`--log-level`, `--log-format`).
//
// Events carry fields the caller names; callers log identifiers, routes,
// codes and causes, never a credential, a header value or conversation text
// (tests/api/http/telemetry.test.mjs checks the request log for that).
// Thread-safe: each line goes out whole, never interleaved with another.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace parley::telemetry {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3, kOff = 4 };
enum class LogFormat { kJson, kText };

// One field of an event: a string, an integer, a real number or a boolean.
// The key is an identifier ([a-z_]), written as given. Or a run of fields
// Logger::Render rendered beforehand (LogField::Rendered), written as it is.
struct LogField {
  enum class Kind { kString, kInt, kDouble, kBool, kRendered };
  LogField(std::string_view k, std::string_view v) : key(k), kind(Kind::kString), str(v) {}
  LogField(std::string_view k, const char* v) : key(k), kind(Kind::kString), str(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), kind(Kind::kString), str(v) {}
  LogField(std::string_view k, int v) : key(k), kind(Kind::kInt), num(v) {}
  LogField(std::string_view k, int64_t v) : key(k), kind(Kind::kInt), num(v) {}
  LogField(std::string_view k, uint64_t v) : key(k), kind(Kind::kInt), num(static_cast<int64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), kind(Kind::kDouble), real(v) {}
  LogField(std::string_view k, bool v) : key(k), kind(Kind::kBool), flag(v) {}
  // What Logger::Render wrote, for a logger of the same format.
  static LogField Rendered(std::string_view fields) {
    LogField f("", fields);
    f.kind = Kind::kRendered;
    return f;
  }

  std::string_view key;
  Kind kind;
  std::string_view str;
  int64_t num = 0;
  double real = 0;
  bool flag = false;
};

class Logger {
 public:
  ~Logger();
  // Before the threads that log start (not synchronized with Log).
  // `buffered`: info and debug lines go to a ring buffer of the thread's own
  // (no lock, no allocation, no system call) that a background thread writes
  // out every 10 to 50 ms; a thread whose ring is full writes it out itself.
  // Warn and error lines go out at once, after what their thread buffered.
  // Flush() writes everything. Unbuffered: one write(2) a line.
  // Buffered into a regular file, the lines written are sent to disk and
  // their pages dropped from the page cache every `cache_window` bytes
  // (0: never): a log is rarely read back, and new cache pages for it cost
  // more than the lines' formatting (see log.cc).
  void Configure(LogLevel level, LogFormat format, int fd = 2, bool buffered = false,
                 int64_t cache_window = int64_t{8} << 20);
  bool Enabled(LogLevel level) const { return level >= level_ && level_ != LogLevel::kOff; }
  LogFormat format() const { return format_; }

  // Writes `{"time":"…","level":"info","event":EVENT,FIELDS…}` (or
  // `TIME LEVEL EVENT key=value…`) if `level` is enabled.
  void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) const;
  // The same, stamped with `at`, a steady_clock reading the caller already
  // has (the end of a request), so that the line reads no clock of its own:
  // the wall time is `at` plus an offset each thread re-reads once a second.
  void LogAt(std::chrono::steady_clock::time_point at, LogLevel level, std::string_view event,
             std::initializer_list<LogField> fields) const;

  // Appends `fields` as this logger's lines write them (`,"key":value` or
  // ` key=value`), for a LogField::Rendered: fields that repeat line after
  // line (a route and its status) are formatted once.
  void Render(std::initializer_list<LogField> fields, std::string* out) const;

  // Writes out every buffered line (before exit).
  void Flush() const;

 private:
  struct Buffer;
  Buffer* ThreadBuffer() const;
  void Write(LogLevel level, int64_t unix_ms, std::string_view event,
             std::initializer_list<LogField> fields) const;
  void Push(Buffer* b, std::string_view line, bool now) const;
  void WriteAll(std::string_view data) const;

  LogLevel level_ = LogLevel::kInfo;
  LogFormat format_ = LogFormat::kJson;
  int fd_ = 2;
  bool buffered_ = false;
  struct Flusher;
  Flusher* flusher_ = nullptr;
};

// The process's logger.
Logger& Log();

// "debug" | "info" | "warn" | "error" | "off"; false if none.
bool ParseLogLevel(std::string_view name, LogLevel* level);
// "json" | "text"; false if neither.
bool ParseLogFormat(std::string_view name, LogFormat* format);

// Appends `s` as a JSON string (quotes included) to `out`.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace parley::telemetry
