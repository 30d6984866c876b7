#include "cdi/writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "common/log.h"
#include "common/unique_fd.h"

namespace nvdp::cdi {
namespace {

namespace fs = std::filesystem;

void WriteAtomically(const std::string& path, const std::string& text) {
  const std::string temporary = path + ".tmp";
  UniqueFd fd(open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.valid()) {
    throw std::runtime_error("cannot write " + temporary + ": " + std::strerror(errno));
  }
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = write(fd.get(), text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("cannot write " + temporary + ": " + std::strerror(errno));
    written += static_cast<size_t>(n);
  }
  fchmod(fd.get(), 0644);
  if (fsync(fd.get()) != 0 || rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    unlink(temporary.c_str());
    throw std::runtime_error("cannot write " + path + ": " + reason);
  }
}

}  // namespace

std::vector<std::string> WriteSpecs(const std::string& dir, const std::vector<Spec>& specs) {
  std::error_code error;
  fs::create_directories(dir, error);
  if (error)
    throw std::runtime_error("cannot create the CDI spec directory " + dir + ": " +
                             error.message());
  std::vector<std::string> written;
  for (const Spec& spec : specs) {
    const std::string path = (fs::path(dir) / spec.FileName()).string();
    WriteAtomically(path, spec.ToJson());
    written.push_back(path);
  }
  const std::string prefix = std::string(kVendor) + "-";
  for (const fs::directory_entry& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix) || !name.ends_with(".json")) continue;
    if (std::find(written.begin(), written.end(), entry.path().string()) != written.end()) continue;
    if (fs::remove(entry.path(), error))
      LOG_INFO("Removed the stale CDI spec {}", entry.path().string());
  }
  return written;
}

}  // namespace nvdp::cdi
