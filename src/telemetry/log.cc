#include "telemetry/log.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace parley::telemetry {

namespace {

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

// RFC 3339 UTC with milliseconds.
void AppendTime(std::string* out) {
  auto now = std::chrono::system_clock::now();
  int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  time_t secs = static_cast<time_t>(ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        static_cast<int>(ms % 1000));
  out->append(buf, static_cast<size_t>(n));
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
    case LogField::Kind::kInt:
      out->append(buf, static_cast<size_t>(std::snprintf(buf, sizeof buf, "%lld",
                                                         static_cast<long long>(f.num))));
      return;
    case LogField::Kind::kDouble:
      out->append(buf, static_cast<size_t>(std::snprintf(buf, sizeof buf, "%.6g", f.real)));
      return;
    case LogField::Kind::kBool:
      out->append(f.flag ? "true" : "false");
      return;
  }
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static const char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20 || u == 0x7f) {
      out->append("\\u00");
      out->push_back(kHex[u >> 4]);
      out->push_back(kHex[u & 15]);
    } else {
      out->push_back(c);
    }
  }
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
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to log to
    p += n;
    left -= static_cast<size_t>(n);
  }
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
