#include "mps/tools.h"

#include <sys/stat.h>
#include <unistd.h>

#include "common/strings.h"

namespace nvdp::mps {

std::vector<std::string> ToolSearchPath(const std::string& path_env,
                                        const std::string& driver_root) {
  std::vector<std::string> dirs;
  for (const std::string& dir : Split(path_env, ':')) {
    if (!dir.empty()) dirs.push_back(dir);
  }
  std::string root = driver_root;
  while (!root.empty() && root.back() == '/') root.pop_back();
  if (!driver_root.empty()) {
    for (const char* dir : {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/nvidia/bin"}) {
      dirs.push_back(root + dir);
    }
  }
  return dirs;
}

std::string FindTool(const std::string& name, const std::string& path_env,
                     const std::string& driver_root) {
  const std::vector<std::string> dirs = ToolSearchPath(path_env, driver_root);
  for (const std::string& dir : dirs) {
    const std::string path = dir + "/" + name;
    struct stat info {};
    if (stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
        access(path.c_str(), X_OK) == 0) {
      return path;
    }
  }
  throw ToolMissing(
      name + " not found (searched " + Join(dirs, ":") +
      "); MPS needs the NVIDIA driver's tools: run with the NVIDIA container "
      "runtime and NVIDIA_DRIVER_CAPABILITIES including compute,utility, or mount the "
      "driver root");
}

}  // namespace nvdp::mps
