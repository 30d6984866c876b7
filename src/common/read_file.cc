#include "common/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nvdp {
namespace {

[[noreturn]] void Fail(std::string_view what, const std::string& path, const std::string& problem) {
  throw ReadFileError(std::string(what) + " " + path + ": " + problem);
}

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

}  // namespace

std::string ReadBoundedFile(const std::string& path, size_t max_bytes, std::string_view what) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  Fd file{open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (file.fd < 0) Fail(what, path, std::string("cannot be read: ") + std::strerror(errno));
  struct stat info {};
  if (fstat(file.fd, &info) != 0) Fail(what, path, std::strerror(errno));
  if (S_ISDIR(info.st_mode)) Fail(what, path, "is a directory, not a file");
  if (!S_ISREG(info.st_mode)) Fail(what, path, "is not a regular file");
  auto too_big = [&](unsigned long long size) {
    Fail(what, path,
         "is " + std::to_string(size) + " bytes, more than the limit of " +
             std::to_string(max_bytes));
  };
  if (static_cast<unsigned long long>(info.st_size) > max_bytes) too_big(info.st_size);
  std::string text;
  text.reserve(static_cast<size_t>(info.st_size));
  char buffer[65536];
  while (true) {
    ssize_t got = read(file.fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) Fail(what, path, std::string("cannot be read: ") + std::strerror(errno));
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
    if (text.size() > max_bytes) too_big(text.size());  // it grew while being read
  }
  return text;
}

}  // namespace nvdp
