// The MPS control daemon of one resource, driven through nvidia-cuda-mps-control (spec §9.3):
// every command runs the tool with only the two MPS directory variables in its environment and the
// command text on stdin, without a trailing newline.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace nvdp::mps {

class MpsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// <root>/<resource>/pipe and .../log, e.g. /mps/nvidia.com/gpu/pipe.
struct ResourcePaths {
  ResourcePaths(const std::string& root, const std::string& resource_name);
  std::string dir, pipe, log, started;
};

class Control {
 public:
  Control(std::string tool, ResourcePaths paths,
          std::chrono::milliseconds timeout = std::chrono::seconds(30))
      : tool_(std::move(tool)), paths_(std::move(paths)), timeout_(timeout) {}

  // CUDA_MPS_PIPE_DIRECTORY and CUDA_MPS_LOG_DIRECTORY, nothing else.
  std::vector<std::string> Environment() const;
  // The daemon started by StartDaemon sees only these GPUs (CUDA_VISIBLE_DEVICES); "": all.
  void set_visible_devices(std::string devices) { visible_devices_ = std::move(devices); }
  // `nvidia-cuda-mps-control -d`, run to completion. Throws MpsError.
  void StartDaemon() const;
  // Sends one command; returns its stdout. Throws MpsError naming the command.
  std::string Send(const std::string& command) const;
  // Healthy when the daemon answers get_default_active_thread_percentage. Throws MpsError.
  void AssertHealthy() const { Send("get_default_active_thread_percentage"); }

  const ResourcePaths& paths() const { return paths_; }

 private:
  std::string tool_;
  ResourcePaths paths_;
  std::string visible_devices_;
  std::chrono::milliseconds timeout_;
};

// Whether the control daemon of `resource_name` answers through <container_root>: "" when it does,
// else why not. What the device plugin checks before it serves an MPS-shared resource. The tool is
// found on PATH, then under `container_driver_root`.
std::string DaemonProblem(const std::string& container_root, const std::string& resource_name,
                          const std::string& container_driver_root,
                          std::chrono::milliseconds timeout);

}  // namespace nvdp::mps
