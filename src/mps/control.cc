#include "mps/control.h"

#include <cstdlib>
#include <system_error>

#include "common/subprocess.h"
#include "mps/tools.h"

namespace nvdp::mps {

ResourcePaths::ResourcePaths(const std::string& root, const std::string& resource_name) {
  std::string base = root;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  dir = base + "/" + resource_name;
  pipe = dir + "/pipe";
  log = dir + "/log";
  started = dir + "/.started";
}

std::vector<std::string> Control::Environment() const {
  return {"CUDA_MPS_PIPE_DIRECTORY=" + paths_.pipe, "CUDA_MPS_LOG_DIRECTORY=" + paths_.log};
}

void Control::StartDaemon() const {
  SubprocessResult result;
  try {
    std::vector<std::string> env = Environment();
    if (!visible_devices_.empty()) env.push_back("CUDA_VISIBLE_DEVICES=" + visible_devices_);
    result = RunSubprocess({tool_, {"-d"}, env, "", timeout_});
  } catch (const std::system_error& error) {
    throw MpsError(std::string("failed to start the MPS control daemon: ") + error.what());
  }
  if (!result.ok()) {
    throw MpsError("failed to start the MPS control daemon (" + tool_ +
                   " -d): " + result.Describe());
  }
}

std::string Control::Send(const std::string& command) const {
  SubprocessResult result;
  try {
    result = RunSubprocess({tool_, {}, Environment(), command, timeout_});
  } catch (const std::system_error& error) {
    throw MpsError("failed to send command '" + command +
                   "' to the MPS control daemon: " + error.what());
  }
  if (!result.ok()) {
    throw MpsError("failed to send command '" + command + "' to the MPS control daemon at " +
                   paths_.pipe + ": " + result.Describe());
  }
  return result.out;
}

std::string DaemonProblem(const std::string& container_root, const std::string& resource_name,
                          const std::string& container_driver_root,
                          std::chrono::milliseconds timeout) {
  try {
    const char* path_env = std::getenv("PATH");
    Control control(FindTool(kMpsControl, path_env ? path_env : "", container_driver_root),
                    ResourcePaths(container_root, resource_name), timeout);
    control.AssertHealthy();
    return "";
  } catch (const std::exception& failure) {
    return failure.what();
  }
}

}  // namespace nvdp::mps
