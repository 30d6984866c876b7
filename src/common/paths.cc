#include "common/paths.h"

#include <sys/stat.h>

namespace nvdp {
namespace {

bool StatMode(const std::string& path, mode_t* mode) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0) return false;
  *mode = info.st_mode;
  return true;
}

}  // namespace

std::string JoinRoot(const std::string& root, const std::string& path) {
  if (root.empty() || root == "/") return path;
  std::string joined = root;
  while (joined.size() > 1 && joined.back() == '/') joined.pop_back();
  return joined == "/" ? path : joined + path;
}

std::vector<std::string> HostRoots(const std::string& driver_root, const std::string& path) {
  const std::string here = path.empty() ? "/" : path;
  const std::string under = JoinRoot(driver_root, path);
  if (under == path || under.empty()) return {here};
  return {under, here};
}

bool PathExists(const std::string& path) {
  mode_t mode = 0;
  return StatMode(path, &mode);
}

bool IsDirectory(const std::string& path) {
  mode_t mode = 0;
  return StatMode(path, &mode) && S_ISDIR(mode);
}

bool IsCharDevice(const std::string& path) {
  mode_t mode = 0;
  return StatMode(path, &mode) && S_ISCHR(mode);
}

}  // namespace nvdp
