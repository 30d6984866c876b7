#include "common/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace nvdp {
namespace {

[[noreturn]] void Fail(std::string_view what, const std::string& path, const std::string& problem,
                       int error = 0) {
  throw FsError(std::string(what) + " " + path + ": " + problem, error);
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
  if (file.fd < 0) {
    const int error = errno;
    Fail(what, path, std::string("cannot be read: ") + std::strerror(error), error);
  }
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

std::optional<std::string> ReadAttribute(const std::string& path) {
  try {
    return ReadBoundedFile(path, 1 << 16, "attribute");
  } catch (const FsError&) {
    return std::nullopt;
  }
}

void WriteFileAtomically(const std::string& path, std::string_view text, unsigned mode) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ignored;
  fs::create_directories(dir, ignored);
  std::string temporary = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  Fd file{mkstemp(temporary.data())};
  auto fail = [&](const std::string& step) {
    const int error = errno;
    if (file.fd >= 0) unlink(temporary.c_str());
    throw FsError("cannot write " + path + ": " + step + ": " + std::strerror(error), error);
  };
  if (file.fd < 0) fail("cannot create a temporary file in " + dir.string());
  for (size_t done = 0; done < text.size();) {
    ssize_t written = write(file.fd, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail("write");
    done += static_cast<size_t>(written);
  }
  if (fchmod(file.fd, mode) != 0) fail("chmod");
  if (fsync(file.fd) != 0) fail("fsync");
  if (rename(temporary.c_str(), path.c_str()) != 0) fail("rename");
  // The rename is durable once the directory is.
  Fd directory{open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (directory.fd >= 0) fsync(directory.fd);
}

}  // namespace nvdp
