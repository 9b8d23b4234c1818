// The structured log: lines whole and never interleaved when many threads
// log through their rings at once, warn lines out at once, rings that fill
// up, lines longer than a ring, escaping, LogAt's wall time, and a log
// file's pages dropped from the page cache once written.
#include "telemetry/log.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace parley::telemetry {
namespace {

class LogFile {
 public:
  LogFile() {
    char path[] = "/tmp/parley-log-test-XXXXXX";
    fd_ = ::mkstemp(path);
    path_ = path;
  }
  ~LogFile() {
    ::close(fd_);
    std::remove(path_.c_str());
  }
  int fd() const { return fd_; }
  std::vector<std::string> Lines() const {
    std::ifstream in(path_);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

 private:
  int fd_;
  std::string path_;
};

TEST(LoggerTest, ManyThreadsBufferedLinesStayWholeAndAllArrive) {
  LogFile file;
  {
    Logger log;
    log.Configure(LogLevel::kInfo, LogFormat::kJson, file.fd(), /*buffered=*/true);
    constexpr int kThreads = 4, kLines = 20000;  // several times a ring each
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&log, t] {
        for (int i = 0; i < kLines; ++i) {
          log.LogAt(std::chrono::steady_clock::now(), LogLevel::kInfo, "request",
                    {{"thread", t}, {"i", i}, {"route", "/v1/{name=projects/*}"}, {"pad", std::string(i % 97, 'x')}});
        }
      });
    }
    for (auto& th : threads) th.join();
    log.Flush();
    std::vector<std::string> lines = file.Lines();
    ASSERT_EQ(lines.size(), static_cast<size_t>(kThreads * kLines));
    std::map<int, int> next;  // per thread, lines come in order
    for (const std::string& line : lines) {
      ASSERT_EQ(line.rfind("{\"time\":\"20", 0), 0u) << line;
      ASSERT_EQ(line.back(), '}') << line;
      int t = -1, i = -1;
      ASSERT_EQ(std::sscanf(line.c_str() + line.find("\"thread\":"), "\"thread\":%d,\"i\":%d", &t, &i), 2) << line;
      EXPECT_EQ(i, next[t]++) << line;
      EXPECT_NE(line.find("\"pad\":\"" + std::string(i % 97, 'x') + "\"}"), std::string::npos) << line;
    }
  }
}

TEST(LoggerTest, WarnLinesGoOutAtOnceAfterWhatTheThreadBuffered) {
  LogFile file;
  Logger log;
  log.Configure(LogLevel::kInfo, LogFormat::kText, file.fd(), /*buffered=*/true);
  log.Log(LogLevel::kInfo, "first", {{"n", 1}});
  log.Log(LogLevel::kWarn, "second", {{"cause", "disk full"}});
  // No Flush: the warn line wrote the ring out.
  std::vector<std::string> lines = file.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(" info first n=1"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find(" warn second cause=\"disk full\""), std::string::npos) << lines[1];
}

TEST(LoggerTest, LinesLongerThanTheRingAndDebugFiltered) {
  LogFile file;
  Logger log;
  log.Configure(LogLevel::kInfo, LogFormat::kJson, file.fd(), /*buffered=*/true);
  log.Log(LogLevel::kDebug, "hidden", {});
  log.Log(LogLevel::kInfo, "small", {});
  std::string big(300 * 1024, 'a');
  big[7] = '"';
  big[8] = '\n';
  log.Log(LogLevel::kInfo, "big", {{"v", big}});
  log.Flush();
  std::vector<std::string> lines = file.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find("\"event\":\"small\""), std::string::npos);
  EXPECT_NE(lines[1].find("\"v\":\"aaaaaaa\\\"\\u000aaaa"), std::string::npos);
  EXPECT_GT(lines[1].size(), big.size());
  EXPECT_EQ(lines[1].substr(lines[1].size() - 6), "aaaa\"}");
}

TEST(LoggerTest, LogAtStampsTheWallTimeOfTheSteadyReading) {
  LogFile file;
  Logger log;
  log.Configure(LogLevel::kInfo, LogFormat::kText, file.fd());
  auto earlier = std::chrono::steady_clock::now() - std::chrono::hours(25);
  log.LogAt(earlier, LogLevel::kInfo, "old", {});
  log.Log(LogLevel::kInfo, "now", {});
  std::vector<std::string> lines = file.Lines();
  ASSERT_EQ(lines.size(), 2u);
  // YYYY-MM-DDTHH:MM:SS.mmmZ: a day and an hour apart.
  auto parse = [](const std::string& s) {
    struct tm tm = {};
    EXPECT_NE(strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr) << s;
    return timegm(&tm);
  };
  EXPECT_NEAR(static_cast<double>(parse(lines[1]) - parse(lines[0])), 25 * 3600.0, 2.0);
  EXPECT_EQ(lines[0].substr(23, 9), "Z info ol");
}

TEST(LoggerTest, RenderedFieldsWriteAsTheFieldsThemselves) {
  for (LogFormat format : {LogFormat::kJson, LogFormat::kText}) {
    LogFile file;
    Logger log;
    log.Configure(LogLevel::kInfo, format, file.fd());
    auto at = std::chrono::steady_clock::now();
    std::string rendered;
    log.Render({{"route", "/v1/{name=projects/*}"}, {"status", 200}, {"note", "a \"b\""}}, &rendered);
    log.LogAt(at, LogLevel::kInfo, "request", {{"id", "x1"}, LogField::Rendered(rendered), {"bytes", 5}});
    log.LogAt(at, LogLevel::kInfo, "request",
              {{"id", "x1"}, {"route", "/v1/{name=projects/*}"}, {"status", 200}, {"note", "a \"b\""}, {"bytes", 5}});
    std::vector<std::string> lines = file.Lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0], lines[1]);
    EXPECT_NE(lines[0].find(format == LogFormat::kJson ? ",\"status\":200,\"note\":\"a \\\"b\\\"\",\"bytes\":5}"
                                                       : " status=200 note=\"a \\\"b\\\"\" bytes=5"),
              std::string::npos)
        << lines[0];
  }
}

// How many of the first `bytes` of the file at `path` are in the page cache.
size_t ResidentPages(const std::string& path, size_t bytes) {
  int fd = ::open(path.c_str(), O_RDONLY);
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return SIZE_MAX;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((bytes + page - 1) / page);
  size_t n = SIZE_MAX;
  if (::mincore(map, bytes, in.data()) == 0) {
    n = 0;
    for (unsigned char c : in) n += c & 1;
  }
  ::munmap(map, bytes);
  return n;
}

TEST(LoggerTest, WrittenPagesOfALogFileLeaveThePageCache) {
  // On a disk (the test's working directory), not tmpfs, whose pages cannot
  // be dropped.
  std::string path = "parley-log-cache-test-" + std::to_string(::getpid());
  struct statfs fs;
  ASSERT_EQ(::statfs(".", &fs), 0);
  if (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC) GTEST_SKIP() << "working directory on tmpfs";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
  ASSERT_GE(fd, 0);
  constexpr size_t kWindow = 64 * 1024;
  constexpr int kBatch = 2000;  // ~250 KB of lines
  size_t resident = SIZE_MAX;
  int lines = 0;
  {
    Logger log;
    log.Configure(LogLevel::kInfo, LogFormat::kJson, fd, /*buffered=*/true, kWindow);
    // Lines keep coming (the writer thread drops what is written while it
    // writes more) until the file's first window has left the cache.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      for (int i = 0; i < kBatch; ++i, ++lines) {
        log.Log(LogLevel::kInfo, "request", {{"i", lines}, {"route", "/v1/projects/{project}/conversations"}, {"pad", std::string(40, 'x')}});
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (lines < 4 * kBatch) continue;
      resident = ResidentPages(path, kWindow);
      if (resident == 0) break;
    }
    log.Flush();
  }
  ::close(fd);
  EXPECT_EQ(resident, 0u) << "pages of the first window still cached after " << lines << " lines";
  // Every line is still there, read back from the disk.
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line); ++n) {
    ASSERT_NE(line.find("\"i\":" + std::to_string(n) + ","), std::string::npos) << line;
  }
  EXPECT_EQ(n, lines);
  std::remove(path.c_str());
}

TEST(LoggerTest, AppendJsonStringEscapes) {
  std::string out = "x";
  AppendJsonString("a\"b\\c\x01\x7f", &out);
  EXPECT_EQ(out, "x\"a\\\"b\\\\c\\u0001\\u007f\"");
}

TEST(LoggerTest, AppendJsonStringEscapesAtEveryPositionOfLongStrings) {
  // Past 16 bytes the clean prefix is found 16 bytes at a time.
  for (char bad : {'"', '\\', '\x01', '\x1f', '\x7f', '\n'}) {
    for (size_t at = 0; at < 40; ++at) {
      std::string s(40, 'a');
      s[at] = bad;
      s[39 - at / 2] = '\xc3';  // UTF-8 bytes pass as they are
      std::string want = "\"";
      for (char c : s) {
        if (c == '"' || c == '\\') {
          want += '\\';
          want += c;
        } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          want += buf;
        } else {
          want += c;
        }
      }
      want += '"';
      std::string out;
      AppendJsonString(s, &out);
      EXPECT_EQ(out, want) << "bad " << static_cast<int>(bad) << " at " << at;
    }
  }
}

}  // namespace
}  // namespace parley::telemetry
