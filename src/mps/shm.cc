#include "mps/shm.h"

#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "common/fs.h"
#include "common/log.h"
#include "common/permissions.h"
#include "common/strings.h"

namespace nvdp::mps {

namespace fs = std::filesystem;

std::string ShmSize(const std::string& meminfo) {
  std::istringstream lines(meminfo);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with("MemTotal:")) continue;
    std::istringstream fields(line.substr(9));
    std::string amount, unit;
    fields >> amount >> unit;
    unsigned long long value = 0;
    if (!ParseUint64(amount, &value) || unit.empty()) break;
    return std::to_string(value / 2) + unit[0];
  }
  return "65536k";
}

void MountShm(const std::string& root, const std::string& meminfo_path) {
  std::string base = root;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  const std::string path = base + "/shm";
  // Mounts stack: take off every one left by earlier runs.
  while (umount2(path.c_str(), MNT_DETACH) == 0) LOG_INFO("Unmounted the earlier {}", path);
  const int unmount_error = errno;
  if (IsPermissionError(unmount_error)) {
    throw PermissionDenied("cannot unmount " + path + ": " + std::strerror(unmount_error) +
                           " (mount-shm needs a privileged container), " + PermissionHint());
  }
  if (unmount_error != EINVAL && unmount_error != ENOENT) {
    throw std::runtime_error("cannot unmount " + path + ": " + std::strerror(unmount_error));
  }
  std::error_code error;
  fs::remove_all(path, error);
  if (error) throw std::runtime_error("cannot remove " + path + ": " + error.message());
  fs::create_directories(path, error);
  if (error && IsPermissionError(error.value())) {
    throw PermissionDenied("cannot create " + path + ": " + error.message() + ", " +
                           PermissionHint());
  }
  if (error) throw std::runtime_error("cannot create " + path + ": " + error.message());
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);

  const std::string options = "size=" + ShmSize(ReadAttribute(meminfo_path).value_or(""));
  if (mount("shm", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME,
            options.c_str()) != 0) {
    throw std::runtime_error("cannot mount tmpfs at " + path + " (" + options +
                             "): " + std::strerror(errno) +
                             (errno == EPERM ? " (mount-shm needs a privileged container)" : ""));
  }
  LOG_INFO("Mounted tmpfs at {} (rw,nosuid,nodev,noexec,relatime,{})", path, options);
}

}  // namespace nvdp::mps
