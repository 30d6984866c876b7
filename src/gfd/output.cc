#include "gfd/output.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace nvdp::gfd {

std::string FeatureFileText(const Labels& labels) {
  std::string text;
  for (const auto& [key, value] : labels) text += key + "=" + value + "\n";
  return text;
}

void WriteFileAtomically(const std::string& path, const std::string& text) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code error;
  fs::create_directories(dir, error);
  std::string temp = (dir / ("." + target.filename().string() + ".tmp-XXXXXX")).string();
  const int fd = mkstemp(temp.data());
  auto fail = [&](const std::string& what) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) {
      close(fd);
      unlink(temp.c_str());
    }
    throw std::runtime_error("error writing " + path + ": " + what + ": " + reason);
  };
  if (fd < 0) fail("cannot create a temporary file in " + dir.string());
  for (size_t done = 0; done < text.size();) {
    ssize_t written = write(fd, text.data() + done, text.size() - done);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) fail("write");
    done += static_cast<size_t>(written);
  }
  if (fchmod(fd, 0644) != 0) fail("chmod");
  if (close(fd) != 0) {
    unlink(temp.c_str());
    throw std::runtime_error("error writing " + path + ": close: " + std::strerror(errno));
  }
  if (rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    unlink(temp.c_str());
    throw std::runtime_error("error writing " + path + ": rename: " + reason);
  }
}

}  // namespace nvdp::gfd
