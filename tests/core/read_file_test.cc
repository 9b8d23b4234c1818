#include "core/read_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace parley::core {
namespace {

using ::testing::HasSubstr;

class ReadFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/parley-read-file-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string Write(const std::string& name, const std::string& data) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << data;
    return path;
  }
  std::string dir_;
};

TEST_F(ReadFileTest, ReadsAWholeFileUpToTheCap) {
  std::string data(5000, 'x');
  data[17] = '\0';  // binary content is kept
  const std::string path = Write("f.bin", data);
  auto read = ReadFile(path, 5000);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, data);
  EXPECT_EQ(*ReadFile(Write("empty", ""), 0), "");
}

TEST_F(ReadFileTest, ALargerFileIsRefusedNamingIt) {
  const std::string path = Write("big", std::string(5001, 'x'));
  auto read = ReadFile(path, 5000);
  EXPECT_EQ(read.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(read.status().message(), path + " is larger than 5000 bytes");
}

TEST_F(ReadFileTest, ErrorsNameThePathAndTheReason) {
  auto missing = ReadFile(dir_ + "/nope", 100);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "cannot read " + dir_ + "/nope: No such file or directory");
  auto directory = ReadFile(dir_, 100);
  EXPECT_EQ(directory.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(directory.status().message(), HasSubstr("not a regular file"));
  // A FIFO would block a plain open and read: refused at once.
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(ReadFile(fifo, 100).status().code(), absl::StatusCode::kFailedPrecondition);
  if (geteuid() != 0) {  // root reads anything
    const std::string locked = Write("locked", "secret");
    chmod(locked.c_str(), 0);
    EXPECT_EQ(ReadFile(locked, 100).status().code(), absl::StatusCode::kPermissionDenied);
  }
}

}  // namespace
}  // namespace parley::core
