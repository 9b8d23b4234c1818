#include "core/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace parley::core {
namespace {

absl::Status CannotRead(const std::string& path, int error) {
  std::string message = absl::StrCat("cannot read ", path, ": ", std::strerror(error));
  if (error == ENOENT || error == ENOTDIR) return absl::NotFoundError(message);
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
  return absl::FailedPreconditionError(message);
}

absl::Status TooLarge(const std::string& path, size_t max_bytes) {
  return absl::OutOfRangeError(absl::StrCat(path, " is larger than ", max_bytes, " bytes"));
}

}  // namespace

absl::StatusOr<std::string> ReadOpenFile(int fd, const std::string& path, size_t max_bytes) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return CannotRead(path, errno);
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read ", path, ": not a regular file"));
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) return TooLarge(path, max_bytes);
  std::string data;
  data.resize(static_cast<size_t>(st.st_size) + 1);
  size_t got = 0;
  while (true) {
    if (got == data.size()) {
      if (data.size() > max_bytes) return TooLarge(path, max_bytes);  // it grew after fstat
      data.resize(data.size() * 2);
    }
    ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return CannotRead(path, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > max_bytes) return TooLarge(path, max_bytes);
  data.resize(got);
  return data;
}

absl::StatusOr<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not block: refused below
  if (fd < 0) return CannotRead(path, errno);
  absl::StatusOr<std::string> data = ReadOpenFile(fd, path, max_bytes);
  ::close(fd);
  return data;
}

}  // namespace parley::core
